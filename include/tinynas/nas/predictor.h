// The accuracy predictor (HyT-NAS §III-C, §IV-A): an ensemble of gradient-boosted tree
// regressors (XGBoost) that maps a candidate's feature row (nas/features.h) to its one-shot
// accuracy. Each member draws its estimators, depth and learning rate uniformly from the
// recipe's grids (`predictor` section; the paper's {100, 400, 800, 1000} x {3, 6, 12} x
// {0.01, 0.1, 0.5} by default) and trains, with squared error, on all the rows, so members
// differ only by their drawn hyper-parameters (the paper's "depths and widths";
// `predictor.bootstrap` gives each a resample of the rows instead), with the prediction
// held non-increasing along each block's sparsity column and the pruned fraction
// (FeatureEncoder::monotone; `predictor.monotone`). The paper calls the members rankers and
// judges them by Kendall's tau; trained on the accuracy itself they also give its level
// (MAE) and, across members, a spread in accuracy units: the mean and spread a UCB
// acquisition needs. Members that draw the same grid point without a resample coincide and
// add nothing to the spread.
//
// Deterministic: the draws come from the Rng passed in and every member trains on one
// thread with the exact tree method (src/nas/xgboost_model.h), so the same rows and stream
// give bit-identical predictions on every rank and every replay.
//
// Files (save/load): <dir>/predictor.json {"format": "tinynas-predictor", "version": 1,
// "fingerprint", "features": [names], "rows" (training rows), "members": [{"file",
// "estimators", "depth", "learning_rate"}], plus the caller's `meta` members}, and <dir>/member-<k>.ubj,
// each member's booster in XGBoost's Universal Binary JSON.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "tinynas/config/recipe.h"
#include "tinynas/core/json.h"
#include "tinynas/core/rng.h"
#include "tinynas/nas/features.h"

namespace tinynas::nas {

namespace detail {
class XgbRegressor;
}

/// The recipe's `predictor` section (config/recipe.h documents every key).
struct PredictorOptions {
  int ensemble = 5;
  std::vector<int> estimators = {100, 400, 800, 1000};
  std::vector<int> depth = {3, 6, 12};
  std::vector<double> learning_rate = {0.01, 0.1, 0.5};
  bool bootstrap = false;
  bool monotone = true;  ///< apply fit()'s monotone signs
  int threads = 0;  ///< prediction threads; 0 = std::thread::hardware_concurrency()

  static PredictorOptions from(const config::PredictorConfig& c);
};

/// One member's drawn hyper-parameters.
struct MemberParams {
  int estimators = 0;
  int depth = 0;
  double learning_rate = 0;
};

class AccuracyPredictor {
 public:
  struct Prediction {
    std::vector<double> mean;    ///< ensemble mean per row
    std::vector<double> stddev;  ///< ensemble standard deviation per row (0 when the members coincide)
  };

  /// Trains options.ensemble members on rows x cols features `x` (row-major; rows =
  /// y.size() >= 1) and labels `y`. Member k draws, from `rng` in this order: estimators,
  /// depth, learning rate (uniform over each grid), then y.size() row indices with
  /// replacement when options.bootstrap. When options.monotone, `monotone` (one -1 / 0 / +1
  /// per feature: FeatureEncoder::monotone) constrains every member; otherwise it is not
  /// read. Throws core::Error on empty grids, a size mismatch (the signs included) or an
  /// XGBoost failure (naming the C API call).
  static AccuracyPredictor fit(const std::vector<float>& x, std::size_t cols, const std::vector<float>& y,
                               const PredictorOptions& options, core::Rng& rng,
                               const std::vector<int>& monotone);

  /// Mean and spread for rows of cols() features (x.size() a multiple of cols()).
  Prediction predict(const std::vector<float>& x) const;

  /// predictor.json + member-<k>.ubj in `dir` (created), written atomically file by file.
  /// `fingerprint` and `features` identify the encoding (FeatureEncoder); `meta`'s members
  /// (an object or null) are added to predictor.json.
  void save(const std::string& dir, const std::string& fingerprint, const std::vector<std::string>& features,
            const core::Json& meta = core::Json()) const;
  void save(const std::string& dir, const FeatureEncoder& encoder, const core::Json& meta = core::Json()) const {
    save(dir, encoder.fingerprint(), encoder.names(), meta);
  }
  /// Reads what save() wrote. Refuses (core::Error naming <dir>/predictor.json) another
  /// format, another fingerprint or feature count, and a damaged member file.
  static AccuracyPredictor load(const std::string& dir, const std::string& fingerprint, std::size_t cols);
  static AccuracyPredictor load(const std::string& dir, const FeatureEncoder& encoder) {
    return load(dir, encoder.fingerprint(), encoder.size());
  }
  /// predictor.json as save() wrote it (for its meta members), checked to be one.
  static core::Json read_info(const std::string& dir);

  std::size_t cols() const { return cols_; }
  const std::vector<MemberParams>& members() const { return params_; }
  /// Threads of predict() (>= 1). fit() sets options.threads; load() sets 1.
  void set_threads(int threads) { threads_ = threads < 1 ? 1 : threads; }

  AccuracyPredictor(AccuracyPredictor&&) noexcept;
  AccuracyPredictor& operator=(AccuracyPredictor&&) noexcept;
  ~AccuracyPredictor();

 private:
  AccuracyPredictor();
  std::vector<std::unique_ptr<detail::XgbRegressor>> members_;
  std::vector<MemberParams> params_;
  std::size_t rows_ = 0;  // training rows (a bootstrap resample keeps the count)
  std::size_t cols_ = 0;
  int threads_ = 1;
};

/// How well predictions rank and match what was measured.
struct PredictorMetrics {
  int n = 0;
  double kendall_tau = 0;  ///< tau-b (core/stats.h)
  double mae = 0;          ///< mean absolute error, in the labels' units
};
PredictorMetrics score_predictions(const std::vector<double>& predicted, const std::vector<double>& actual);

}  // namespace tinynas::nas
