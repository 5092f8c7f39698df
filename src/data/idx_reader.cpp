// IDX (MNIST-style) reader. Each file is read whole into memory (and inflated there when
// it is gzip), validated completely, and only then copied into the ImageSet.
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/data/readers.h"

namespace tinynas::data {
namespace {

using Bytes = std::vector<unsigned char>;
using core::fail_at_offset;
using core::fail_file;

// IDX stores sizes big-endian; IDX element type 0x08 is unsigned byte.
constexpr std::uint32_t kIdxUbyte = 0x08;
constexpr std::uint32_t kImageMagic = 0x00000803;
constexpr std::uint32_t kLabelMagic = 0x00000801;
// Far above any real image side; keeps height/width within int and rows*cols small.
constexpr std::uint32_t kMaxSide = 1u << 15;

std::uint32_t load_be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
         (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

std::uint32_t load_le32(const unsigned char* p) {
  return (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[1]} << 8) | std::uint32_t{p[0]};
}

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", static_cast<unsigned>(v));
  return buf;
}

bool is_gzip(const Bytes& b) { return b.size() >= 2 && b[0] == 0x1f && b[1] == 0x8b; }

// zlib counts in uInt; feed huge buffers in pieces.
uInt clamp_uint(std::size_t n) {
  return static_cast<uInt>(std::min<std::size_t>(n, std::numeric_limits<uInt>::max()));
}

class InflateStream {
 public:
  explicit InflateStream(const std::string& path) {
    // 16 + MAX_WBITS: accept the gzip wrapper (and only it), checking its CRC and length.
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK)
      fail_file(path, "cannot initialise zlib: " + std::string(zs_.msg ? zs_.msg : "?"));
  }
  ~InflateStream() { inflateEnd(&zs_); }
  InflateStream(const InflateStream&) = delete;
  InflateStream& operator=(const InflateStream&) = delete;
  z_stream* get() { return &zs_; }

 private:
  z_stream zs_{};
};

// Far above any dataset a microcontroller model trains on (60,000 28x28 images: 47 MB).
constexpr std::uint64_t kMaxIdxBytes = std::uint64_t(4) << 30;

// The size an IDX file declares in its header (magic, then big-endian dimension sizes;
// unsigned bytes), 0 while fewer than the header's bytes are known.
std::uint64_t idx_declared_size(const Bytes& b, std::size_t known) {
  if (known < 4) return 0;
  const std::size_t ndims = b[3], header = 4 + 4 * ndims;
  if (known < header) return 0;
  std::uint64_t n = header, values = 1;
  for (std::size_t d = 0; d < ndims; ++d) {
    values *= load_be32(b.data() + 4 + 4 * d);
    if (values > kMaxIdxBytes) return kMaxIdxBytes + 1;  // before it can overflow
  }
  return n + values;
}

