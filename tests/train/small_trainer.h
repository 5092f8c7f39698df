// What an in-process SupernetTrainer test needs on the small supernet (train_fixtures.h):
// options (batch 16, one CPU thread, no progress, everything under `dir`) and a few random
// Fashion-MNIST-shaped images. Tests change the recipe through options.recipe.
#pragma once

#include "data/synthetic.h"
#include "support/temp_dir.h"
#include "tinynas/train/trainer.h"
#include "train/train_fixtures.h"

namespace tinynas::testing {

inline train::TrainerOptions small_trainer_options(const TempDir& dir) {
  const auto def = tinyformer_space();
  train::TrainerOptions to;
  config::Recipe& r = to.recipe;
  r.data.workers = 0;
  r.space.supernet = space::to_string(space::parse_supernet(kSmallSupernet, def), def);
  r.train.batch_size = 16;
  r.train.threads = 1;
  r.train.device = "cpu";
  r.run.dir = dir.file("runs");
  to.out_dir = dir.file("supernet");
  to.supernet_text = r.space.supernet;
  to.progress = false;
  return to;
}

/// 32 training and 16 validation images.
inline data::Datasets small_datasets() {
  data::Datasets sets;
  sets.train = random_images(32, 28, 28, 1, 10, 3);
  sets.val = random_images(16, 28, 28, 1, 10, 4);
  sets.normalization = data::default_normalization("fashion-mnist", 1);
  return sets;
}

}  // namespace tinynas::testing
