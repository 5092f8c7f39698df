#include "tinynas/data/transform.h"

#include <gtest/gtest.h>

#include <cstring>

#include "data/synthetic.h"
#include "tinynas/core/error.h"

using namespace tinynas;
using data::AugmentParams;
using data::ImageShape;
using data::TransformOptions;

namespace {

std::vector<float> fused(const data::ImageSet& s, const TransformOptions& o, const AugmentParams& p) {
  data::ImageTransform t({s.height, s.width, s.channels}, o);
  std::vector<float> out(t.output_size());
  t.apply(s.image(0), p, out.data());
  return out;
}

}  // namespace

TEST(Transform, FusedMatchesReferenceBitForBitOverManyAugmentations) {
  for (int c : {1, 3}) {
    auto s = tinynas::testing::random_images(1, 7, 5, c);
    TransformOptions o;
    o.augment = true;
    o.crop_padding = 3;
    o.hflip = true;
    o.mean = c == 1 ? std::vector<float>{0.3f} : std::vector<float>{0.4f, 0.5f, 0.6f};
    o.std = c == 1 ? std::vector<float>{0.2f} : std::vector<float>{0.2f, 0.25f, 0.3f};
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
      auto p = data::draw_augment(o, seed);
      auto ref = data::reference::transform_image(s.image(0), {7, 5, c}, o, p);
      auto fast = fused(s, o, p);
      ASSERT_EQ(ref.size(), fast.size());
      ASSERT_EQ(0, std::memcmp(ref.data(), fast.data(), ref.size() * sizeof(float)))
          << "channels " << c << " seed " << seed;
    }
  }
}

TEST(Transform, IdentityWithoutAugmentationNormalizes) {
  data::ImageSet s;
  s.height = 1;
  s.width = 2;
  s.channels = 1;
  s.pixels = {0, 255};
  s.labels = {0};
  TransformOptions o;
  o.mean = {0.5f};
  o.std = {0.5f};
  auto out = fused(s, o, data::draw_augment(o, 123));
  EXPECT_FLOAT_EQ(out[0], -1.0f);
  EXPECT_FLOAT_EQ(out[1], 1.0f);
}

TEST(Transform, CropShiftsAndPadsWithZeroPixels) {
  data::ImageSet s;
  s.height = 2;
  s.width = 2;
  s.channels = 1;
  s.pixels = {10, 20, 30, 40};
  s.labels = {0};
  TransformOptions o;
  o.augment = true;
  o.crop_padding = 1;  // mean 0, std 1: values are pixel/255
  AugmentParams p{0, 0, false};  // window starts in the padding's top-left corner
  auto out = fused(s, o, p);
  EXPECT_FLOAT_EQ(out[0], 0.0f);
  EXPECT_FLOAT_EQ(out[1], 0.0f);
  EXPECT_FLOAT_EQ(out[2], 0.0f);
  EXPECT_FLOAT_EQ(out[3], 10.0f / 255.0f);
}

TEST(Transform, FlipMirrorsColumns) {
  data::ImageSet s;
  s.height = 1;
  s.width = 3;
  s.channels = 1;
  s.pixels = {1, 2, 3};
  s.labels = {0};
  TransformOptions o;
  auto out = fused(s, o, AugmentParams{0, 0, true});
  EXPECT_FLOAT_EQ(out[0], 3.0f / 255.0f);
  EXPECT_FLOAT_EQ(out[2], 1.0f / 255.0f);
}

TEST(Transform, HWCBecomesCHW) {
  data::ImageSet s;
  s.height = 1;
  s.width = 2;
  s.channels = 3;
  s.pixels = {1, 2, 3, 4, 5, 6};  // pixel0 = (1,2,3), pixel1 = (4,5,6)
  s.labels = {0};
  auto out = fused(s, TransformOptions{}, AugmentParams{});
  const float expect[] = {1, 4, 2, 5, 3, 6};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(out[static_cast<std::size_t>(i)], expect[i] / 255.0f);
}

TEST(Transform, AugmentDrawsCoverRangeAndFlipIsConfigurable) {
  TransformOptions o;
  o.augment = true;
  o.crop_padding = 2;
  o.hflip = false;
  bool seen_max = false, seen_min = false;
  for (std::uint64_t seed = 0; seed < 500; ++seed) {
    auto p = data::draw_augment(o, seed);
    EXPECT_FALSE(p.flip);
    EXPECT_GE(p.offset_x, 0);
    EXPECT_LE(p.offset_x, 4);
    seen_max |= p.offset_y == 4;
    seen_min |= p.offset_y == 0;
  }
  EXPECT_TRUE(seen_max && seen_min);
  o.hflip = true;
  int flips = 0;
  for (std::uint64_t seed = 0; seed < 1000; ++seed) flips += data::draw_augment(o, seed).flip;
  EXPECT_GT(flips, 400);
  EXPECT_LT(flips, 600);
}

TEST(Transform, RejectsMismatchedNormalization) {
  TransformOptions o;
  o.mean = {0.1f, 0.2f};
  EXPECT_THROW(data::ImageTransform({4, 4, 3}, o), core::Error);
  o.mean = {};
  o.std = {0.0f};
  EXPECT_THROW(data::ImageTransform({4, 4, 1}, o), core::Error);
}