// Inflates a whole gzip file held in memory; concatenated members are joined, as gzip does.
// The output is bounded by the size the IDX header it starts with declares, so that a
// small file inflating to gigabytes (a gzip bomb) fails after that many bytes, naming the
// file, instead of exhausting memory.
Bytes gunzip(const Bytes& in, const std::string& path) {
  InflateStream stream(path);
  z_stream* zs = stream.get();

  // The trailer holds the size mod 2^32: a good first guess, capped so that a corrupt
  // trailer cannot make us allocate gigabytes up front.
  std::size_t guess = in.size() >= 4 ? load_le32(in.data() + in.size() - 4) : 0;
  guess = std::min(guess, in.size() * 64);
  Bytes out(std::max<std::size_t>(guess, 1024));

  std::size_t in_pos = 0;
  std::size_t out_pos = 0;
  std::uint64_t declared = 0;
  for (;;) {
    if (!declared && (declared = idx_declared_size(out, out_pos)) > kMaxIdxBytes)
      fail_file(path, "its IDX header declares more than " + std::to_string(kMaxIdxBytes) +
                          " bytes of data");
    if (declared && out_pos > declared)
      fail_file(path, "decompresses to more than the " + std::to_string(declared) +
                          " bytes its IDX header declares (a corrupt file or a gzip bomb)");
    if (out_pos == out.size())
      out.resize(declared ? std::size_t(std::min<std::uint64_t>(out.size() * 2, declared + 1))
                          : out.size() * 2);
    zs->next_in = const_cast<Bytef*>(in.data() + in_pos);
    zs->avail_in = clamp_uint(in.size() - in_pos);
    zs->next_out = out.data() + out_pos;
    zs->avail_out = clamp_uint(out.size() - out_pos);
    const uInt avail_in = zs->avail_in;
    const uInt avail_out = zs->avail_out;
    const int ret = inflate(zs, Z_NO_FLUSH);
    in_pos += avail_in - zs->avail_in;
    out_pos += avail_out - zs->avail_out;

    if (ret == Z_STREAM_END) {
      if (in_pos == in.size()) break;
      if (in.size() - in_pos >= 2 && in[in_pos] == 0x1f && in[in_pos + 1] == 0x8b) {
        inflateReset(zs);
        continue;
      }
      fail_file(path, "unexpected data after the gzip stream at compressed byte offset " +
                          std::to_string(in_pos));
    }
    if (ret == Z_OK) continue;
    if (ret == Z_BUF_ERROR && zs->avail_out == 0) continue;  // only needs more room
    if (ret == Z_BUF_ERROR && in_pos == in.size())
      fail_file(path, "truncated gzip stream: the compressed data ends at byte offset " +
                          std::to_string(in_pos) + " before the end of the stream (" +
                          std::to_string(out_pos) + " bytes decompressed)");
    fail_file(path, "corrupt gzip stream at compressed byte offset " + std::to_string(in_pos) +
                        " (" + std::to_string(out_pos) + " bytes decompressed): " +
                        (zs->msg ? zs->msg : "zlib error " + std::to_string(ret)));
  }
  out.resize(out_pos);
  return out;
}

// The file's bytes, inflated when the content is gzip whatever the name says.
Bytes load_maybe_gzip(const std::string& path) {
  Bytes raw = core::read_file(path);
  if (is_gzip(raw)) return gunzip(raw, path);
  return raw;
}

// Checks the magic of an unsigned-byte IDX file with `ndims` dimensions and returns the
// dimension sizes. The data starts right after them, at 4 + 4 * ndims.
std::vector<std::uint32_t> parse_idx_header(const Bytes& b, const std::string& path,
                                            std::uint32_t ndims, const char* kind) {
  const std::uint32_t expected = (kIdxUbyte << 8) | ndims;
  if (b.size() < 4)
    fail_at_offset(path, 0,
                   "truncated header: expected a 4-byte IDX magic number, found " +
                       std::to_string(b.size()) + " bytes");
  const std::uint32_t magic = load_be32(b.data());
  if (magic != expected) {
    const std::uint32_t type = (magic >> 8) & 0xff;
    const std::uint32_t found_dims = magic & 0xff;
    const std::string what = std::string("IDX ") + kind + " file";
    if ((magic >> 16) != 0)
      fail_at_offset(path, 0,
                     "wrong magic number " + hex32(magic) + ": expected " + hex32(expected) +
                         " (" + what + ")");
    if (type != kIdxUbyte)
      fail_at_offset(path, 2,
                     "unsupported IDX element type " + hex32(type) +
                         ": only unsigned bytes (0x08) are supported (magic " + hex32(magic) +
                         ")");
    fail_at_offset(path, 3,
                   "wrong dimension count: expected " + std::to_string(ndims) + ", found " +
                       std::to_string(found_dims) + " (magic " + hex32(magic) + ", expected " +
                       hex32(expected) + " for an " + what + ")");
  }
  const std::size_t header = 4 + 4 * std::size_t{ndims};
  if (b.size() < header)
    fail_at_offset(path, 4,
                   "truncated header: expected " + std::to_string(header - 4) +
                       " bytes of dimension sizes, found " + std::to_string(b.size() - 4));
  std::vector<std::uint32_t> dims(ndims);
  for (std::uint32_t d = 0; d < ndims; ++d) dims[d] = load_be32(b.data() + 4 + 4 * d);
  return dims;
}

// Checks that exactly `expected` data bytes follow the header at `offset`.
// `what` names the section ("image"), `unit` its elements ("pixels").
void check_data_size(const Bytes& b, const std::string& path, std::size_t offset,
                     std::uint64_t expected, const char* what, const char* unit) {
  const std::size_t found = b.size() - offset;
  if (found < expected)
    fail_at_offset(path, offset,
                   std::string("truncated ") + what + " data: expected " +
                       std::to_string(expected) + " bytes of " + unit + ", found " +
                       std::to_string(found));
  if (found > expected)
    fail_at_offset(path, offset + expected,
                   std::to_string(found - expected) + " unexpected trailing bytes after the " +
                       std::to_string(expected) + " bytes of " + unit);
}

