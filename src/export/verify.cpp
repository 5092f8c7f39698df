#include "tinynas/export/verify.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "program_runs.h"
#include "tinynas/compress/int8_runner.h"
#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/text.h"
#include "tinynas/cost/cost.h"
#include "tinynas/cost/latency.h"
#include "tinynas/export/model_data.h"

namespace tinynas::exporter {
namespace fs = std::filesystem;
namespace {

// Symbols of an ELF (arm-none-eabi-nm -S): sizes of sized symbols, and values of the
// linker script's absolute symbols (e.g. __stack_size), which have no size.
struct Symbols {
  std::map<std::string, std::int64_t> size, value;
};

Symbols read_symbols(const std::string& elf, int timeout_s) {
  const auto r = run_command({"arm-none-eabi-nm", "-S", elf}, timeout_s);
  require_success(r, elf);
  Symbols s;
  std::istringstream in(r.output);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::vector<std::string> f;
    for (std::string w; ls >> w;) f.push_back(w);
    if (f.size() == 4) s.size[f[3]] = std::stoll(f[1], nullptr, 16);
    if (f.size() == 3 && (f[1] == "A" || f[1] == "a")) s.value[f[2]] = std::stoll(f[0], nullptr, 16);
  }
  return s;
}

// Bytes of the input sections a GNU ld map file assigns from objects whose path contains
// "runtime/" to output sections that live in flash (.text, .rodata and friends).
std::int64_t runtime_code_bytes(const std::string& map_file) {
  std::ifstream in(map_file);
  if (!in) throw core::Error(map_file + ": cannot read the map file");
  std::string line, pending;
  std::int64_t total = 0;
  bool in_memory_map = false;
  while (std::getline(in, line)) {
    if (line.rfind("Linker script and memory map", 0) == 0) in_memory_map = true;
    if (!in_memory_map) continue;
    // An input section line: " .text.name  0xADDR  0xSIZE  path/file.o"; long names wrap
    // the rest onto the next line.
    std::istringstream ls(line);
    std::string sec, addr, size, obj;
    if (!pending.empty()) {
      sec = pending;
      pending.clear();
      if (!(ls >> addr >> size >> obj)) continue;
    } else {
      if (line.size() < 2 || line[0] != ' ' || line[1] != '.') continue;
      if (!(ls >> sec)) continue;
      if (!(ls >> addr)) {
        pending = sec;
        continue;
      }
      if (!(ls >> size >> obj)) continue;
    }
    if (addr.rfind("0x", 0) != 0 || size.rfind("0x", 0) != 0) continue;
    const bool flash = sec.rfind(".text", 0) == 0 || sec.rfind(".rodata", 0) == 0;
    if (flash && obj.find("runtime/") != std::string::npos) total += std::stoll(size, nullptr, 16);
  }
  return total;
}

double ratio(std::int64_t a, std::int64_t b) { return b > 0 ? double(a) / double(b) : 0.0; }

// The profile of one image: the program's `op` lines next to the cost model's MACs.
VerifyReport::Profile make_profile(const compress::QuantizedModel& model, const cost::Cost& cost,
                                   const RunLine& run, std::int64_t overhead, double mhz,
                                   std::vector<std::string>& failures) {
  const auto& g = model.graph;
  VerifyReport::Profile p;
  p.ran = true;
  p.total_instructions = run.icount;
  p.overhead = overhead;
  p.mcu_mhz = mhz;
  p.milliseconds = double(run.icount) / (mhz * 1e3);
  p.predicted_instructions = cost.instructions;
  p.tolerance = VerifyReport::kProfileSlackPerOp * std::int64_t(g.ops.size()) + VerifyReport::kProfileSlack;
  std::map<std::string, std::size_t> kind_at;
  for (std::size_t i = 0; i < g.ops.size(); ++i) {
    const auto it = run.ops.find(int(i));
    const std::string kind = space::to_string(g.ops[i].kind);
    if (it == run.ops.end() || it->second.kind != kind) {
      failures.push_back("profile: op " + std::to_string(i) + " (" + kind + ") " +
                         (it == run.ops.end() ? "has no line" : "is printed as " + it->second.kind));
      continue;
    }
    OpProfile o;
    o.index = int(i);
    o.name = g.ops[i].name;
    o.kind = kind;
    o.kernel = cost::kernel_family(g, g.ops[i], cost.ops[i].storage);
    o.output = space::to_string(g.shape(g.ops[i].output));
    o.instructions = it->second.icount;
    o.macs = cost.ops[i].macs;
    o.effective_macs = cost.ops[i].effective_macs;
    o.instructions_per_mac = ratio(o.instructions, o.effective_macs);
    o.share = ratio(o.instructions, run.icount);
    p.op_instructions += o.instructions;
    auto [at, added] = kind_at.emplace(o.kernel, p.kinds.size());
    if (added) p.kinds.push_back({o.kernel, 0, 0, 0, 0, 0, 0});
    KindProfile& k = p.kinds[at->second];
    ++k.ops;
    k.instructions += o.instructions;
    k.macs += o.macs;
    k.effective_macs += o.effective_macs;
    p.ops.push_back(o);
  }
  for (auto& k : p.kinds) {
    k.instructions_per_mac = ratio(k.instructions, k.effective_macs);
    k.share = ratio(k.instructions, run.icount);
  }
  if (run.ops.size() != g.ops.size())
    failures.push_back("profile: " + std::to_string(run.ops.size()) + " op lines for " +
                       std::to_string(g.ops.size()) + " ops");
  if (std::llabs(p.total_instructions - p.op_instructions) > p.tolerance)
    failures.push_back("profile: the ops add up to " + std::to_string(p.op_instructions) +
                       " instructions, the whole inference takes " + std::to_string(p.total_instructions) +
                       " (more than " + std::to_string(p.tolerance) + " apart)");
  return p;
}

core::Json profile_json(const VerifyReport::Profile& p) {
  core::Json j = core::Json::object();
  j["image"] = 0;
  j["total_instructions"] = p.total_instructions;
  j["op_instructions"] = p.op_instructions;
  j["overhead_per_op"] = p.overhead;
  j["tolerance"] = p.tolerance;
  j["mcu_mhz"] = p.mcu_mhz;
  j["milliseconds"] = p.milliseconds;
  j["predicted_instructions"] = p.predicted_instructions;
  j["clock_assumption"] = VerifyReport::kClockAssumption;
  core::Json ops = core::Json::array();
  for (const auto& o : p.ops) {
    core::Json e = core::Json::object();
    e["index"] = o.index;
    e["name"] = o.name;
    e["kind"] = o.kind;
    e["kernel"] = o.kernel;
    e["output"] = o.output;
    e["instructions"] = o.instructions;
    e["macs"] = o.macs;
    e["effective_macs"] = o.effective_macs;
    e["instructions_per_mac"] = o.instructions_per_mac;
    e["share"] = o.share;
    e["milliseconds"] = double(o.instructions) / (p.mcu_mhz * 1e3);
    ops.push_back(e);
  }
  j["ops"] = ops;
  core::Json kinds = core::Json::array();
  for (const auto& k : p.kinds) {
    core::Json e = core::Json::object();
    e["kernel"] = k.kernel;
    e["ops"] = k.ops;
    e["instructions"] = k.instructions;
    e["macs"] = k.macs;
    e["effective_macs"] = k.effective_macs;
    e["instructions_per_mac"] = k.instructions_per_mac;
    e["share"] = k.share;
    kinds.push_back(e);
  }
  j["kinds"] = kinds;
  return j;
}

}  // namespace

