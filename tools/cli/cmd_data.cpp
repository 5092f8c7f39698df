// tinynas data summary RECIPE: the data stage on its own. Reads and splits the dataset
// the recipe names, prints what was loaded, and runs the training loader (with
// augmentation) over full epochs to report its throughput.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "args.h"
#include "command.h"
#include "tinynas/config/load.h"
#include "tinynas/core/text.h"
#include "tinynas/data/dataset.h"

namespace tinynas::cli {
namespace {

std::string floats(const std::vector<float>& v) {
  std::string s = "[";
  char buf[32];
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%.4f", i ? ", " : "", static_cast<double>(v[i]));
    s += buf;
  }
  return s + "]";
}

// Per-channel mean/std of raw pixels on the [0,1] scale.
void pixel_stats(const data::ImageSet& s, std::vector<float>& mean, std::vector<float>& std) {
  const auto C = static_cast<std::size_t>(s.channels);
  std::vector<double> sum(C, 0), sq(C, 0);
  for (std::size_t i = 0; i < s.pixels.size(); ++i) {
    double v = s.pixels[i] / 255.0;
    sum[i % C] += v;
    sq[i % C] += v * v;
  }
  const double n = static_cast<double>(s.pixels.size() / C);
  mean.assign(C, 0);
  std.assign(C, 0);
  for (std::size_t c = 0; c < C && n > 0; ++c) {
    double m = sum[c] / n;
    mean[c] = static_cast<float>(m);
    std[c] = static_cast<float>(std::sqrt(std::max(0.0, sq[c] / n - m * m)));
  }
}

void print_split(const char* label, const data::ImageSet& s) {
  std::printf("  %-6s %7zu images", label, s.size());
  if (s.size() > 0) {
    auto counts = s.class_counts();
    auto [lo, hi] = std::minmax_element(counts.begin(), counts.end());
    std::printf("   per class %zu..%zu", *lo, *hi);
  }
  std::printf("\n");
}

}  // namespace

Command data_summary_command() {
  Command c;
  c.words = {"data", "summary"};
  c.synopsis = "RECIPE [--set KEY=VALUE]... [--epochs N]";
  c.summary = "load, split and summarise the recipe's dataset; time the augmented loader";
  c.help =
      "Reads the dataset named by the recipe's data section (see datasets/README.md),\n"
      "applies train_limit/test_limit and the stratified train/val split, and prints\n"
      "sizes, classes and pixel statistics. Then runs the training loader (random crop,\n"
      "flip, normalisation, data.workers prefetch threads) over N epochs and reports\n"
      "images/s and the mean/std of the normalised batches (should be near 0 and 1).\n\n"
      "options:\n"
      "  --set KEY=VALUE   override a recipe key (repeatable)\n"
      "  --epochs N        loader epochs to time (default 1; 0 skips the loader)\n";
  c.run = [](const std::vector<std::string>& args) {
    auto a = parse_args(args, {{"--set", true, true}, {"--epochs", true, false}}, 1, 1);
    const auto epochs = a.get_int("--epochs", 1, 0, 1000);
    auto recipe = config::load_recipe(a.positional[0], a.all("--set"));

    auto t0 = std::chrono::steady_clock::now();
    auto sets = data::open_datasets(recipe.data, recipe.source);
    double read_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    const auto& tr = sets.train;
    std::printf("dataset  %s  (%s, read in %.2f s)\n", recipe.data.dataset.c_str(),
                sets.root.c_str(), read_s);
    std::printf("images   %dx%dx%d, %d classes\n", tr.height, tr.width, tr.channels,
                tr.num_classes);
    if (!tr.class_names.empty())
      std::printf("classes  %s\n", core::join(tr.class_names, ", ").c_str());
    std::printf("splits   (val_fraction %.3g, split_seed %lld)\n", recipe.data.val_fraction,
                static_cast<long long>(recipe.data.split_seed));
    print_split("train", tr);
    print_split("val", sets.val);
    print_split("test", sets.test);
    std::vector<float> mean, std;
    pixel_stats(tr, mean, std);
    std::printf("pixels   train mean %s std %s\n", floats(mean).c_str(), floats(std).c_str());
    std::printf("normalize mean %s std %s\n", floats(sets.normalization.mean).c_str(),
                floats(sets.normalization.std).c_str());
    std::printf("augment  crop_padding %d, hflip %s\n", recipe.data.augment.crop_padding,
                recipe.data.augment.hflip ? "on" : "off");
    if (epochs == 0 || tr.size() == 0) return 0;

    auto opts = data::make_loader_options(recipe.data, sets.normalization, true,
                                          recipe.train.batch_size,
                                          static_cast<std::uint64_t>(recipe.train.seed));
    data::BatchLoader loader(tr, opts);
    double sum = 0, sq = 0, count = 0;
    std::size_t images = 0;
    t0 = std::chrono::steady_clock::now();
    for (std::int64_t e = 0; e < epochs; ++e) {
      loader.start_epoch(e);
      while (auto b = loader.next()) {
        images += static_cast<std::size_t>(b->n);
        if (e == 0 && b->index == 0)
          for (float v : b->images) sum += v, sq += static_cast<double>(v) * v, ++count;
      }
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double m = sum / count;
    std::printf("loader   %lld epoch(s), %zu images, batch %d, %d worker(s): %.2f s, %s images/s\n",
                static_cast<long long>(epochs), images, opts.batch_size, opts.workers, s,
                core::human_count(static_cast<double>(images) / s).c_str());
    std::printf("batch 0  normalised mean %.3f std %.3f\n", m, std::sqrt(std::max(0.0, sq / count - m * m)));
    return 0;
  };
  return c;
}

}  // namespace tinynas::cli