std::string resolve_mnist_file(const std::string& root, const std::string& name) {
  const std::string plain = root + "/" + name;
  const std::string gz = plain + ".gz";
  // Prefer the uncompressed file when both exist: it reads faster.
  if (core::is_regular_file(plain)) return plain;
  if (core::is_regular_file(gz)) return gz;
  fail_file(plain, "no such file (also tried " + gz + ")");
}

}  // namespace

ImageSet read_idx_pair(const std::string& images_path, const std::string& labels_path,
                       int num_classes, const std::string& name) {
  if (num_classes <= 0)
    fail_file(labels_path, "num_classes must be positive, got " + std::to_string(num_classes));

  const Bytes images = load_maybe_gzip(images_path);
  const std::vector<std::uint32_t> idims = parse_idx_header(images, images_path, 3, "image");
  const std::uint32_t count = idims[0];
  const std::uint32_t rows = idims[1];
  const std::uint32_t cols = idims[2];
  if (rows == 0 || cols == 0 || rows > kMaxSide || cols > kMaxSide)
    fail_at_offset(images_path, 8,
                   "invalid image size " + std::to_string(rows) + "x" + std::to_string(cols) +
                       ": rows and columns must be in [1, " + std::to_string(kMaxSide) + "]");
  if (count == 0) fail_at_offset(images_path, 4, "the header says the file holds no images");
  // rows * cols <= 2^30, so only the multiplication by the count can overflow.
  const std::uint64_t image_bytes = std::uint64_t{rows} * cols;
  if (count > std::numeric_limits<std::uint64_t>::max() / image_bytes)
    fail_at_offset(images_path, 4, "image count times image size overflows");
  const std::size_t image_offset = 16;
  check_data_size(images, images_path, image_offset, count * image_bytes, "image",
                  "pixels");

  const Bytes labels = load_maybe_gzip(labels_path);
  const std::uint32_t label_count = parse_idx_header(labels, labels_path, 1, "label")[0];
  if (label_count != count)
    fail_at_offset(labels_path, 4,
                   "image/label count mismatch: " + std::to_string(label_count) +
                       " labels, but " + images_path + " holds " + std::to_string(count) +
                       " images");
  const std::size_t label_offset = 8;
  check_data_size(labels, labels_path, label_offset, label_count, "label", "labels");

  ImageSet set;
  set.labels.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    const int label = labels[label_offset + i];
    if (label >= num_classes)
      fail_at_offset(labels_path, label_offset + i,
                     "label " + std::to_string(label) + " of image " + std::to_string(i) +
                         " out of range [0, " + std::to_string(num_classes) + ")");
    set.labels[i] = label;
  }
  set.name = name;
  set.height = static_cast<int>(rows);
  set.width = static_cast<int>(cols);
  set.channels = 1;
  set.num_classes = num_classes;
  set.pixels.assign(images.begin() + image_offset, images.end());
  return set;
}

DatasetFiles read_mnist_dir(const std::string& root, const std::string& dataset) {
  std::vector<std::string> class_names;
  if (dataset == "fashion-mnist") {
    class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  } else if (dataset == "mnist") {
    for (int d = 0; d < 10; ++d) class_names.push_back(std::to_string(d));
  } else {
    fail_file(root, "unknown IDX dataset '" + dataset + "' (expected mnist or fashion-mnist)");
  }
  const int num_classes = static_cast<int>(class_names.size());

  auto read_split = [&](const std::string& prefix, const std::string& split) {
    // Resolve both names first so a missing labels file is reported before a slow read.
    const std::string images = resolve_mnist_file(root, prefix + "-images-idx3-ubyte");
    const std::string labels = resolve_mnist_file(root, prefix + "-labels-idx1-ubyte");
    ImageSet set = read_idx_pair(images, labels, num_classes, dataset + "/" + split);
    set.class_names = class_names;
    return set;
  };
  DatasetFiles files;
  files.train = read_split("train", "train");
  files.test = read_split("t10k", "test");
  return files;
}

}  // namespace tinynas::data