core::Json VerifyReport::to_json() const {
  core::Json j = core::Json::object();
  j["ok"] = ok();
  j["images"] = images;
  j["host_mismatches"] = host_mismatches;
  if (!first_mismatch.empty()) j["first_mismatch"] = first_mismatch;
  if (host_correct >= 0) j["host_correct"] = host_correct;
  j["target"] = target;
  j["qemu_ran"] = qemu_ran;
  if (!qemu_skipped.empty()) j["qemu_skipped"] = qemu_skipped;
  j["qemu_images"] = qemu_images;
  j["qemu_mismatches"] = qemu_mismatches;
  if (invoke_stack >= 0) j["invoke_stack"] = invoke_stack;
  if (!qemu_icount.empty()) {
    core::Json a = core::Json::array();
    for (auto v : qemu_icount) a.push_back(v);
    j["qemu_icount"] = a;
  }
  if (sizes_checked) {
    core::Json s = core::Json::object();
    s["model_data"] = sizes.model_data;
    s["predicted_flash"] = sizes.predicted_flash;
    s["arena"] = sizes.arena;
    s["predicted_sram"] = sizes.predicted_sram;
    s["text"] = sizes.text;
    s["data"] = sizes.data;
    s["bss"] = sizes.bss;
    s["flash"] = sizes.flash;
    s["runtime_code"] = sizes.runtime_code;
    s["app_code"] = sizes.app_code;
    s["stack"] = sizes.stack;
    s["heap"] = sizes.heap;
    s["sram"] = sizes.sram;
    s["app_sram"] = sizes.app_sram;
    j["sizes"] = s;
  }
  if (profile.ran) j["profile"] = profile_json(profile);
  core::Json f = core::Json::array();
  for (const auto& x : failures) f.push_back(x);
  j["failures"] = f;
  return j;
}

