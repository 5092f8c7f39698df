// tinynas sparsenas quantize: INT8 PTQ of the SparseNAS result (nas/ptq.h). Writes the
// int8 IR (the input of export) and the float vs int8 accuracy measured with the runtime's
// kernels.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "args.h"
#include "command.h"
#include "space_context.h"
#include "tinynas/core/error.h"
#include "tinynas/cost/cost.h"
#include "tinynas/cost/recipe_cost.h"
#include "tinynas/cost/sparse_coding.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/json.h"
#include "tinynas/export/model_data.h"
#include "tinynas/nas/ptq.h"
#include "tinynas/nas/saved_subnet.h"
#include "tinynas/space/arch.h"

namespace tinynas::cli {
namespace {

int run_quantize(const std::vector<std::string>& args) {
  const auto a = parse_args(args,
                            {{"--set", true, true},
                             {"--subnet", true, false},
                             {"--out", true, false},
                             {"--split", true, false},
                             {"--limit", true, false},
                             {"--threads", true, false}},
                            1, 1);
  const SpaceContext ctx = load_space_context(a);
  const config::Recipe& recipe = ctx.recipe;
  const std::string run_dir = recipe.run.dir + "/" + recipe.run.name;
  const std::string subnet_dir = a.get("--subnet", run_dir + "/sparsenas/final");
  const std::string out_dir = a.get("--out", run_dir + "/quant");
  if (!core::is_regular_file(subnet_dir + "/subnet.json"))
    throw core::Error(subnet_dir + "/subnet.json not found: run 'tinynas sparsenas finetune' "
                      "first, or name a saved subnet with --subnet DIR");
  nas::PtqOptions o;
  o.quant = recipe.quant;
  o.data = recipe.data;
  o.seed = std::uint64_t(recipe.train.seed);
  o.eval_split = a.get("--split", "auto");
  o.eval_limit = a.get_int("--limit", 0, 0, 100000000);
  o.threads = int(a.get_int("--threads", 0, 0, 1024));
  if (o.eval_split != "auto" && o.eval_split != "test" && o.eval_split != "val")
    throw UsageError("--split: expected test, val or auto, got '" + o.eval_split + "'");

  nas::SavedSubnet s = nas::load_subnet(subnet_dir, ctx.def);
  const data::Datasets sets = data::open_datasets(recipe.data, recipe.source);
  const auto in = s.layout.input;
  if (sets.train.channels != in.c || sets.train.height != in.h || sets.train.width != in.w)
    throw core::Error(subnet_dir + "/subnet.json: the subnet takes " + space::to_string(in) +
                      " images, the recipe's dataset has " + std::to_string(sets.train.height) +
                      "x" + std::to_string(sets.train.width) + "x" +
                      std::to_string(sets.train.channels));
  std::fprintf(stderr, "quantizing %s %s (calibration %s on %d images)\n",
               space::to_string(s.arch, s.layout).c_str(),
               space::to_string(s.sparse, s.layout).c_str(), o.quant.calibration.c_str(),
               o.quant.calib_images);
  nas::PtqResult r = nas::quantize_subnet(s.model, s.layout, s.sparse, sets, o);

  core::Json q = core::Json::object();
  q["subnet"] = subnet_dir;
  q["arch"] = space::to_string(s.arch, s.layout);
  q["sparse"] = space::to_string(s.sparse, s.layout);
  q["calibration"] = o.quant.calibration;
  if (o.quant.calibration == "percentile") q["percentile"] = o.quant.percentile;
  q["calib_images"] = r.calib_images;
  q["equalized_channels"] = r.equalized_channels;
  q["eval_split"] = r.eval_split;
  q["eval_images"] = r.eval_images;
  q["float_accuracy"] = r.float_accuracy;
  q["int8_accuracy"] = r.int8_accuracy;
  q["ptq_drop"] = r.drop();
  q["agreement"] = r.agreement;
  for (const char* key : {"dense_accuracy", "pruned_accuracy", "achieved_sparsity"})
    if (const core::Json* v = s.info.find(key)) q[key] = *v;
  // The cost model on the graph being exported, with the int8 weights' real zero blocks
  // (export.storage picks the weight storage): the flash `tinynas export` will link.
  cost::CostOptions co = cost::cost_options_of(recipe);
  for (std::size_t i = 0; i < r.model.graph.ops.size(); ++i)
    co.block_nonzero.push_back(exporter::weight_block_mask(r.model, i));
  const cost::Cost c = cost::evaluate(r.model.graph, co);
  q["params"] = c.params;
  q["effective_params"] = c.effective_params;
  q["flash"] = c.flash;
  q["peak_sram"] = c.peak_sram;
  q["predicted_instructions"] = c.instructions;  // on export.target (cost/latency.h)
  q["macs"] = c.macs;
  q["effective_macs"] = c.effective_macs;
  q["payload_bytes"] = r.model.payload_bytes();
  r.model.info = q;
  // Per-tensor errors go to quant.json only (not into the model's provenance).
  core::Json report = q;
  core::Json errors = core::Json::array();
  for (const auto& e : r.tensor_errors) {
    core::Json x = core::Json::object();
    x["tensor"] = e.name;
    x["sqnr_db"] = std::min(e.sqnr_db, 200.0);  // exact tensors (the input) read 200
    x["clipped"] = e.clipped;
    errors.push_back(x);
  }
  report["tensor_error_images"] = r.error_images;
  report["tensor_errors"] = errors;
  core::Json per_class = core::Json::array();  // the same images as int8_accuracy
  for (const auto& c : r.per_class) {
    core::Json x = core::Json::object();
    x["class"] = c.name;
    x["images"] = c.images;
    x["float_accuracy"] = c.images ? double(c.float_correct) / double(c.images) : 0.0;
    x["int8_accuracy"] = c.images ? double(c.int8_correct) / double(c.images) : 0.0;
    per_class.push_back(x);
  }
  report["per_class"] = per_class;
  std::filesystem::create_directories(out_dir);
  compress::save_quantized(r.model, out_dir + "/model.tnnq");
  core::write_file_atomic(out_dir + "/quant.json", report.dump_pretty() + "\n");

  std::printf("%s split, %lld images: float (pruned) %.2f%%, int8 %.2f%%, PTQ drop %.2f points, "
              "same top-1 on %.2f%%\nwrote %s/model.tnnq, quant.json\n",
              r.eval_split.c_str(), (long long)r.eval_images, 100 * r.float_accuracy,
              100 * r.int8_accuracy, 100 * r.drop(), 100 * r.agreement, out_dir.c_str());
  // Where precision goes: the tensors whose SQNR falls most below their producer's input.
  auto worst = r.tensor_errors;
  std::sort(worst.begin(), worst.end(), [](const auto& a, const auto& b) { return a.sqnr_db < b.sqnr_db; });
  if (worst.size() > 3) worst.resize(3);
  std::printf("lowest SQNR over %lld images:", (long long)r.error_images);
  for (const auto& e : worst)
    std::printf(" %s %.1f dB (%.2f%% clipped);", e.name.c_str(), e.sqnr_db, 100 * e.clipped);
  std::printf(" all in quant.json\n");
  return 0;
}

const char* kHelp =
    "INT8 post-training quantization of a saved subnet (default: the SparseNAS result,\n"
    "run.dir/run.name/sparsenas/final/). BatchNorm is folded; weights become int8\n"
    "symmetric per output channel, activations int8 asymmetric per tensor from\n"
    "quant.calib_images training images (quant.calibration: minmax or percentile),\n"
    "biases int32, rescaling fixed-point; LayerNorm runs as Scaled-LayerNorm, softmax\n"
    "through the runtime's exp table. The float graph and the int8 model, run by the\n"
    "runtime's C kernels (what the exported model runs), are scored on the same images.\n"
    "\n"
    "Writes to run.dir/run.name/quant/ (or --out): model.tnnq (the int8 graph IR, the\n"
    "input of export) and quant.json (accuracies, PTQ drop, cost figures).\n"
    "\n"
    "options:\n"
    "  --set KEY=VALUE  override a recipe key (repeatable), e.g. --set quant.calibration=percentile\n"
    "  --subnet DIR     the saved subnet to quantize (subnet.json, model.pt)\n"
    "  --out DIR        output directory\n"
    "  --split S        images scored: test, val or auto (test when the dataset has one)\n"
    "  --limit N        score at most N images (0 = all)\n"
    "  --threads N      integer evaluation threads (0 = all cores)\n";

}  // namespace

Command sparsenas_quantize_command() {
  return {{"sparsenas", "quantize"},
          "RECIPE [--set KEY=VALUE]... [--subnet DIR] [--out DIR] [--split S] [--limit N]",
          "INT8 PTQ of the SparseNAS result, accuracy measured with the runtime's kernels",
          kHelp, run_quantize};
}

}  // namespace tinynas::cli
