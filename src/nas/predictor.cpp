#include "tinynas/nas/predictor.h"

#include <cmath>
#include <filesystem>
#include <thread>

#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/stats.h"
#include "xgboost_model.h"

namespace tinynas::nas {
namespace {

constexpr const char* kFormat = "tinynas-predictor";
constexpr int kVersion = 1;

template <class T>
T draw(const std::vector<T>& grid, const char* key, core::Rng& rng) {
  if (grid.empty()) throw core::Error(std::string("predictor.") + key + " lists no value to draw from");
  return grid[std::size_t(rng.uniform_int(grid.size()))];
}

std::string member_file(std::size_t k) { return "member-" + std::to_string(k) + ".ubj"; }

}  // namespace

PredictorOptions PredictorOptions::from(const config::PredictorConfig& c) {
  PredictorOptions o;
  o.ensemble = c.ensemble;
  o.estimators = c.estimators;
  o.depth = c.depth;
  o.learning_rate = c.learning_rate;
  o.bootstrap = c.bootstrap;
  o.monotone = c.monotone;
  o.threads = c.threads;
  return o;
}

AccuracyPredictor::AccuracyPredictor() = default;
AccuracyPredictor::AccuracyPredictor(AccuracyPredictor&&) noexcept = default;
AccuracyPredictor& AccuracyPredictor::operator=(AccuracyPredictor&&) noexcept = default;
AccuracyPredictor::~AccuracyPredictor() = default;

AccuracyPredictor AccuracyPredictor::fit(const std::vector<float>& x, std::size_t cols, const std::vector<float>& y,
                                         const PredictorOptions& options, core::Rng& rng,
                                         const std::vector<int>& monotone) {
  const std::size_t rows = y.size();
  if (rows == 0 || cols == 0 || x.size() != rows * cols)
    throw core::Error("AccuracyPredictor::fit: " + std::to_string(x.size()) + " feature values for " +
                      std::to_string(rows) + " labels of " + std::to_string(cols) + " features");
  if (options.ensemble < 1) throw core::Error("predictor.ensemble must be at least 1");
  if (options.monotone && monotone.size() != cols)
    throw core::Error("AccuracyPredictor::fit: " + std::to_string(monotone.size()) + " monotone signs for " +
                      std::to_string(cols) + " features (pass FeatureEncoder::monotone(), or turn "
                      "predictor.monotone off)");
  AccuracyPredictor p;
  p.cols_ = cols;
  p.rows_ = rows;
  p.set_threads(options.threads > 0 ? options.threads : int(std::thread::hardware_concurrency()));
  std::vector<float> bx, by;
  for (int k = 0; k < options.ensemble; ++k) {
    MemberParams m;
    m.estimators = draw(options.estimators, "estimators", rng);
    m.depth = draw(options.depth, "depth", rng);
    m.learning_rate = draw(options.learning_rate, "learning_rate", rng);
    const float* tx = x.data();
    const float* ty = y.data();
    if (options.bootstrap) {
      bx.resize(rows * cols);
      by.resize(rows);
      for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t from = std::size_t(rng.uniform_int(rows));
        std::copy(x.begin() + std::ptrdiff_t(from * cols), x.begin() + std::ptrdiff_t((from + 1) * cols),
                  bx.begin() + std::ptrdiff_t(r * cols));
        by[r] = y[from];
      }
      tx = bx.data();
      ty = by.data();
    }
    detail::XgbParams xp;
    xp.estimators = m.estimators;
    xp.depth = m.depth;
    xp.eta = m.learning_rate;
    if (options.monotone) xp.monotone = monotone;
    p.members_.push_back(std::make_unique<detail::XgbRegressor>(detail::XgbRegressor::train(tx, rows, cols, ty, xp)));
    p.params_.push_back(m);
  }
  return p;
}

AccuracyPredictor::Prediction AccuracyPredictor::predict(const std::vector<float>& x) const {
  if (x.size() % cols_ != 0)
    throw core::Error("AccuracyPredictor::predict: " + std::to_string(x.size()) + " values are not rows of " +
                      std::to_string(cols_) + " features");
  const std::size_t rows = x.size() / cols_;
  Prediction out;
  out.mean.assign(rows, 0.0);
  out.stddev.assign(rows, 0.0);
  std::vector<std::vector<float>> each;
  for (const auto& m : members_) each.push_back(m->predict(x.data(), rows, cols_, threads_));
  const double n = double(each.size());
  for (std::size_t r = 0; r < rows; ++r) {
    double s = 0;
    for (const auto& e : each) s += e[r];
    const double mean = s / n;
    double v = 0;
    for (const auto& e : each) v += (e[r] - mean) * (e[r] - mean);
    out.mean[r] = mean;
    out.stddev[r] = std::sqrt(v / n);
  }
  return out;
}