VerifyReport verify_project(const std::string& dir, const VerifyOptions& o) {
  auto log = [&](const std::string& s) {
    if (o.log) o.log(s);
  };
  const std::string man_file = dir + "/export.json";
  const core::Json man = core::Json::parse(core::read_text_file(man_file), man_file);
  const core::Json* version = man.find("version");
  if (!version || !version->is_int() || version->as_int() != kProjectVersion || !man.find("c_name"))
    throw core::Error(man_file + ": version: " + (version ? version->dump() : std::string("missing")) +
                      " (this tinynas writes and verifies projects of version " + std::to_string(kProjectVersion) +
                      "; an older one wrote its sources outside src/): export it again");
  const compress::QuantizedModel model = compress::load_quantized(dir + "/model.tnnq");
  const std::string data_symbol = man.at("c_name").as_string() + "_model_data";  // project.h
  const auto in_size = std::size_t(model.graph.shape(model.graph.input).numel());

  std::vector<std::vector<std::int8_t>> images = o.images;
  if (images.empty()) {
    std::mt19937_64 gen(o.seed);
    std::uniform_int_distribution<int> d(-128, 127);
    images.resize(std::size_t(std::max(1, o.random_images)));
    for (auto& im : images) {
      im.resize(in_size);
      for (auto& v : im) v = std::int8_t(d(gen));
    }
  }
  for (std::size_t i = 0; i < images.size(); ++i)
    if (images[i].size() != in_size)
      throw core::Error("verify: image " + std::to_string(i) + " has " + std::to_string(images[i].size()) +
                        " values, the model takes " + std::to_string(in_size));

  VerifyReport rep;
  rep.images = int(images.size());
  const fs::path vdir = fs::path(dir) / "verify";
  fs::create_directories(vdir);
  std::string blob;
  for (const auto& im : images) blob.append(reinterpret_cast<const char*>(im.data()), im.size());
  // Paths handed to the project's programs are relative to it: the Makefile passes them
  // to QEMU's semihosting unquoted.
  const std::string images_file = "verify/images.bin";
  core::write_file_atomic((vdir / "images.bin").string(), blob);

  // The reference: the integer evaluation.
  compress::Int8Runner runner(model);
  std::vector<std::vector<std::int8_t>> ref;
  for (const auto& im : images) ref.push_back(runner.run(im));

  // 1. host
  log("building the host program (make host)");
  auto r = run_command(make_command({"host"}), o.timeout_s, dir);
  require_success(r, dir);
  log("running it on " + std::to_string(images.size()) + " images");
  r = run_command({"build/classify", images_file}, o.timeout_s, dir);
  core::write_file_atomic((vdir / "host.txt").string(), r.output);
  require_success(r, dir);
  const auto host = parse_run(r.output).images;
  int correct = 0;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const auto it = host.find(int(i));
    std::vector<int> want(ref[i].begin(), ref[i].end());
    std::string why;
    if (it == host.end()) why = "no output line";
    else if (it->second.logits != want) why = "logits differ from the integer evaluation";
    if (!why.empty()) {
      if (rep.host_mismatches++ == 0) rep.first_mismatch = "host image " + std::to_string(i) + ": " + why;
    }
    if (it != host.end() && i < o.labels.size() && it->second.cls == o.labels[i]) ++correct;
  }
  if (!o.labels.empty()) rep.host_correct = correct;
  if (rep.host_mismatches)
    rep.failures.push_back(std::to_string(rep.host_mismatches) + " of " + std::to_string(images.size()) +
                           " host runs differ from the integer evaluation (" + rep.first_mismatch + ")");

  // 2. Cortex-M under QEMU, 3. sizes, 4. profile
  McuTarget target = McuTarget::m7;
  if (o.target) target = *o.target;
  else if (const core::Json* t = man.find("target")) target = parse_mcu_target(t->as_string());
  const std::string tn = to_string(target), cpu = mcu_cpu(target);
  rep.target = tn;
  std::string missing;
  for (const char* p : {"arm-none-eabi-gcc", "arm-none-eabi-nm", "arm-none-eabi-size", "qemu-system-arm"})
    if (!have_program(p)) missing += std::string(missing.empty() ? "" : ", ") + p;
  if (!o.qemu) {
    rep.qemu_skipped = "disabled";
  } else if (!missing.empty()) {
    rep.qemu_skipped = "not installed: " + missing;
    if (o.require_qemu) rep.failures.push_back("the " + cpu + " check needs " + missing);
  } else {
    log("building the " + cpu + " program (make " + tn + ")");
    r = run_command(make_command({tn}), o.timeout_s, dir);
    require_success(r, dir);
    const int n = o.qemu_images < 0 ? int(images.size()) : std::min<int>(o.qemu_images, int(images.size()));
    std::string qimages = images_file;
    if (n < int(images.size())) {
      qimages = "verify/images_mcu.bin";
      core::write_file_atomic((vdir / "images_mcu.bin").string(), blob.substr(0, std::size_t(n) * in_size));
    }
    log("running it under qemu-system-arm -M " + std::string(mcu_board(target)) + " on " + std::to_string(n) +
        " images");
    r = run_command(make_command({"-s", "run-" + tn, "IMAGES=" + qimages}), o.timeout_s, dir);
    core::write_file_atomic((vdir / (tn + ".txt")).string(), r.output);
    require_success(r, dir + ": the " + cpu + " run");
    rep.qemu_ran = true;
    rep.qemu_images = n;
    const Run mcu_run = parse_run(r.output);
    const auto& mcu = mcu_run.images;
    rep.invoke_stack = mcu_run.invoke_stack;
    std::string first;
    for (int i = 0; i < n; ++i) {
      const auto a = mcu.find(i), b = host.find(i);
      if (a == mcu.end() || b == host.end() || a->second.logits != b->second.logits ||
          a->second.cls != b->second.cls) {
        if (rep.qemu_mismatches++ == 0) first = "image " + std::to_string(i);
      } else if (a->second.icount >= 0) {
        rep.qemu_icount.push_back(a->second.icount);
      }
    }
    if (o.latency_limit_ms > 0 && !rep.qemu_icount.empty()) {
      const auto worst = *std::max_element(rep.qemu_icount.begin(), rep.qemu_icount.end());
      const double ms = cost::instructions_to_ms(double(worst), o.mcu_mhz);
      if (ms > o.latency_limit_ms)
        rep.failures.push_back("the slowest " + cpu + " inference takes " + std::to_string(worst) + " instructions = " +
                               core::format_number("%.2f", ms) + " ms at " + core::format_number("%g", o.mcu_mhz) +
                               " MHz, over run.latency_ms (" + core::format_number("%g", o.latency_limit_ms) + " ms)");
    }
    if (rep.qemu_mismatches)
      rep.failures.push_back(std::to_string(rep.qemu_mismatches) + " of " + std::to_string(n) + " " + cpu +
                             " runs differ from the host run (first: " + first + ")");

    // The prediction, recomputed from the model file (not read back from what export
    // wrote): the cost model with the int8 weights' zero blocks and the export's storage.
    cost::CostOptions co = export_cost_options(man, model);
    co.target = tn;
    const cost::Cost predicted = cost::evaluate(model.graph, co);

    const std::string elf = dir + "/build/model_" + tn + ".elf";
    const Symbols syms = read_symbols(elf, o.timeout_s);
    auto sym = [&](const std::map<std::string, std::int64_t>& m, const char* name) -> std::int64_t {
      const auto it = m.find(name);
      if (it == m.end()) throw core::Error(elf + ": no symbol " + name);
      return it->second;
    };
    SizeBreakdown& s = rep.sizes;
    s.model_data = sym(syms.size, data_symbol.c_str());
    s.arena = sym(syms.size, "tnn_arena");
    s.stack = sym(syms.value, "__stack_size");
    s.heap = sym(syms.value, "__heap_size");
    s.predicted_flash = predicted.flash;
    s.predicted_sram = predicted.peak_sram;
    r = run_command({"arm-none-eabi-size", "-B", elf}, o.timeout_s);
    require_success(r, elf);
    {
      std::istringstream ls(r.output);
      std::string header;
      std::getline(ls, header);
      ls >> s.text >> s.data >> s.bss;
    }
    s.flash = s.text + s.data;
    s.sram = s.data + s.bss;
    s.runtime_code = runtime_code_bytes(dir + "/build/model_" + tn + ".map");
    s.app_code = s.flash - s.model_data - s.runtime_code;
    s.app_sram = s.sram - s.arena - s.stack - s.heap;
    rep.sizes_checked = true;
    if (s.model_data != s.predicted_flash)
      rep.failures.push_back(data_symbol + " links to " + std::to_string(s.model_data) +
                             " B, the cost model predicts " + std::to_string(s.predicted_flash) + " B");
    if (s.arena != s.predicted_sram)
      rep.failures.push_back("tnn_arena links to " + std::to_string(s.arena) +
                             " B, the cost model predicts " + std::to_string(s.predicted_sram) + " B");

    if (o.profile) {
      log("profiling image 0 per op (make run-" + tn + " PROFILE=1)");
      r = run_command(make_command({"-s", "run-" + tn, "IMAGES=" + images_file, "COUNT=1", "PROFILE=1"}), o.timeout_s,
                      dir);
      core::write_file_atomic((vdir / (tn + "_profile.txt")).string(), r.output);
      require_success(r, dir + ": the " + cpu + " profile run");
      const Run prof = parse_run(r.output);
      const auto it = prof.images.find(0), h0 = host.find(0);
      if (it == prof.images.end() || it->second.icount < 0 || prof.profile_overhead < 0)
        rep.failures.push_back("profile: the " + cpu + " run printed no instruction counts (QEMU without -icount?)");
      else if (h0 == host.end() || it->second.logits != h0->second.logits)
        rep.failures.push_back("profile: the profiled run's logits differ from the host's");
      else
        rep.profile = make_profile(model, predicted, it->second, prof.profile_overhead, o.mcu_mhz, rep.failures);
    }
  }
  core::write_file_atomic((vdir / "report.json").string(), rep.to_json().dump_pretty() + "\n");
  return rep;
}

}  // namespace tinynas::exporter
