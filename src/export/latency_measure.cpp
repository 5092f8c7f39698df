#include "tinynas/export/latency_measure.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>

#include "embedded_files.h"
#include "program_runs.h"
#include "tinynas/compress/random_model.h"
#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/rng.h"
#include "tinynas/core/stats.h"
#include "tinynas/core/text.h"
#include "tinynas/export/model_data.h"

namespace tinynas::exporter {
namespace {

constexpr int kMaxDraws = 400;
constexpr std::uint64_t kSampleStream = 0x1a7e'0001;
constexpr std::uint64_t kWeightStream = 0x1a7e'0002;
constexpr std::uint64_t kImageStream = 0x1a7e'0003;
// Repetitions of one prediction when timing it (a single call is below the clock's grain).
constexpr int kTimingRepeats = 20;

void say(const LatencyBenchOptions& o, const std::string& s) {
  if (o.log) o.log(s);
}

}  // namespace

LatencySource latency_source(const config::Recipe& recipe, space::Shape input, int classes) {
  LatencySource s;
  s.name = recipe.source;
  s.space = space::load_space(core::resolve_relative_to(recipe.source, recipe.space.file));
  s.supernet = recipe.space.supernet.empty() ? space::default_supernet(s.space)
                                             : space::parse_supernet(recipe.space.supernet, s.space);
  s.input = input;
  s.classes = classes;
  s.choices = space::sparse_choices(recipe.sparsenas.sparsity, recipe.sparsenas.block);
  s.storage = cost::parse_storage_policy(recipe.export_.storage);
  // fast's choice depends on the very tables measured and checked here; auto's (by size)
  // does not, and it runs both forms (coded wherever a layer is sparse enough).
  if (s.storage == cost::StoragePolicy::fastest) s.storage = cost::StoragePolicy::automatic;
  s.limits = cost::Limits::from_kb(recipe.run.sram_kb, recipe.run.flash_kb);
  return s;
}

LatencySample draw_latency_sample(const LatencySource& source, std::uint64_t seed, int index) {
  core::Rng rng(core::derive_seed(seed, kSampleStream, std::uint64_t(index)));
  cost::CostOptions co;
  co.storage = source.storage;
  co.latency = false;
  for (int d = 0; d < kMaxDraws; ++d) {
    const auto supernet = index % 2 == 0 ? source.supernet : space::sample_supernet(source.space, rng);
    LatencySample s{space::make_layout(source.space, supernet, source.input, source.classes), {}, {}};
    s.arch = space::sample_arch(s.layout, rng);
    s.sparse = space::sample_sparse(s.layout, source.choices, rng);
    if (cost::fits(cost::evaluate_path(s.layout, s.arch, &s.sparse, co), source.limits.memory_only())) return s;
  }
  throw core::Error(source.name + ": no (path, sparse config) within run.sram_kb / run.flash_kb in " +
                    std::to_string(kMaxDraws) + " draws");
}

LatencyBench::LatencyBench(LatencyBenchOptions options) : o_(std::move(options)) {
  for (const char* p : {"arm-none-eabi-gcc", "qemu-system-arm", "make"})
    if (!have_program(p)) throw core::Error(std::string("measuring latency needs ") + p + " (tools/setup.sh installs it)");
  if (o_.work_dir.empty()) throw core::Error("latency bench: no work directory");
}

MeasuredModel LatencyBench::measure(const compress::QuantizedModel& model, cost::StoragePolicy storage) {
  const std::string dir = o_.work_dir + "/project", tn = to_string(o_.target);
  ModelDataOptions mo;
  mo.storage = storage;
  mo.target = tn;
  mo.latency = false;
  ModelData data;
  if (!built_) {
    ProjectOptions po;
    po.target = o_.target;
    po.data = mo;
    po.enforce_limits = false;
    data = export_project(model, dir, po).data;
  } else {
    // Only the model changes: make rebuilds its object and main (which includes its header).
    data = build_model_data(model, mo);
    const std::string name = ProjectOptions().name;
    core::write_file_atomic(dir + "/" + model_header_path(name), model_header_source(model, data, name));
    core::write_file_atomic(dir + "/" + model_source_path(name), model_data_source(model, data, name));
  }
  const auto& g = model.graph;
  std::mt19937 gen(std::uint32_t(core::derive_seed(1, kImageStream)));
  std::string image(std::size_t(g.shape(g.input).numel()), '\0');
  for (auto& c : image) c = char(int(gen() % 256) - 128);
  std::filesystem::create_directories(dir + "/build");
  core::write_file_atomic(dir + "/build/latency_image.bin", image);

  auto r = run_command(make_command({"-s", tn}), o_.timeout_s, dir);
  require_success(r, dir);
  built_ = true;
  r = run_command(make_command({"-s", "run-" + tn, "IMAGES=build/latency_image.bin", "COUNT=1", "PROFILE=1"}),
                  o_.timeout_s, dir);
  require_success(r, dir + ": the " + std::string(mcu_cpu(o_.target)) + " run");
  const Run run = parse_run(r.output);
  const auto it = run.images.find(0);
  if (it == run.images.end() || it->second.icount < 0 || it->second.ops.size() != g.ops.size())
    throw core::Error(dir + ": the run printed no complete profile:\n" + tail(r.output));
  MeasuredModel m;
  m.instructions = it->second.icount;
  m.cost = data.cost;
  for (std::size_t i = 0; i < g.ops.size(); ++i) {
    cost::MeasuredOp op;
    const auto mask = weight_block_mask(model, i);
    op.features = cost::latency_features(g, g.ops[i], data.cost.ops[i], mask.empty() ? nullptr : &mask);
    op.instructions = it->second.ops.at(int(i)).icount;
    m.op_instructions += op.instructions;
    m.ops.push_back(std::move(op));
  }
  return m;
}

std::string embedded_runtime_hash() {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& f : embedded_files())
    if (f.name.rfind("runtime/", 0) == 0) files.emplace_back(f.name.substr(8), f.content);
  return cost::runtime_source_hash(std::move(files));
}

