// Per-image transforms: uint8 HWC in, normalised float CHW out.
//
// Two implementations with one contract: `transform_image` fuses padding, cropping,
// flipping, conversion and normalisation into a single pass over the output (the loader's
// hot path); `reference::transform_image` runs each step separately on whole images, the
// slow obvious version. A parity test holds them equal bit for bit.
#pragma once

#include <cstdint>
#include <vector>

namespace tinynas::data {

struct ImageShape {
  int height = 0;
  int width = 0;
  int channels = 0;
};

struct TransformOptions {
  bool augment = false;  // apply random crop / flip (training); off = deterministic
  int crop_padding = 0;  // zero padding before a random crop back to the input size
  bool hflip = false;    // random horizontal flip with probability 0.5
  std::vector<float> mean;  // per channel, [0,1] scale; one entry applies to all channels
  std::vector<float> std;
};

/// The random choices for one image. Drawn from a per-image seed so the result does not
/// depend on which thread or rank processes the image.
struct AugmentParams {
  int offset_y = 0;  // crop origin inside the padded image, in [0, 2*crop_padding]
  int offset_x = 0;
  bool flip = false;
};

/// Draws the augmentation for one image (identity parameters when !options.augment).
AugmentParams draw_augment(const TransformOptions& options, std::uint64_t image_seed);

/// The fused transform for one image shape, with its normalisation table precomputed
/// (built once per loader, applied to every image).
/// value = (pixel/255 - mean[c]) / std[c]; padded pixels are 0 before normalisation.
class ImageTransform {
 public:
  /// Throws core::Error when mean/std have neither 1 nor `shape.channels` entries, or a
  /// std is not positive.
  ImageTransform(const ImageShape& shape, const TransformOptions& options);

  const ImageShape& shape() const { return shape_; }
  const TransformOptions& options() const { return options_; }
  /// Floats written per image (channels*height*width).
  std::size_t output_size() const;

  /// Writes the transformed image to `dst` (CHW floats).
  void apply(const std::uint8_t* src, const AugmentParams& params, float* dst) const;

 private:
  ImageShape shape_;
  TransformOptions options_;
  std::vector<float> lut_;  // channels x 256: normalised value of each byte
};

namespace reference {
/// Zero-pads each side by `pad` pixels (HWC).
std::vector<std::uint8_t> pad(const std::vector<std::uint8_t>& img, const ImageShape& shape, int pad);
/// Crops `out` sized window at (y, x) from an HWC image of shape `in`.
std::vector<std::uint8_t> crop(const std::vector<std::uint8_t>& img, const ImageShape& in, int y,
                               int x, const ImageShape& out);
/// Mirrors left-right (HWC).
std::vector<std::uint8_t> hflip(const std::vector<std::uint8_t>& img, const ImageShape& shape);
/// HWC uint8 -> CHW float normalised.
std::vector<float> to_normalized_chw(const std::vector<std::uint8_t>& img, const ImageShape& shape,
                                     const std::vector<float>& mean, const std::vector<float>& std);
/// pad -> crop -> flip -> normalise, step by step.
std::vector<float> transform_image(const std::uint8_t* src, const ImageShape& shape,
                                   const TransformOptions& options, const AugmentParams& params);
}  // namespace reference

}  // namespace tinynas::data
