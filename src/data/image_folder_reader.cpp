// Image-folder reader: root/<class>/<image>. Directory listings are sorted so that the
// image order (and hence every seeded split downstream) does not depend on the filesystem.
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <system_error>
#include <vector>

#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/text.h"
#include "tinynas/data/readers.h"

namespace tinynas::data {
namespace {

namespace fs = std::filesystem;
using core::fail_file;

bool is_directory(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool has_image_extension(const fs::path& p) {
  const std::string ext = lower(p.extension().string());
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

// Names of the entries of `dir` that pass `keep`, sorted bytewise. Hidden entries
// (".DS_Store", ".git", ...) are never data.
template <class Keep>
std::vector<std::string> list_sorted(const std::string& dir, Keep keep) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) fail_file(dir, "cannot list directory: " + ec.message());
  std::vector<std::string> names;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] != '.' && keep(*it)) names.push_back(name);
  }
  if (ec) fail_file(dir, "cannot list directory: " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> class_dirs(const std::string& dir) {
  std::vector<std::string> names = list_sorted(dir, [](const fs::directory_entry& e) {
    std::error_code ec;
    return e.is_directory(ec);
  });
  if (names.empty())
    fail_file(dir, "no class sub-directories (expected <class>/<image>.png|jpg|jpeg)");
  return names;
}

std::vector<std::string> image_files(const std::string& dir) {
  std::vector<std::string> names = list_sorted(dir, [](const fs::directory_entry& e) {
    std::error_code ec;
    return e.is_regular_file(ec) && has_image_extension(e.path());
  });
  if (names.empty()) fail_file(dir, "class directory holds no .png, .jpg or .jpeg images");
  return names;
}

// Decodes images to one common size. With image_size == 0 the first image read fixes the
// size and every later one must match it (train and test alike).
class ImageDecoder {
 public:
  explicit ImageDecoder(const ImageFolderOptions& options) : options_(options) {}

  int height() const { return height_; }
  int width() const { return width_; }

  // The image as contiguous uint8 HWC (RGB or gray) of the common size.
  cv::Mat decode(const std::string& path) {
    const std::vector<unsigned char> bytes = core::read_file(path);
    if (bytes.empty()) fail_file(path, "cannot decode image: the file is empty");
    if (bytes.size() > static_cast<std::size_t>(INT_MAX))
      fail_file(path, "cannot decode image: larger than 2 GiB");
    cv::Mat img;
    try {
      const cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1,
                        const_cast<unsigned char*>(bytes.data()));
      img = cv::imdecode(buf, options_.channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
    } catch (const cv::Exception& e) {
      fail_file(path, "cannot decode image: " + std::string(e.what()));
    }
    if (img.empty() || img.depth() != CV_8U || img.channels() != options_.channels)
      fail_file(path, "cannot decode image (not a readable PNG or JPEG)");

    if (options_.image_size > 0) {
      const int s = options_.image_size;
      if (img.rows != s || img.cols != s) {
        const bool shrinking =
            static_cast<long long>(s) * s < static_cast<long long>(img.rows) * img.cols;
        cv::Mat resized;
        cv::resize(img, resized, cv::Size(s, s), 0, 0,
                   shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
        img = resized;
      }
      height_ = s;
      width_ = s;
    } else if (first_file_.empty()) {
      first_file_ = path;
      height_ = img.rows;
      width_ = img.cols;
    } else if (img.rows != height_ || img.cols != width_) {
      fail_file(path, "image is " + std::to_string(img.cols) + "x" + std::to_string(img.rows) +
                          " (width x height) but " + first_file_ + " is " +
                          std::to_string(width_) + "x" + std::to_string(height_) +
                          "; set data.image_size to resize all images to one size");
    }

    if (img.channels() == 3) cv::cvtColor(img, img, cv::COLOR_BGR2RGB);
    if (!img.isContinuous()) img = img.clone();
    return img;
  }

 private:
  ImageFolderOptions options_;
  std::string first_file_;
  int height_ = 0;
  int width_ = 0;
};

// Reads dir/<class>/<image> for the given classes; a class sub-directory not in
// `classes` is an error (it would have no label).
ImageSet read_split(const std::string& dir, const std::vector<std::string>& classes,
                    const std::string& name, const ImageFolderOptions& options,
                    ImageDecoder& decoder) {
  std::map<std::string, int> index;
  for (std::size_t c = 0; c < classes.size(); ++c) index[classes[c]] = static_cast<int>(c);

  ImageSet set;
  set.name = name;
  set.channels = options.channels;
  set.num_classes = static_cast<int>(classes.size());
  set.class_names = classes;
  for (const std::string& cls : class_dirs(dir)) {
    const std::string class_dir = dir + "/" + cls;
    const auto found = index.find(cls);
    if (found == index.end())
      fail_file(class_dir, "class '" + cls + "' is not among the training classes (" +
                               core::join(classes, ", ") + ")" +
                               core::did_you_mean(cls, classes));
    for (const std::string& file : image_files(class_dir)) {
      const cv::Mat img = decoder.decode(class_dir + "/" + file);
      const std::size_t bytes = img.total() * img.elemSize();
      const std::size_t at = set.pixels.size();
      set.pixels.resize(at + bytes);
      std::memcpy(set.pixels.data() + at, img.data, bytes);
      set.labels.push_back(found->second);
    }
  }
  set.height = decoder.height();
  set.width = decoder.width();
  return set;
}

}  // namespace

DatasetFiles read_image_folder(const std::string& root, const ImageFolderOptions& options) {
  if (options.channels != 1 && options.channels != 3)
    fail_file(root, "image folder: channels must be 1 (grayscale) or 3 (RGB), got " +
                        std::to_string(options.channels));
  if (options.image_size < 0)
    fail_file(root, "image folder: image_size must be >= 0, got " +
                        std::to_string(options.image_size));
  if (!is_directory(root)) fail_file(root, "image folder: not a directory");

  ImageDecoder decoder(options);
  DatasetFiles files;
  const std::string train_dir = root + "/train";
  if (is_directory(train_dir)) {
    const std::vector<std::string> classes = class_dirs(train_dir);
    files.train = read_split(train_dir, classes, "image-folder/train", options, decoder);
    const std::string test_dir = root + "/test";
    if (is_directory(test_dir))
      files.test = read_split(test_dir, classes, "image-folder/test", options, decoder);
  } else {
    files.train = read_split(root, class_dirs(root), "image-folder/train", options, decoder);
  }

  if (files.test.name.empty()) {
    // No test files: an empty set that still describes the images, so that code sizing
    // inputs from it sees the same shape as the training set.
    files.test.name = "image-folder/test";
    files.test.height = files.train.height;
    files.test.width = files.train.width;
    files.test.channels = files.train.channels;
    files.test.num_classes = files.train.num_classes;
    files.test.class_names = files.train.class_names;
  }
  return files;
}

}  // namespace tinynas::data
