// tinynas space sample|stats|blocks: the search space on its own, no training. Loads the
// recipe's space file, resolves its supernet for the dataset's input shape and reports
// sampled paths with their costs under the recipe's MCU limits.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "args.h"
#include "command.h"
#include "space_context.h"
#include "tinynas/config/load.h"
#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/text.h"
#include "tinynas/cost/path_cost.h"
#include "tinynas/cost/recipe_cost.h"
#include "tinynas/data/dataset.h"
#include "tinynas/space/arch.h"
#include "tinynas/space/layout.h"

namespace tinynas::cli {
namespace {

const std::vector<OptionSpec> kCommon = {
    {"--set", true, true}, {"--input", true, false}, {"--classes", true, false},
    {"--seed", true, false}, {"--any-supernet", false, false}};

space::SupernetLayout layout_of(const SpaceContext& ctx, const space::SupernetConfig& cfg) {
  return space::make_layout(ctx.def, cfg, ctx.input, ctx.classes);
}

space::SupernetConfig recipe_supernet(const SpaceContext& ctx) {
  try {
    return space::parse_supernet(ctx.recipe.space.supernet, ctx.def);
  } catch (const core::Error& e) {
    core::rethrow_with_context("space.supernet", e);
  }
}

std::string kib(std::int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", double(bytes) / 1024.0);
  return buf;
}

void print_header(const SpaceContext& ctx) {
  std::printf("space %s (%s): %s\n", ctx.def.id.c_str(), ctx.def.name.c_str(),
              ctx.def.source.c_str());
  std::printf("input %dx%dx%d, %d classes; limits: SRAM %s KiB, flash %s KiB", ctx.input.h, ctx.input.w,
              ctx.input.c, ctx.classes, kib(ctx.limits.sram_bytes).c_str(), kib(ctx.limits.flash_bytes).c_str());
  if (ctx.recipe.run.latency_ms > 0)
    std::printf(", latency %g ms at %g MHz", ctx.recipe.run.latency_ms, ctx.recipe.export_.mcu_mhz);
  std::printf("\n");
}

std::uint64_t seed_of(const SpaceContext& ctx, const ParsedArgs& a) {
  return std::uint64_t(a.get_int("--seed", ctx.recipe.train.seed, 0, (1LL << 53)));
}

int run_sample(const std::vector<std::string>& args) {
  auto opts = kCommon;
  opts.push_back({"-n", true, false});
  opts.push_back({"--dense", false, false});
  const auto a = parse_args(args, opts, 1, 1);
  const auto n = a.get_int("-n", 10, 1, 1000000);
  const SpaceContext ctx = load_space_context(a);
  const auto choices =
      space::sparse_choices(ctx.recipe.sparsenas.sparsity, ctx.recipe.sparsenas.block);
  core::Rng rng(core::derive_seed(seed_of(ctx, a), 0x5a3e, 0, 0));
  const bool any = a.has("--any-supernet");
  const bool dense = a.has("--dense");

  print_header(ctx);
  std::optional<space::SupernetLayout> fixed;
  if (!any) {
    fixed = layout_of(ctx, recipe_supernet(ctx));
    std::printf("supernet %s: %d choice blocks, %s paths\n",
                space::to_string(fixed->config, ctx.def).c_str(), fixed->num_choice_blocks(),
                core::human_count(fixed->path_count()).c_str());
  }
  std::printf("%s\n", dense ? "dense paths" :
                              "sparse configs drawn from sparsenas.sparsity x sparsenas.block");
  const cost::CostOptions co = cost::cost_options_of(ctx.recipe);
  const double mhz = ctx.recipe.export_.mcu_mhz;
  std::printf("latency: predicted on the %s at %g MHz (cost/latency.h)\n", co.target.c_str(), mhz);
  std::printf("\n%4s %9s %9s %9s %9s %9s %8s %4s  %s\n", "#", "params", "eff.par", "MACs", "SRAM KiB",
              "flash KiB", "ms", "fits", any ? "supernet / arch / sparse" : "arch / sparse");
  int fitting = 0;
  for (long long i = 0; i < n; ++i) {
    std::optional<space::SupernetLayout> sampled;
    if (any) sampled = layout_of(ctx, space::sample_supernet(ctx.def, rng));
    const space::SupernetLayout& l = any ? *sampled : *fixed;
    const space::Arch arch = space::sample_arch(l, rng);
    const space::SparseConfig sp = dense ? space::dense_config(l) : space::sample_sparse(l, choices, rng);
    const cost::Cost c = cost::evaluate_path(l, arch, &sp, co);
    const bool ok = cost::fits(c, ctx.limits);
    fitting += ok;
    std::printf("%4lld %9s %9s %9s %9s %9s %8.2f %4s  ", i + 1, core::human_count(double(c.params)).c_str(),
                core::human_count(double(c.effective_params)).c_str(),
                core::human_count(double(c.macs)).c_str(), kib(c.peak_sram).c_str(),
                kib(c.flash).c_str(), c.latency_ms(mhz), ok ? "yes" : "no");
    if (any) std::printf("%s ", space::to_string(l.config, ctx.def).c_str());
    std::printf("%s", space::to_string(arch, l).c_str());
    if (!dense) std::printf(" %s", space::to_string(sp, l).c_str());
    std::printf("\n");
  }
  std::printf("\n%d of %lld fit the limits\n", fitting, n);
  return 0;
}

// Values of one figure; quantiles need them sorted (sort() once, after collecting).
struct Distribution {
  std::vector<double> v;
  void sort() { std::sort(v.begin(), v.end()); }
  double q(double p) const {
    return v.empty() ? 0 : v[std::size_t(std::lround(p * double(v.size() - 1)))];
  }
};

int run_stats(const std::vector<std::string>& args) {
  auto opts = kCommon;
  opts.push_back({"--samples", true, false});
  const auto a = parse_args(args, opts, 1, 1);
  const auto samples = a.get_int("--samples", 1000, 1, 10000000);
  const SpaceContext ctx = load_space_context(a);
  const auto choices =
      space::sparse_choices(ctx.recipe.sparsenas.sparsity, ctx.recipe.sparsenas.block);
  core::Rng rng(core::derive_seed(seed_of(ctx, a), 0x57a7, 0, 0));
  const bool any = a.has("--any-supernet");

  print_header(ctx);
  std::printf("\nhyper-parameters (%s supernets):\n",
              core::human_count(space::supernet_count(ctx.def)).c_str());
  for (const auto& h : ctx.def.hyper) {
    std::vector<std::string> vs;
    for (auto v : h.choices) vs.push_back(std::to_string(v));
    std::printf("  %-6s {%s}  default %lld\n", h.name.c_str(), core::join(vs, ", ").c_str(),
                static_cast<long long>(h.default_value));
  }
  const space::SupernetLayout l = layout_of(ctx, recipe_supernet(ctx));
  const double sparse_per_block = double(choices.percents.size() * choices.blocks.size());
  std::printf("\nsupernet %s: %d choice blocks, %s paths, %s (path, sparse config) pairs\n",
              space::to_string(l.config, ctx.def).c_str(), l.num_choice_blocks(),
              core::human_count(l.path_count()).c_str(),
              core::human_count(l.path_count() * std::pow(sparse_per_block, l.num_choice_blocks()))
                  .c_str());
  for (int f = 0; f < l.num_choice_blocks(); ++f) {
    const auto& cb = l.block(f);
    std::printf("  %-22s %d -> %d channels, %zu candidates\n", cb.label.c_str(), cb.in, cb.out,
                cb.candidates.size());
    for (std::size_t k = 0; k < cb.candidates.size() && k < 12; ++k)
      std::printf("      %c%zu %s\n", cb.letter, k, cb.candidates[k].summary().c_str());
    if (cb.candidates.size() > 12) std::printf("      ... %zu more\n", cb.candidates.size() - 12);
  }

  Distribution params, eff, macs, flash, sram_d, flash_d, ms_d, ms;
  long long fit_dense = 0, fit_sparse = 0;
  const cost::CostOptions co = cost::cost_options_of(ctx.recipe);
  const double mhz = ctx.recipe.export_.mcu_mhz;
  for (long long i = 0; i < samples; ++i) {
    std::optional<space::SupernetLayout> sampled;
    if (any) sampled = layout_of(ctx, space::sample_supernet(ctx.def, rng));
    const space::SupernetLayout& pl = any ? *sampled : l;
    const space::Arch arch = space::sample_arch(pl, rng);
    const space::SparseConfig sp = space::sample_sparse(pl, choices, rng);
    const cost::Cost d = cost::evaluate_path(pl, arch, nullptr, co);
    const cost::Cost c = cost::evaluate_path(pl, arch, &sp, co);
    ms_d.v.push_back(d.latency_ms(mhz));
    ms.v.push_back(c.latency_ms(mhz));
    params.v.push_back(double(d.params));
    eff.v.push_back(double(c.effective_params));
    macs.v.push_back(double(d.macs));
    sram_d.v.push_back(double(d.peak_sram) / 1024.0);
    flash_d.v.push_back(double(d.flash) / 1024.0);
    flash.v.push_back(double(c.flash) / 1024.0);
    fit_dense += cost::fits(d, ctx.limits);
    fit_sparse += cost::fits(c, ctx.limits);
  }
  for (auto* d : {&params, &eff, &macs, &flash, &sram_d, &flash_d, &ms_d, &ms}) d->sort();
  std::printf("\ncosts of %lld sampled paths (%s):\n", samples,
              any ? "supernets sampled too" : "this supernet");
  std::printf("  %-24s %9s %9s %9s %9s %9s\n", "", "min", "p10", "median", "p90", "max");
  auto row = [](const char* name, const Distribution& d, bool counts) {
    std::printf("  %-24s", name);
    for (double p : {0.0, 0.1, 0.5, 0.9, 1.0}) {
      if (counts)
        std::printf(" %9s", core::human_count(d.q(p)).c_str());
      else
        std::printf(" %9.1f", d.q(p));
    }
    std::printf("\n");
  };
  row("params", params, true);
  row("effective params (sparse)", eff, true);
  row("MACs", macs, true);
  row("peak SRAM KiB", sram_d, false);
  row("flash KiB (dense)", flash_d, false);
  row("flash KiB (sparse)", flash, false);
  const std::string at = "ms on " + co.target + " @" + core::format_number("%g", mhz);
  row((at + " (dense)").c_str(), ms_d, false);
  row((at + " (sparse)").c_str(), ms, false);
  std::printf("\nwithin the limits: %.1f%% dense, %.1f%% with sampled sparse configs\n",
              100.0 * double(fit_dense) / double(samples),
              100.0 * double(fit_sparse) / double(samples));
  return 0;
}

int run_blocks(const std::vector<std::string>& args) {
  parse_args(args, {}, 0, 0);
  for (const auto& key : space::builtin_blocks().keys()) {
    const auto& t = space::builtin_blocks().at(key);
    std::printf("%s: %s\n", t.key.c_str(), t.doc.c_str());
    for (const auto& p : t.params) {
      std::string allowed = p.allowed.empty() ? "" : " {" + core::join(p.allowed, ", ") + "}";
      std::printf("    %-10s = %-8s %s%s\n", p.name.c_str(), space::to_string(p.default_value).c_str(),
                  p.doc.c_str(), allowed.c_str());
    }
  }
  return 0;
}

const char* kCommonHelp =
    "  --set KEY=VALUE   override a recipe key (repeatable), e.g. --set space.supernet=c1=32\n"
    "  --input HxWxC     input shape (default: the dataset's, e.g. 28x28x1 for fashion-mnist)\n"
    "  --classes K       number of classes (default: the dataset's)\n"
    "  --seed S          sampling seed (default: train.seed)\n"
    "  --any-supernet    also sample the supernet hyper-parameters (SuperNAS Algorithm 1)\n";

}  // namespace

Command space_sample_command() {
  Command c;
  c.words = {"space", "sample"};
  c.synopsis = "RECIPE [-n N] [--dense] [options]";
  c.summary = "sample paths (and sparse configs) of the recipe's supernet with their costs";
  c.help = std::string(
               "Samples N single paths uniformly from the supernet the recipe names\n"
               "(space.file, space.supernet) and a sparse config for each (from\n"
               "sparsenas.sparsity and sparsenas.block), and prints their cost for int8\n"
               "inference: parameters, effective parameters after pruning, MACs, peak SRAM\n"
               "of the runtime's memory plan and flash, and whether they fit run.sram_kb /\n"
               "run.flash_kb. Encodings are printed in their stable text form.\n\n"
               "options:\n"
               "  -n N              paths to sample (default 10)\n"
               "  --dense           no pruning (sparse configs all 0%)\n") +
           kCommonHelp;
  c.run = run_sample;
  return c;
}

Command space_stats_command() {
  Command c;
  c.words = {"space", "stats"};
  c.synopsis = "RECIPE [--samples N] [options]";
  c.summary = "size of the recipe's search space and the distribution of its costs";
  c.help = std::string(
               "Prints the space's hyper-parameters, the supernet's choice blocks and their\n"
               "candidates, the number of paths and (path, sparse config) pairs, and the\n"
               "min/p10/median/p90/max of params, MACs, peak SRAM and flash over sampled\n"
               "paths, with the share that fits the recipe's MCU limits.\n\n"
               "options:\n"
               "  --samples N       paths to sample (default 1000)\n") +
           kCommonHelp;
  c.run = run_stats;
  return c;
}

Command space_blocks_command() {
  Command c;
  c.words = {"space", "blocks"};
  c.synopsis = "";
  c.summary = "list the block types a space file can use, with their parameters";
  c.help = "Lists every block type of the registry, its parameters and their defaults.\n";
  c.run = run_blocks;
  return c;
}

}  // namespace tinynas::cli
