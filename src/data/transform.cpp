#include "tinynas/data/transform.h"

#include <string>

#include "tinynas/core/error.h"
#include "tinynas/core/rng.h"

namespace tinynas::data {
namespace {

// One definition of the normalisation arithmetic, shared by both paths so they agree
// bit for bit.
inline float normalize_byte(std::uint8_t v, float mean, float std) {
  return (static_cast<float>(v) / 255.0f - mean) / std;
}

float channel_value(const std::vector<float>& v, int c, float fallback) {
  if (v.empty()) return fallback;
  return v.size() == 1 ? v[0] : v[static_cast<std::size_t>(c)];
}

void check_norm(const std::vector<float>& v, int channels, const char* what) {
  if (!v.empty() && v.size() != 1 && v.size() != static_cast<std::size_t>(channels))
    throw core::Error(std::string("normalize.") + what + " has " + std::to_string(v.size()) +
                      " entries; the images have " + std::to_string(channels) + " channel(s)");
}

}  // namespace

AugmentParams draw_augment(const TransformOptions& options, std::uint64_t image_seed) {
  AugmentParams p;
  const int pad = options.crop_padding;
  if (!options.augment) {
    p.offset_y = pad;  // centre: the identity crop
    p.offset_x = pad;
    return p;
  }
  core::Rng rng(image_seed);
  const auto span = static_cast<std::uint64_t>(2 * pad + 1);
  p.offset_y = static_cast<int>(rng.uniform_int(span));
  p.offset_x = static_cast<int>(rng.uniform_int(span));
  p.flip = options.hflip && rng.bernoulli(0.5);
  return p;
}

ImageTransform::ImageTransform(const ImageShape& shape, const TransformOptions& options)
    : shape_(shape), options_(options) {
  if (shape.height <= 0 || shape.width <= 0 || shape.channels <= 0)
    throw core::Error("image transform: invalid image shape");
  check_norm(options.mean, shape.channels, "mean");
  check_norm(options.std, shape.channels, "std");
  for (float s : options.std)
    if (!(s > 0)) throw core::Error("normalize.std must be positive, got " + std::to_string(s));
  lut_.resize(static_cast<std::size_t>(shape.channels) * 256);
  for (int c = 0; c < shape.channels; ++c) {
    const float mean = channel_value(options.mean, c, 0.0f);
    const float std = channel_value(options.std, c, 1.0f);
    for (int v = 0; v < 256; ++v)
      lut_[static_cast<std::size_t>(c) * 256 + static_cast<std::size_t>(v)] =
          normalize_byte(static_cast<std::uint8_t>(v), mean, std);
  }
}

std::size_t ImageTransform::output_size() const {
  return static_cast<std::size_t>(shape_.channels) * shape_.height * shape_.width;
}

void ImageTransform::apply(const std::uint8_t* src, const AugmentParams& params, float* dst) const {
  const int H = shape_.height, W = shape_.width, C = shape_.channels;
  const int pad = options_.crop_padding;
  const std::size_t plane = static_cast<std::size_t>(H) * W;
  // Output pixel (y, x) reads padded pixel (y + oy, x' + ox) where x' = x, or W-1-x when
  // flipped; padded coordinates minus `pad` are source coordinates.
  const int dy = params.offset_y - pad;
  const int dx = params.offset_x - pad;
  for (int c = 0; c < C; ++c) {
    const float* lut = lut_.data() + static_cast<std::size_t>(c) * 256;
    const float zero = lut[0];
    float* out = dst + static_cast<std::size_t>(c) * plane;
    for (int y = 0; y < H; ++y) {
      float* row = out + static_cast<std::size_t>(y) * W;
      const int sy = y + dy;
      if (sy < 0 || sy >= H) {
        for (int x = 0; x < W; ++x) row[x] = zero;
        continue;
      }
      const std::uint8_t* srow = src + (static_cast<std::size_t>(sy) * W) * C + c;
      for (int x = 0; x < W; ++x) {
        const int xx = params.flip ? W - 1 - x : x;
        const int sx = xx + dx;
        row[x] = (sx < 0 || sx >= W) ? zero : lut[srow[static_cast<std::size_t>(sx) * C]];
      }
    }
  }
}

namespace reference {

std::vector<std::uint8_t> pad(const std::vector<std::uint8_t>& img, const ImageShape& s, int p) {
  const int H = s.height + 2 * p, W = s.width + 2 * p, C = s.channels;
  std::vector<std::uint8_t> out(static_cast<std::size_t>(H) * W * C, 0);
  for (int y = 0; y < s.height; ++y)
    for (int x = 0; x < s.width; ++x)
      for (int c = 0; c < C; ++c)
        out[(static_cast<std::size_t>(y + p) * W + (x + p)) * C + c] =
            img[(static_cast<std::size_t>(y) * s.width + x) * C + c];
  return out;
}

std::vector<std::uint8_t> crop(const std::vector<std::uint8_t>& img, const ImageShape& in, int y0,
                               int x0, const ImageShape& o) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(o.height) * o.width * o.channels);
  for (int y = 0; y < o.height; ++y)
    for (int x = 0; x < o.width; ++x)
      for (int c = 0; c < o.channels; ++c)
        out[(static_cast<std::size_t>(y) * o.width + x) * o.channels + c] =
            img[(static_cast<std::size_t>(y + y0) * in.width + (x + x0)) * in.channels + c];
  return out;
}

std::vector<std::uint8_t> hflip(const std::vector<std::uint8_t>& img, const ImageShape& s) {
  std::vector<std::uint8_t> out(img.size());
  for (int y = 0; y < s.height; ++y)
    for (int x = 0; x < s.width; ++x)
      for (int c = 0; c < s.channels; ++c)
        out[(static_cast<std::size_t>(y) * s.width + x) * s.channels + c] =
            img[(static_cast<std::size_t>(y) * s.width + (s.width - 1 - x)) * s.channels + c];
  return out;
}

std::vector<float> to_normalized_chw(const std::vector<std::uint8_t>& img, const ImageShape& s,
                                     const std::vector<float>& mean, const std::vector<float>& std) {
  std::vector<float> out(img.size());
  for (int c = 0; c < s.channels; ++c)
    for (int y = 0; y < s.height; ++y)
      for (int x = 0; x < s.width; ++x)
        out[(static_cast<std::size_t>(c) * s.height + y) * s.width + x] = normalize_byte(
            img[(static_cast<std::size_t>(y) * s.width + x) * s.channels + c],
            channel_value(mean, c, 0.0f), channel_value(std, c, 1.0f));
  return out;
}

std::vector<float> transform_image(const std::uint8_t* src, const ImageShape& shape,
                                   const TransformOptions& options, const AugmentParams& params) {
  std::vector<std::uint8_t> img(src, src + static_cast<std::size_t>(shape.height) * shape.width *
                                               shape.channels);
  const int p = options.crop_padding;
  ImageShape padded{shape.height + 2 * p, shape.width + 2 * p, shape.channels};
  img = crop(pad(img, shape, p), padded, params.offset_y, params.offset_x, shape);
  if (params.flip) img = hflip(img, shape);
  return to_normalized_chw(img, shape, options.mean, options.std);
}

}  // namespace reference
}  // namespace tinynas::data
