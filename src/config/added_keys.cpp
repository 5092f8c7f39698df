#include "tinynas/config/load.h"

namespace tinynas::config {

const std::vector<std::pair<std::string, std::string>>& added_keys() {
  // Most came in at their default. predictor.bootstrap came in at true (its default is
  // false since) and predictor.monotone at true, but false is what ran before it existed.
  static const std::vector<std::pair<std::string, std::string>> kAdded = {
      {"run.params_k", "0"}, {"export.ignore_limits", "false"}, {"export.target", "m7"}, {"export.mcu_mhz", "216"},
      {"run.latency_ms", "0"}, {"sparsenas.strategy", "random"}, {"sparsenas.evaluations", "3000"},
      {"sparsenas.population", "100"}, {"sparsenas.parents", "20"}, {"sparsenas.mutation_prob", "0.1"},
      {"sparsenas.crossover_share", "0.5"}, {"sparsenas.generations", "30"},
      {"sparsenas.objectives", "accuracy,latency"}, {"sparsenas.pick", "best"}, {"sparsenas.pick_accuracy", "0"},
      {"sparsenas.fitness_images", "0"}, {"sparsenas.mobo_init", "40"}, {"sparsenas.mobo_batch", "10"},
      {"sparsenas.mobo_kappa", "1"}, {"sparsenas.mobo_population", "100"}, {"sparsenas.mobo_generations", "20"},
      {"predictor.ensemble", "5"},
      {"predictor.estimators", "[100, 400, 800, 1000]"}, {"predictor.depth", "[3, 6, 12]"},
      {"predictor.learning_rate", "[0.01, 0.1, 0.5]"}, {"predictor.bootstrap", "true"}, {"predictor.threads", "0"},
      {"predictor.monotone", "false"},
      {"train.zero_init_residual", "false"}, {"distributed.nproc", "0"}};
  return kAdded;
}

}  // namespace tinynas::config