void AccuracyPredictor::save(const std::string& dir, const std::string& fingerprint,
                             const std::vector<std::string>& features, const core::Json& meta) const {
  if (features.size() != cols_)
    throw core::Error("AccuracyPredictor::save: " + std::to_string(features.size()) + " feature names for " +
                      std::to_string(cols_) + " features");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) core::fail_file(dir, "cannot create the directory: " + ec.message());
  core::Json j = core::Json::object();
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["fingerprint"] = fingerprint;
  core::Json names = core::Json::array();
  for (const auto& f : features) names.push_back(f);
  j["features"] = names;
  j["rows"] = static_cast<unsigned long long>(rows_);
  core::Json members = core::Json::array();
  for (std::size_t k = 0; k < members_.size(); ++k) {
    core::write_file_atomic(dir + "/" + member_file(k), members_[k]->save_ubj());
    core::Json m = core::Json::object();
    m["file"] = member_file(k);
    m["estimators"] = params_[k].estimators;
    m["depth"] = params_[k].depth;
    m["learning_rate"] = params_[k].learning_rate;
    members.push_back(m);
  }
  j["members"] = members;
  if (meta.is_object())
    for (const auto& [key, value] : meta.items()) j[key] = value;
  // Last: a kill before here leaves no predictor.json that names missing members.
  core::write_file_atomic(dir + "/predictor.json", j.dump_pretty() + "\n");
}

core::Json AccuracyPredictor::read_info(const std::string& dir) {
  const std::string path = dir + "/predictor.json";
  if (!core::is_regular_file(path)) core::fail_file(path, "no predictor here (write one with 'tinynas predictor fit')");
  core::Json j = core::Json::parse(core::read_text_file(path), path);
  const core::Json* format = j.is_object() ? j.find("format") : nullptr;
  if (!format || !format->is_string() || format->as_string() != kFormat)
    core::fail_file(path, std::string("is not a saved predictor (format is not '") + kFormat + "')");
  const core::Json* version = j.find("version");
  if (!version || !version->is_int() || version->as_int() != kVersion)
    core::fail_file(path, "version: expected " + std::to_string(kVersion));
  return j;
}

AccuracyPredictor AccuracyPredictor::load(const std::string& dir, const std::string& fingerprint, std::size_t cols) {
  const std::string path = dir + "/predictor.json";
  const core::Json j = read_info(dir);
  AccuracyPredictor p;
  try {
    const std::string saved = j.at("fingerprint").as_string();
    const std::size_t features = j.at("features").size();
    if (saved != fingerprint || features != cols)
      throw core::Error("was fitted on another feature encoding (fingerprint " + saved + ", " +
                        std::to_string(features) + " features; this recipe and supernet give " + fingerprint +
                        ", " + std::to_string(cols) + "): fit it again for this supernet");
    p.cols_ = cols;
    p.rows_ = std::size_t(j.at("rows").as_int());
    const core::Json& members = j.at("members");
    if (members.size() == 0) throw core::Error("members: none");
    for (std::size_t k = 0; k < members.size(); ++k) {
      const core::Json& m = members[k];
      MemberParams mp;
      mp.estimators = int(m.at("estimators").as_int());
      mp.depth = int(m.at("depth").as_int());
      mp.learning_rate = m.at("learning_rate").as_double();
      const std::string file = dir + "/" + m.at("file").as_string();
      if (!core::is_regular_file(file)) core::fail_file(file, "missing (listed in predictor.json)");
      const auto bytes = core::read_file(file);
      try {
        p.members_.push_back(std::make_unique<detail::XgbRegressor>(
            detail::XgbRegressor::load(std::string(bytes.begin(), bytes.end()), cols)));
      } catch (const core::Error& e) {
        core::fail_file(file, e.what());
      }
      p.params_.push_back(mp);
    }
  } catch (const core::Error& e) {
    const std::string msg = e.what();
    if (msg.rfind(dir + "/member-", 0) == 0 || msg.rfind(dir + "/", 0) == 0) throw;
    core::fail_file(path, msg);
  }
  return p;
}

PredictorMetrics score_predictions(const std::vector<double>& predicted, const std::vector<double>& actual) {
  PredictorMetrics m;
  m.n = int(predicted.size());
  m.kendall_tau = core::kendall_tau(predicted, actual);
  m.mae = core::mean_abs_error(predicted, actual);
  return m;
}

}  // namespace tinynas::nas
