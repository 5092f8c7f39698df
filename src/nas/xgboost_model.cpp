#include "xgboost_model.h"

#include <xgboost/c_api.h>

#include <cmath>
#include <memory>
#include <numeric>
#include <string>
#include <utility>

#include "tinynas/core/error.h"
#include "tinynas/core/text.h"

namespace tinynas::nas::detail {
namespace {

// Every C API call goes through this: rc != 0 becomes an error naming the call.
void check(int rc, const char* call) {
  if (rc != 0) {
    const char* msg = XGBGetLastError();
    throw core::Error(std::string(call) + ": " + (msg && *msg ? msg : "failed"));
  }
}
#define TINYNAS_XGB_CALL(call, args) check(call args, #call)

struct DMatrixFree {
  void operator()(void* h) const { XGDMatrixFree(h); }
};
using DMatrix = std::unique_ptr<void, DMatrixFree>;

DMatrix dense_matrix(const float* x, std::size_t rows, std::size_t cols) {
  DMatrixHandle h = nullptr;
  TINYNAS_XGB_CALL(XGDMatrixCreateFromMat, (x, bst_ulong(rows), bst_ulong(cols), std::nanf(""), &h));
  return DMatrix(h);
}

struct BoosterGuard {  // frees a booster that never reached its XgbRegressor
  BoosterHandle h = nullptr;
  ~BoosterGuard() {
    if (h) XGBoosterFree(h);
  }
  BoosterHandle release() { return std::exchange(h, nullptr); }
};

void set(BoosterHandle b, const char* name, const std::string& value) {
  const int rc = XGBoosterSetParam(b, name, value.c_str());
  if (rc != 0) check(rc, (std::string("XGBoosterSetParam(") + name + "=" + value + ")").c_str());
}

// "(0,-1,...)": the tuple syntax monotone_constraints takes.
std::string constraint_tuple(const std::vector<int>& signs) {
  std::string t = "(";
  for (std::size_t i = 0; i < signs.size(); ++i) t += (i ? "," : "") + std::to_string(signs[i]);
  return t + ")";
}

}  // namespace

XgbRegressor::XgbRegressor(XgbRegressor&& o) noexcept
    : booster_(std::exchange(o.booster_, nullptr)), cols_(o.cols_), threads_(o.threads_) {}

XgbRegressor& XgbRegressor::operator=(XgbRegressor&& o) noexcept {
  if (this != &o) {
    if (booster_) XGBoosterFree(booster_);
    booster_ = std::exchange(o.booster_, nullptr);
    cols_ = o.cols_;
    threads_ = o.threads_;
  }
  return *this;
}

XgbRegressor::~XgbRegressor() {
  if (booster_) XGBoosterFree(booster_);
}

XgbRegressor XgbRegressor::train(const float* x, std::size_t rows, std::size_t cols, const float* y,
                                 const XgbParams& p) {
  if (rows == 0 || cols == 0) throw core::Error("XgbRegressor::train: no rows or no features");
  if (p.estimators < 1) throw core::Error("XgbRegressor::train: estimators must be >= 1");
  if (!p.monotone.empty() && p.monotone.size() != cols)
    throw core::Error("XgbRegressor::train: " + std::to_string(p.monotone.size()) + " monotone signs for " +
                      std::to_string(cols) + " features");
  DMatrix dtrain = dense_matrix(x, rows, cols);
  TINYNAS_XGB_CALL(XGDMatrixSetFloatInfo, (dtrain.get(), "label", y, bst_ulong(rows)));
  BoosterGuard b;
  DMatrixHandle train_set[1] = {dtrain.get()};
  TINYNAS_XGB_CALL(XGBoosterCreate, (train_set, 1, &b.h));
  const double mean = std::accumulate(y, y + rows, 0.0) / double(rows);
  set(b.h, "booster", "gbtree");
  set(b.h, "objective", "reg:squarederror");
  set(b.h, "tree_method", "exact");
  set(b.h, "max_depth", std::to_string(p.depth));
  set(b.h, "eta", core::format_number("%.17g", p.eta));
  set(b.h, "base_score", core::format_number("%.9g", mean));
  set(b.h, "subsample", "1");
  set(b.h, "colsample_bytree", "1");
  set(b.h, "nthread", "1");
  set(b.h, "seed", "0");
  set(b.h, "verbosity", "0");
  if (!p.monotone.empty()) set(b.h, "monotone_constraints", constraint_tuple(p.monotone));
  for (int i = 0; i < p.estimators; ++i) TINYNAS_XGB_CALL(XGBoosterUpdateOneIter, (b.h, i, dtrain.get()));
  return XgbRegressor(b.release(), cols);
}

std::string XgbRegressor::save_ubj() const {
  bst_ulong len = 0;
  const char* data = nullptr;
  TINYNAS_XGB_CALL(XGBoosterSaveModelToBuffer, (booster_, R"({"format": "ubj"})", &len, &data));
  return std::string(data, std::size_t(len));  // the buffer belongs to the booster: copy
}

XgbRegressor XgbRegressor::load(const std::string& bytes, std::size_t cols) {
  BoosterGuard b;
  TINYNAS_XGB_CALL(XGBoosterCreate, (nullptr, 0, &b.h));
  TINYNAS_XGB_CALL(XGBoosterLoadModelFromBuffer, (b.h, bytes.data(), bst_ulong(bytes.size())));
  set(b.h, "nthread", "1");
  set(b.h, "verbosity", "0");
  bst_ulong features = 0;
  TINYNAS_XGB_CALL(XGBoosterGetNumFeature, (b.h, &features));
  if (std::size_t(features) != cols)
    throw core::Error("XGBoosterGetNumFeature: the model takes " + std::to_string(features) +
                      " features, expected " + std::to_string(cols));
  return XgbRegressor(b.release(), cols);
}

std::vector<float> XgbRegressor::predict(const float* x, std::size_t rows, std::size_t cols, int threads) const {
  if (cols != cols_)
    throw core::Error("XgbRegressor::predict: rows of " + std::to_string(cols) + " features, the model takes " +
                      std::to_string(cols_));
  if (rows == 0) return {};
  if (threads < 1) threads = 1;
  if (threads != threads_) {
    set(booster_, "nthread", std::to_string(threads));
    threads_ = threads;
  }
  DMatrix m = dense_matrix(x, rows, cols);
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  TINYNAS_XGB_CALL(XGBoosterPredictFromDMatrix,
          (booster_, m.get(),
           R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})",
           &shape, &dim, &out));
  bst_ulong n = 1;
  for (bst_ulong i = 0; i < dim; ++i) n *= shape[i];
  if (std::size_t(n) != rows)
    throw core::Error("XGBoosterPredictFromDMatrix: " + std::to_string(n) + " predictions for " +
                      std::to_string(rows) + " rows");
  return std::vector<float>(out, out + rows);  // the buffer belongs to the booster: copy
}

}  // namespace tinynas::nas::detail
