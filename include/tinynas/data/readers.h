// Dataset file readers. Each reads a whole dataset into memory as uint8 HWC.
// Errors (missing file, wrong magic, truncated data, image/label count mismatch, label out
// of range, unreadable image) throw core::Error naming the file and the byte offset or
// index; a reader never returns partial or garbage data.
#pragma once

#include <string>

#include "tinynas/data/image_set.h"

namespace tinynas::data {

/// Default location of the Debian `dataset-fashion-mnist` package's files.
inline constexpr const char* kFashionMnistDefaultRoot = "/usr/share/datasets/fashion-mnist";

/// One IDX image file (magic 0x00000803, uint8, N x rows x cols) and its label file
/// (magic 0x00000801, N uint8). Either file may be gzip-compressed (detected by content,
/// not by name); byte offsets in errors then refer to the decompressed stream.
/// Labels must be < num_classes. The file must hold exactly the data its header
/// announces (at least one image, rows and cols in [1, 32768]; extra bytes are an error).
ImageSet read_idx_pair(const std::string& images_path, const std::string& labels_path,
                       int num_classes, const std::string& name);

/// MNIST / Fashion-MNIST directory: train-images-idx3-ubyte, train-labels-idx1-ubyte,
/// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each plain or with a `.gz` suffix.
/// `dataset` is "mnist" or "fashion-mnist" (sets the name and class names).
/// When both the plain and the `.gz` file exist, the plain one is read.
DatasetFiles read_mnist_dir(const std::string& root, const std::string& dataset);

/// CIFAR-10 binary version (root holds data_batch_1..5.bin and test_batch.bin, optionally
/// batches.meta.txt): records of 1 label byte + 3072 bytes (R, G, B planes of 32x32).
DatasetFiles read_cifar10_dir(const std::string& root);

/// CIFAR-100 binary version (root holds train.bin and test.bin, optionally
/// fine_label_names.txt): records of 1 coarse + 1 fine label byte + 3072 bytes.
/// Uses the 100 fine labels.
DatasetFiles read_cifar100_dir(const std::string& root);

struct ImageFolderOptions {
  int image_size = 0;  // resize to image_size x image_size; 0 = keep (all must match)
  int channels = 3;    // 1 = grayscale, 3 = RGB
};

/// Image folder: root/<class>/*.{png,jpg,jpeg} (case-insensitive extensions), classes are
/// the sorted sub-directory names. If root has `train/` (and optionally `test/`)
/// sub-directories, those are read as the train and test files, with the class list taken
/// from train/; otherwise root itself is the training set and test is empty (no images,
/// but the shape and classes of train). Hidden entries and files with other extensions
/// are skipped; names sort bytewise, so the order does not depend on the filesystem. A
/// class in test/ that train/ lacks, an empty class directory or an undecodable image is an
/// error; with image_size == 0 every image (train and test) must have the first one's size.
DatasetFiles read_image_folder(const std::string& root, const ImageFolderOptions& options);

}  // namespace tinynas::data
