// Accuracy of the chosen model through the pipeline (quant/quant.json): dense, pruned,
// float and int8 (run by the runtime's kernels), per class, and where int8 loses precision.
#include <algorithm>

#include "report.h"

namespace tinynas::cli::report {
namespace {

Table accuracy_table(const core::Json& q) {
  const std::string split = str(q, "eval_split");
  Table t{{{"model", "accuracy"}}};
  if (num(q, "dense_accuracy") >= 0) t.rows.push_back({"dense subnet (val)", pct(num(q, "dense_accuracy"))});
  if (num(q, "pruned_accuracy") >= 0) t.rows.push_back({"pruned, fine-tuned (val)", pct(num(q, "pruned_accuracy"))});
  t.rows.push_back({"pruned float (" + split + ")", pct(num(q, "float_accuracy"))});
  t.rows.push_back({"int8, runtime kernels (" + split + ") = the exported model", pct(num(q, "int8_accuracy"))});
  t.highlight = int(t.rows.size()) - 1;
  return t;
}

// quant.json's per_class (tinynas sparsenas quantize): one row per class of the split.
void per_class_table(const Context& c, const core::Json& q) {
  const core::Json* pc = q.find("per_class");
  if (!pc || !pc->is_array() || pc->size() == 0) {
    c.doc.text("No per-class accuracy in quant/quant.json (written by an older tinynas; 'tinynas run RECIPE "
               "--from quantize' records it).");
    return;
  }
  c.doc.text("Per class, on the same " + fmt("%.0f", num(q, "eval_images", 0)) + " " + str(q, "eval_split") +
             " images (the int8 model is the exported one):");
  Table t{{{"#", "class", "images", "float", "int8", "int8 - float"}}};
  int i = 0;
  for (const auto& row : pc->elements()) {
    const double f = num(row, "float_accuracy"), q8 = num(row, "int8_accuracy");
    t.rows.push_back({std::to_string(i++), str(row, "class"), fmt("%.0f", num(row, "images", 0)), pct(f), pct(q8),
                      fmt("%+.2f points", percent(q8 - f))});
  }
  c.doc.add(t);
}

// The tensors with the lowest signal-to-quantization-noise: where int8 loses precision.
void sqnr_sentence(const Context& c, const core::Json& q) {
  const core::Json* te = q.find("tensor_errors");
  if (!te || !te->is_array() || te->size() == 0) return;
  std::vector<std::pair<double, std::string>> worst;
  for (const auto& e : te->elements()) worst.push_back({num(e, "sqnr_db", 0), str(e, "tensor")});
  std::sort(worst.begin(), worst.end());
  std::string line = "Lowest per-tensor SQNR (int8 against float, " + fmt("%.0f", num(q, "tensor_error_images", 0)) +
                     " images; " + fmt("%.0f", num(q, "equalized_channels", 0)) + " channels equalized):";
  for (std::size_t i = 0; i < worst.size() && i < 3; ++i)
    line += (i ? ", " : " ") + worst[i].second + " " + fmt("%.1f dB", worst[i].first);
  c.doc.text(line + ". All tensors: quant/quant.json.");
}

}  // namespace

void accuracy_section(const Context& c) {
  c.doc.heading("Accuracy");
  const JsonFile qf = c.json("quant/quant.json");
  if (!c.usable(qf, "Not run (no quant/quant.json).")) return;
  const core::Json& q = *qf.json;
  c.doc.add(accuracy_table(q));
  c.doc.text("Model: " + str(q, "arch") + " with sparse config " + str(q, "sparse") + "; PTQ drop " +
             fmt("%.2f", percent(num(q, "ptq_drop", 0))) + " points on " + fmt("%.0f", num(q, "eval_images", 0)) +
             " images; same top-1 as the float model on " + pct(num(q, "agreement", 0)) + ".");
  per_class_table(c, q);
  sqnr_sentence(c, q);
}

}  // namespace tinynas::cli::report
