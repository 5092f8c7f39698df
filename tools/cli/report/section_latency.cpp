// The verify report's per-op profile (verify --profile): a bar per op (its milliseconds at
// the profile's clock, coloured by kernel family), the per-family table and the total
// against the latency model's prediction.
#include <algorithm>
#include <iterator>

#include "report.h"
#include "tinynas/core/svg.h"

namespace tinynas::cli::report {
namespace {

// One colour per kernel family, in order of first appearance.
class KernelColors {
 public:
  std::string operator()(const std::string& kernel) {
    static const char* const kPalette[] = {"#3b73b9", "#e67e22", "#27ae60", "#c0392b", "#8e44ad", "#16a085",
                                           "#d35400", "#7f8c8d", "#2c3e50", "#f1c40f", "#e84393", "#00b894",
                                           "#6c5ce7", "#a0522d", "#74b9ff", "#55efc4"};
    auto it = std::find(kernels_.begin(), kernels_.end(), kernel);
    if (it == kernels_.end()) it = kernels_.insert(kernels_.end(), kernel);
    return kPalette[std::size_t(it - kernels_.begin()) % std::size(kPalette)];
  }
  const std::vector<std::string>& kernels() const { return kernels_; }

 private:
  std::vector<std::string> kernels_;
};

std::string per_layer_plot(const core::Json& prof, const std::string& cpu, double mhz) {
  KernelColors color;
  std::vector<core::Bar> bars;
  for (const auto& op : prof.at("ops").elements()) {
    const double ms = num(op, "milliseconds", 0);
    std::string note = fmt("%.3f ms", ms);
    if (num(op, "instructions_per_mac", 0) > 0) note += fmt(", %.2f instr/MAC", num(op, "instructions_per_mac"));
    bars.push_back({fmt("%.0f ", num(op, "index")) + str(op, "name"), ms, note, color(str(op, "kernel"))});
  }
  core::BarOptions bo;
  bo.title = "Per-layer latency, " + cpu + " at " + fmt("%g", mhz) + " MHz (1 instruction = 1 cycle)";
  bo.x_label = "milliseconds (QEMU -icount instructions / clock)";
  for (const auto& k : color.kernels()) bo.legend.push_back({k, color(k)});
  return core::bar_svg(bars, bo);
}

Table kernel_table(const core::Json& prof) {
  Table t{{{"kernel", "ops", "instructions", "share", "effective MACs", "instructions/MAC"}}};
  for (const auto& k : prof.at("kinds").elements())
    t.rows.push_back({str(k, "kernel"), fmt("%.0f", num(k, "ops", 0)), fmt("%.0f", num(k, "instructions", 0)),
                      pct(num(k, "share", 0)), fmt("%.0f", num(k, "effective_macs", 0)),
                      num(k, "instructions_per_mac", 0) > 0 ? fmt("%.2f", num(k, "instructions_per_mac")) : "-"});
  return t;
}

}  // namespace

void latency_section(const Context& c, const core::Json& prof, const std::string& target) {
  const double mhz = num(prof, "mcu_mhz", 0);
  const std::string cpu = cpu_name(target);
  c.doc.heading("Latency per layer");
  c.plot("latency.svg", per_layer_plot(prof, cpu, mhz));
  c.doc.add(kernel_table(prof));
  c.doc.text("One inference: " + fmt("%.0f", num(prof, "total_instructions", 0)) + " instructions on the " + cpu +
             " (QEMU, image 0) = " + fmt("%.2f", num(prof, "milliseconds", 0)) + " ms at " + fmt("%g", mhz) +
             " MHz (verify's clock: export.mcu_mhz or --mhz): " + str(prof, "clock_assumption") + ".");
  const double predicted = num(prof, "predicted_instructions", 0), measured = num(prof, "total_instructions", 0);
  const double limit = c.recipe.run.latency_ms;
  if (predicted > 0 && measured > 0 && mhz > 0)
    c.doc.text("The search's latency model (cost/latency.h) predicted " + fmt("%.0f", predicted) + " instructions (" +
               fmt("%+.1f%%", 100 * (predicted - measured) / measured) + "): " +
               fmt("%.2f", predicted / (mhz * 1e3)) + " ms" +
               (limit > 0 ? " against run.latency_ms = " + fmt("%g", limit) + " ms" : "") + ".");
}

}  // namespace tinynas::cli::report