LatencyMeasurement measure_latency_table(const LatencyMeasureOptions& o) {
  LatencyBench bench(o.bench);
  std::vector<cost::MeasuredOp> ops;
  double per_op = 0;
  int models = 0;
  std::string measured;
  for (const auto& src : o.sources) {
    for (int i = 0; i < o.models_per_source; ++i) {
      const LatencySample s = draw_latency_sample(src, o.seed, i);
      const auto model = compress::random_int8_model(s.layout, s.arch, s.sparse,
                                                     core::derive_seed(o.seed, kWeightStream, std::uint64_t(i)));
      const MeasuredModel m = bench.measure(model, src.storage);
      say(o.bench, src.name + " model " + std::to_string(i + 1) + "/" + std::to_string(o.models_per_source) + ": " +
                       std::to_string(m.instructions) + " instructions, " + std::to_string(m.ops.size()) + " ops");
      per_op += double(m.instructions - m.op_instructions) / double(m.ops.size());
      ops.insert(ops.end(), m.ops.begin(), m.ops.end());
      ++models;
    }
    measured += (measured.empty() ? "" : ", ") + src.name;
  }
  if (models == 0) throw core::Error("latency measure: no models to measure");
  LatencyMeasurement r;
  cost::LatencyTable& t = r.table;
  t = cost::fit_latency_table(ops, per_op / models);
  t.target = to_string(o.bench.target);
  t.cpu = mcu_cpu(o.bench.target);
  t.board = mcu_board(o.bench.target);
  t.runtime_hash = embedded_runtime_hash();
  t.models = models;
  t.measured = std::to_string(o.models_per_source) + " untrained models of each of " + measured + " (seed " +
               std::to_string(o.seed) + ")";
  r.ops = std::move(ops);
  return r;
}

std::string measured_ops_csv(const std::vector<cost::MeasuredOp>& ops) {
  std::string s = "key,family,instructions,features\n";
  for (const auto& o : ops) {
    s += "\"" + o.features.key + "\",\"" + o.features.family + "\"," + std::to_string(o.instructions) + ",\"";
    for (std::size_t i = 0; i < o.features.names.size(); ++i)
      s += (i ? " " : "") + o.features.names[i] + "=" + core::format_number("%.17g", o.features.values[i]);
    s += "\"\n";
  }
  return s;
}

LatencyCheck check_latency(const cost::LatencyTable& table, const LatencySource& source, int models,
                           std::uint64_t seed, const LatencyBenchOptions& bench_options) {
  LatencyBench bench(bench_options);
  cost::CostOptions co;
  co.storage = source.storage;
  co.latency_table = &table;
  LatencyCheck c;
  std::vector<double> predicted, measured;
  double seconds = 0;
  for (int i = 0; i < models; ++i) {
    const LatencySample s = draw_latency_sample(source, seed, i);
    const auto t0 = std::chrono::steady_clock::now();
    std::int64_t p = 0;
    for (int r = 0; r < kTimingRepeats; ++r) p = cost::evaluate_path(s.layout, s.arch, &s.sparse, co).instructions;
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / kTimingRepeats;
    const auto model = compress::random_int8_model(s.layout, s.arch, s.sparse,
                                                   core::derive_seed(seed, kWeightStream, std::uint64_t(i)));
    LatencyCheckRow row;
    row.arch = space::to_string(s.arch, s.layout);
    row.sparse = space::to_string(s.sparse, s.layout);
    row.predicted = p;
    row.measured = bench.measure(model, source.storage).instructions;
    row.ape = std::fabs(double(row.predicted - row.measured)) / double(row.measured);
    say(bench_options, "model " + std::to_string(i + 1) + "/" + std::to_string(models) + ": predicted " +
                           std::to_string(row.predicted) + ", measured " + std::to_string(row.measured) + " (" +
                           core::format_number("%+.2f%%", 100.0 * double(row.predicted - row.measured) /
                                                              double(row.measured)) + ")");
    c.mape += row.ape;
    c.max_ape = std::max(c.max_ape, row.ape);
    predicted.push_back(double(row.predicted));
    measured.push_back(double(row.measured));
    c.rows.push_back(row);
  }
  if (models > 0) c.mape /= models, c.predict_us = 1e6 * seconds / models;
  c.kendall_tau = core::kendall_tau(predicted, measured);
  return c;
}

}  // namespace tinynas::exporter
