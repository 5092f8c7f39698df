// Supernet training (supernet/metrics.jsonl) and the SuperNAS space analysis
// (supernas/analysis.json and the histograms it drew).
#include "report.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/svg.h"

namespace tinynas::cli::report {
namespace {

// At most ~200 points: one loss value per ~0.5% of training keeps the plot light.
core::LineSeries thinned(const core::LineSeries& s) {
  if (s.x.size() <= 200) return s;
  core::LineSeries out{s.label, {}, {}, s.color};
  const std::size_t stride = s.x.size() / 200;
  for (std::size_t i = 0; i < s.x.size(); i += stride) out.x.push_back(s.x[i]), out.y.push_back(s.y[i]);
  return out;
}

}  // namespace

void training_section(const Context& c) {
  c.doc.heading("Supernet training");
  const JsonLines metrics = c.jsonl("supernet/metrics.jsonl");
  c.line_errors(metrics);
  core::LineSeries acc{"validation accuracy (mean over the sampled paths)", {}, {}, "#3b73b9"};
  core::LineSeries loss{"training loss", {}, {}, "#c0392b"};
  double final_accuracy = -1;  // a fraction, as metrics.jsonl has it
  for (const auto& m : metrics.lines) {
    if (str(m, "type") == "epoch" && num(m, "val_accuracy") >= 0) {
      acc.x.push_back(num(m, "epoch"));
      final_accuracy = num(m, "val_accuracy");
      acc.y.push_back(percent(final_accuracy));
    } else if (str(m, "type") == "step" && num(m, "loss") >= 0) {
      loss.x.push_back(num(m, "epoch"));
      loss.y.push_back(num(m, "loss"));
    }
  }
  if (acc.x.empty() && loss.x.empty()) {
    c.doc.text(metrics.missing ? "No supernet/metrics.jsonl (the supernet came from the supernet search, or "
                                 "training did not run)."
                               : "supernet/metrics.jsonl holds no training steps yet.");
    return;
  }
  c.plot("train_loss.svg", core::line_svg({thinned(loss)}, {"Supernet training loss", "epoch", "loss"}));
  if (acc.x.empty()) return;
  c.plot("train_accuracy.svg",
         core::line_svg({acc}, {"Supernet validation accuracy", "epoch", "validation accuracy (%)"}));
  c.doc.text("Final validation accuracy (mean over the sampled paths): " + pct(final_accuracy) + ".");
}

void supernas_section(const Context& c) {
  c.doc.heading("SuperNAS space analysis");
  const JsonFile a = c.json("supernas/analysis.json");
  if (!c.usable(a, "Not run.")) return;
  const core::Json* accepted = a.json->find("accepted");
  const bool ok = accepted && accepted->is_bool() && accepted->as_bool();
  c.doc.text(std::string("The space is ") + (ok ? "ACCEPTED" : "REJECTED") +
             " for the limits (Algorithm 1); details in supernas/analysis.txt.");
  for (const char* f : {"params.svg", "peak_sram.svg", "flash.svg"}) {
    const std::string path = c.path(std::string("supernas/") + f);
    if (core::is_regular_file(path)) c.plot(std::string("supernas_") + f, core::read_text_file(path));
  }
}

}  // namespace tinynas::cli::report
