// The XGBoost C API wrapper (src/nas/xgboost_model.h): fits, round-trips bit for bit,
// trains deterministically, and turns library errors into core::Error naming the call.
#include "nas/xgboost_model.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "support/error_of.h"
#include "tinynas/core/rng.h"
#include "tinynas/core/stats.h"

namespace tinynas::nas::detail {
namespace {

struct Data {
  std::vector<float> x, y;
  std::size_t rows = 0, cols = 2;
};

// y = x0² - x1 on [-1, 1]².
Data known_function(std::size_t rows, std::uint64_t seed) {
  core::Rng rng(seed);
  Data d;
  d.rows = rows;
  for (std::size_t r = 0; r < rows; ++r) {
    const float a = float(2 * rng.uniform01() - 1), b = float(2 * rng.uniform01() - 1);
    d.x.push_back(a);
    d.x.push_back(b);
    d.y.push_back(a * a - b);
  }
  return d;
}

bool bit_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(XgbRegressor, FitsAKnownFunctionAndRoundTrips) {
  const Data train = known_function(200, 1), test = known_function(100, 2);
  XgbParams p;
  p.estimators = 200;
  p.depth = 4;
  p.eta = 0.1;
  const XgbRegressor m = XgbRegressor::train(train.x.data(), train.rows, train.cols, train.y.data(), p);
  const auto pred = m.predict(test.x.data(), test.rows, test.cols);
  ASSERT_EQ(pred.size(), test.rows);
  const std::vector<double> pd(pred.begin(), pred.end()), td(test.y.begin(), test.y.end());
  EXPECT_GT(core::kendall_tau(pd, td), 0.9);
  EXPECT_LT(core::mean_abs_error(pd, td), 0.1);

  // The prediction does not depend on the thread count.
  EXPECT_TRUE(bit_equal(m.predict(test.x.data(), test.rows, test.cols, 2), pred));

  const std::string ubj = m.save_ubj();
  EXPECT_GT(ubj.size(), 100u);
  const XgbRegressor back = XgbRegressor::load(ubj, train.cols);
  EXPECT_TRUE(bit_equal(back.predict(test.x.data(), test.rows, test.cols), pred));

  // A second training gives the same trees, bit for bit.
  const XgbRegressor again = XgbRegressor::train(train.x.data(), train.rows, train.cols, train.y.data(), p);
  EXPECT_EQ(again.save_ubj(), ubj);

  // Moves hand the booster over.
  XgbRegressor moved = XgbRegressor::load(ubj, train.cols);
  XgbRegressor target = std::move(moved);
  EXPECT_TRUE(bit_equal(target.predict(test.x.data(), test.rows, test.cols), pred));
}

TEST(XgbRegressor, BaseScoreIsTheLabelMean) {
  // One tree with a tiny step stays near the labels' mean (XGBoost's default 0.5 would not).
  Data d = known_function(50, 3);
  for (auto& v : d.y) v += 100;
  XgbParams p;
  p.estimators = 1;
  p.depth = 1;
  p.eta = 0.01;
  const auto m = XgbRegressor::train(d.x.data(), d.rows, d.cols, d.y.data(), p);
  for (float v : m.predict(d.x.data(), d.rows, d.cols)) EXPECT_NEAR(v, 100, 2);
}

TEST(XgbRegressor, ErrorsCarryTheLibraryMessage) {
  const Data d = known_function(20, 4);
  XgbParams p;
  p.depth = -1;
  const std::string bad_depth =
      testing::error_of([&] { XgbRegressor::train(d.x.data(), d.rows, d.cols, d.y.data(), p); });
  EXPECT_NE(bad_depth.find("XGBooster"), std::string::npos) << bad_depth;
  EXPECT_NE(bad_depth.find("max_depth"), std::string::npos) << bad_depth;

  p.depth = 2;
  p.estimators = 3;
  const auto m = XgbRegressor::train(d.x.data(), d.rows, d.cols, d.y.data(), p);
  const std::string wrong_cols = testing::error_of([&] { XgbRegressor::load(m.save_ubj(), 3); });
  EXPECT_NE(wrong_cols.find("XGBoosterGetNumFeature"), std::string::npos) << wrong_cols;
  EXPECT_NE(wrong_cols.find("2 features, expected 3"), std::string::npos) << wrong_cols;

  const std::string garbage = testing::error_of([&] { XgbRegressor::load("not a model", 2); });
  EXPECT_NE(garbage.find("XGBoosterLoadModelFromBuffer: "), std::string::npos) << garbage;

  const std::string predict_cols = testing::error_of([&] { m.predict(d.x.data(), 10, 4); });
  EXPECT_NE(predict_cols.find("the model takes 2"), std::string::npos) << predict_cols;
}

}  // namespace
}  // namespace tinynas::nas::detail
