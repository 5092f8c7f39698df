// Gradient-boosted regression trees through XGBoost's C API (private to the nas layer; only
// xgboost_model.cpp includes <xgboost/c_api.h>). One XgbRegressor is one member of the
// accuracy predictor's ensemble (nas/predictor.h).
//
// Deterministic by construction: the exact tree method, one training thread, no row or
// column subsampling and base_score = mean(y), so the same rows and parameters give
// bit-identical trees on every rank and on every replay of a search. (XGBoost 1.7 defaults
// base_score to 0.5, which leaves a 100-tree, eta 0.01 member far from the labels' level.)
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace tinynas::nas::detail {

struct XgbParams {
  int estimators = 100;   ///< boosting rounds (trees)
  int depth = 6;          ///< max_depth
  double eta = 0.1;       ///< learning rate
  /// Per feature -1 / 0 / +1: predictions never rise / free / never fall as it grows
  /// (XGBoost's monotone_constraints). Empty: none.
  std::vector<int> monotone;
};

/// A trained booster. Move-only; frees its handle. Errors are core::Error
/// "<C API call>: <XGBGetLastError()>" (the message is per thread in XGBoost, so ranks run
/// as threads each see their own).
class XgbRegressor {
 public:
  XgbRegressor(XgbRegressor&& o) noexcept;
  XgbRegressor& operator=(XgbRegressor&& o) noexcept;
  XgbRegressor(const XgbRegressor&) = delete;
  XgbRegressor& operator=(const XgbRegressor&) = delete;
  ~XgbRegressor();

  /// Fits rows x cols features `x` (row-major, no NaN) to labels `y` (rows values) with
  /// squared error. rows >= 1, cols >= 1.
  static XgbRegressor train(const float* x, std::size_t rows, std::size_t cols, const float* y,
                            const XgbParams& params);
  /// The booster saved as Universal Binary JSON (XGBoost's own format; compact, exact).
  std::string save_ubj() const;
  /// A booster from save_ubj()'s bytes; throws when it takes other than `cols` features.
  static XgbRegressor load(const std::string& bytes, std::size_t cols);

  /// Predictions for rows x cols features (cols must be the trained count), computed on
  /// `threads` threads (>= 1; the result does not depend on it).
  std::vector<float> predict(const float* x, std::size_t rows, std::size_t cols, int threads = 1) const;

  std::size_t cols() const { return cols_; }

 private:
  XgbRegressor(void* booster, std::size_t cols) : booster_(booster), cols_(cols) {}

  void* booster_ = nullptr;   // BoosterHandle
  std::size_t cols_ = 0;
  mutable int threads_ = 1;   // the booster's nthread now (set again only when it changes)
};

}  // namespace tinynas::nas::detail
