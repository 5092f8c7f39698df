// Cross-field checks. Each problem is collected, so one run reports all of them.
#include <utility>

#include "tinynas/config/load.h"
#include "tinynas/core/error.h"
#include "tinynas/core/text.h"
#include "tree.h"

namespace tinynas::config {
namespace {

std::string num(double v) { return detail::format_double(v); }

}  // namespace

void validate(const Recipe& recipe) {
  std::vector<std::string> problems;

  const NormalizeConfig& norm = recipe.data.normalize;
  if (norm.mean.size() != norm.std.size()) {
    problems.push_back("data.normalize.mean has " + std::to_string(norm.mean.size()) +
                       " values but data.normalize.std has " + std::to_string(norm.std.size()) +
                       "; give both per channel, or leave both empty");
  } else if (!norm.mean.empty() && norm.mean.size() != 1 && norm.mean.size() != 3) {
    problems.push_back("data.normalize.mean and data.normalize.std have " +
                       std::to_string(norm.mean.size()) +
                       " values; expected 1 (grayscale) or 3 (RGB)");
  }
  if (recipe.data.dataset == "image-folder" && recipe.data.root.empty()) {
    problems.push_back("data.root must name the image folder when data.dataset is image-folder");
  }

  const TrainConfig& train = recipe.train;
  if (train.warmup_lr > train.lr) {
    problems.push_back("train.warmup_lr (" + num(train.warmup_lr) + ") must not exceed train.lr (" +
                       num(train.lr) + ")");
  }
  if (train.min_lr > train.lr) {
    problems.push_back("train.min_lr (" + num(train.min_lr) + ") must not exceed train.lr (" +
                       num(train.lr) + ")");
  }

  const SuperNasConfig& supernas = recipe.supernas;
  if (supernas.lambda_lo > supernas.lambda_up) {
    problems.push_back("supernas.lambda_lo (" + num(supernas.lambda_lo) +
                       ") must not exceed supernas.lambda_up (" + num(supernas.lambda_up) + ")");
  }

  const SparseNasConfig& sparsenas = recipe.sparsenas;
  if (sparsenas.agp_start >= sparsenas.agp_end) {
    problems.push_back("sparsenas.agp_start (" + num(sparsenas.agp_start) +
                       ") must be less than sparsenas.agp_end (" + num(sparsenas.agp_end) + ")");
  }
  if (sparsenas.sparsity.empty()) {
    problems.push_back("sparsenas.sparsity must list at least one sparsity choice");
  }
  if (sparsenas.block.empty()) {
    problems.push_back("sparsenas.block must list at least one block size choice");
  }

  const PredictorConfig& predictor = recipe.predictor;
  for (const auto& [key, empty] : {std::pair<const char*, bool>{"estimators", predictor.estimators.empty()},
                                   {"depth", predictor.depth.empty()},
                                   {"learning_rate", predictor.learning_rate.empty()}})
    if (empty) problems.push_back(std::string("predictor.") + key + " must list at least one value");

  const std::string& name = recipe.run.name;
  if (name.empty()) {
    problems.push_back("run.name must not be empty");
  } else if (name.find('/') != std::string::npos || name == "." || name == "..") {
    // The name becomes one directory under run.dir; it must not point elsewhere.
    problems.push_back("run.name '" + name + "' must be a plain directory name (no '/', not . or ..)");
  }

  if (!problems.empty()) throw core::Error(core::join(problems, "; "));
}

}  // namespace tinynas::config
