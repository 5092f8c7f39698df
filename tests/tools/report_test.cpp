// The run report (tools/cli/report/) on a made-up run directory: what each stage's files
// become, the pick highlighted, percent everywhere, errors shown as errors, escaped HTML,
// every plot's text inside its canvas.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "report/run_report.h"
#include "support/svg_check.h"
#include "support/temp_dir.h"
#include "tinynas/core/fs.h"
#include "version.h"

using namespace tinynas;

namespace {

const std::string kPickArch = "tf1-n:D1.M0.M0.T2|D0.M0.M2.T2|P0";
const std::string kPickSparse = "tf1-n:D90/2.M50/2.M30/2.T50/4|D70/2.M50/2.M70/4.T50/2|P30/2";

std::string candidate(int index, const std::string& arch, const std::string& sparse, double accuracy,
                      const std::string& status = "evaluated") {
  return "{\"index\":" + std::to_string(index) + ",\"arch\":\"" + arch + "\",\"sparse\":\"" + sparse +
         "\",\"status\":\"" + status + "\",\"pruned_accuracy\":" + std::to_string(accuracy) +
         ",\"flash\":" + std::to_string(60000 + 10000 * index) + ",\"peak_sram\":10584,\"macs\":2200368}\n";
}

// A run whose stages all wrote their files (export: over the limits, no model.tnnq).
class RunReport : public ::testing::Test {
 protected:
  void SetUp() override {
    recipe.run.dir = dir.path();
    recipe.run.name = "r";
    write("pipeline.json",
          R"json({"version": 2, "stages": {"train": {"finished": true, "seconds": 12.5},
              "sparsenas <&>": {"finished": false}}})json");
    write("supernet/metrics.jsonl",
          "{\"type\":\"step\",\"epoch\":0.5,\"loss\":2.1}\n{\"type\":\"epoch\",\"epoch\":1,\"val_accuracy\":0.5}\n"
          "{\"type\":\"step\",\"epoch\":1.5,\"loss\":1.2}\n{\"type\":\"epoch\",\"epoch\":2,\"val_accuracy\":0.8265}\n");
    write("sparsenas/candidates.jsonl", candidate(0, "tf1-n:D0.M1.M0.T2|D0.M1.M1.T0|P1", kPickSparse, 0.61) +
                                            candidate(1, kPickArch, kPickSparse, 0.7) +
                                            candidate(2, "tf1-n:D2.M2.M2.T2|D2.M2.M2.T2|P1", kPickSparse, -1, "unfit"));
    write("sparsenas/best.json",
          "{\"candidate\": 1, \"arch\": \"" + kPickArch + "\", \"sparse\": \"" + kPickSparse + "\"}");
    write("quant/quant.json", "{\"arch\": \"" + kPickArch + "\", \"sparse\": \"" + kPickSparse +
                                  "\", \"eval_split\": \"test\", \"eval_images\": 30, \"float_accuracy\": 0.83,"
                                  " \"int8_accuracy\": 0.8265, \"ptq_drop\": 0.0035, \"agreement\": 0.99,"
                                  " \"per_class\": [{\"class\": \"T-shirt/top\", \"images\": 10, \"float_accuracy\": 0.8,"
                                  " \"int8_accuracy\": 0.7}, {\"class\": \"Trouser\", \"images\": 20,"
                                  " \"float_accuracy\": 0.95, \"int8_accuracy\": 1.0}]}");
    write("export/r/export.json",
          R"json({"c_name": "r", "flash": 1000, "peak_sram": 70000, "ops": [],
              "limits": {"fits": false, "exceeded": ["arena 70000 B > 65536 B (run.sram_kb)"]}})json");
  }

  void write(const std::string& rel, const std::string& text) { dir.write("r/" + rel, text); }
  std::string report_file(const std::string& name) { return core::read_text_file(dir.file("r/report/" + name)); }
  std::string html() {
    cli::write_run_report(recipe, "recipes/made-up.yaml");
    return report_file("report.html");
  }

  tinynas::testing::TempDir dir;
  config::Recipe recipe;
};

// The text of the section under heading `h` (up to the next heading).
std::string section(const std::string& html, const std::string& h) {
  const auto at = html.find("<h2>" + h + "</h2>");
  if (at == std::string::npos) return "";
  return html.substr(at, html.find("<h2>", at + 4) - at);
}

}  // namespace

TEST_F(RunReport, ThePickIsHighlightedInItsTableAndPlot) {
  const std::string sparsenas = section(html(), "SparseNAS candidates");
  const auto row = sparsenas.find("<tr class=\"pick\">");
  ASSERT_NE(row, std::string::npos) << sparsenas;
  const std::string pick_row = sparsenas.substr(row, sparsenas.find("</tr>", row) - row);
  EXPECT_NE(pick_row.find(">1</td>"), std::string::npos) << pick_row;           // its index
  EXPECT_NE(pick_row.find("82.65% (test)"), std::string::npos) << pick_row;     // its int8 accuracy
  EXPECT_NE(pick_row.find("2.20 M"), std::string::npos) << pick_row;            // MACs
  EXPECT_EQ(sparsenas.find("<tr class=\"pick\">", row + 1), std::string::npos);  // one pick
  EXPECT_NE(sparsenas.find("unfit"), std::string::npos);
  // the plot: the pick drawn highlighted (outlined), named in the legend
  const std::string svg = report_file("sparsenas_pareto.svg");
  const auto title = svg.find("<title>" + kPickArch);
  ASSERT_NE(title, std::string::npos);
  EXPECT_NE(svg.substr(svg.rfind("<circle", title), title - svg.rfind("<circle", title)).find("stroke=\"#222\""),
            std::string::npos);
  EXPECT_NE(svg.find(">chosen configuration</text>"), std::string::npos);
}

TEST_F(RunReport, AccuraciesArePercentOnAxesAndInTables) {
  const std::string page = html();
  const std::string training = report_file("train_accuracy.svg");
  EXPECT_NE(training.find("(%)</text>"), std::string::npos);
  EXPECT_NE(training.find(">80</text>"), std::string::npos) << training;  // a y tick, not 0.8
  EXPECT_EQ(training.find(">0.8</text>"), std::string::npos);
  const std::string scatter = report_file("sparsenas_pareto.svg");
  EXPECT_NE(scatter.find("(%)</text>"), std::string::npos);
  EXPECT_EQ(scatter.find(">0.6</text>"), std::string::npos) << scatter;
  EXPECT_NE(page.find("Final validation accuracy (mean over the sampled paths): 82.65%"), std::string::npos);
  // per class, the exported (int8) model against float
  const std::string accuracy = section(page, "Accuracy");
  for (const char* cell : {">T-shirt/top<", ">70.00%<", ">-10.00 points<", ">Trouser<", ">100.00%<"})
    EXPECT_NE(accuracy.find(cell), std::string::npos) << cell << "\n" << accuracy;
}

TEST_F(RunReport, HtmlIsEscapedWithoutMarkdownAndNamesVersionAndRecipe) {
  const std::string page = html();
  const std::string prose = page.substr(0, page.find("<details>"));  // the recipe's YAML may quote `keys`
  for (const char* markdown : {"**", "`", "![", "## "}) EXPECT_EQ(prose.find(markdown), std::string::npos) << markdown;
  EXPECT_NE(page.find("sparsenas &lt;&amp;&gt;"), std::string::npos);
  EXPECT_EQ(page.find("sparsenas <&>"), std::string::npos);
  EXPECT_NE(page.find(std::string("by tinynas ") + cli::kVersion), std::string::npos);
  // the model over its limits is an error block, not bold Markdown
  EXPECT_NE(page.find("<p class=\"error\"><strong>Error:</strong> Over the limits: arena 70000 B &gt; 65536 B"),
            std::string::npos);
  // the resolved recipe, folded in the page and as a file
  EXPECT_NE(section(page, "Resolved recipe").find("<details><summary>recipe.resolved.yaml"), std::string::npos);
  EXPECT_NE(report_file("recipe.resolved.yaml").find("sram_kb: 64"), std::string::npos);
  EXPECT_NE(report_file("report.md").find("> **Error:** Over the limits"), std::string::npos);
}

TEST_F(RunReport, CorruptFilesAreErrorsNamingTheFileMissingOnesSayNotRun) {
  write("quant/quant.json", "{\"int8_accuracy\": 0.8");  // truncated
  write("supernet/metrics.jsonl", "{\"type\":\"epoch\",\"epoch\":1,\"val_accuracy\":0.5}\n{\"type\":\n");
  std::filesystem::remove(dir.file("r/export/r/export.json"));
  const std::string page = html();
  const std::string accuracy = section(page, "Accuracy");
  EXPECT_NE(accuracy.find("<p class=\"error\"><strong>Error:</strong> quant/quant.json could not be read: "),
            std::string::npos) << accuracy;
  EXPECT_NE(accuracy.find("byte offset"), std::string::npos) << accuracy;  // the parser's message
  EXPECT_EQ(accuracy.find("Not run"), std::string::npos);
  EXPECT_NE(section(page, "Supernet training").find("supernet/metrics.jsonl: a line could not be read: "),
            std::string::npos);
  EXPECT_NE(section(page, "SuperNAS space analysis").find("<p>Not run.</p>"), std::string::npos);
  EXPECT_NE(section(page, "Exported model").find("<p>Not exported.</p>"), std::string::npos);
  // no quant.json to read: the pick's int8 accuracy is not claimed
  EXPECT_NE(section(page, "SparseNAS candidates").find("is not measured yet"), std::string::npos);
}

TEST_F(RunReport, EveryPlotIsWellFormedWithItsTextInsideTheCanvas) {
  html();
  int plots = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.file("r/report"))) {
    if (entry.path().extension() != ".svg") continue;
    ++plots;
    const std::string svg = core::read_text_file(entry.path().string());
    EXPECT_EQ(tinynas::testing::xml_problem(svg), "") << entry.path();
    EXPECT_EQ(tinynas::testing::text_outside_viewbox(svg), "") << entry.path();
  }
  EXPECT_EQ(plots, 3);  // training loss and accuracy, the candidates
}

// A run that compared the search strategies (compare/compare.json): the hypervolume plot,
// the table, and how soon each strategy reaches NSGA-II's final hypervolume.
TEST_F(RunReport, StrategyComparisonShowsTheCurvesAndTheReach) {
  EXPECT_EQ(html().find("Search strategies compared"), std::string::npos);  // none: no section
  write("compare/compare.json", R"json({"strategies": [
      {"strategy": "nsga2", "budget": 500, "seeds": 3, "evaluations": [100, 200, 300, 400, 500],
       "median_hypervolume": [0.30, 0.40, 0.45, 0.48, 0.50]},
      {"strategy": "mobo", "budget": 250, "seeds": 3, "evaluations": [100, 200, 250],
       "median_hypervolume": [0.42, 0.51, 0.53]},
      {"strategy": "random", "budget": 250, "seeds": 3, "evaluations": [100, 200, 250],
       "median_hypervolume": [-1, 0.2, 0.25]}]})json");
  std::string s = section(html(), "Search strategies compared");
  for (std::size_t at; (at = s.find(" class=\"nw\"")) != std::string::npos;) s.erase(at, 11);
  EXPECT_NE(s.find("<svg"), std::string::npos) << s;
  EXPECT_NE(s.find("evaluations to NSGA-II's 500"), std::string::npos) << s;
  EXPECT_NE(s.find("<td>mobo</td><td>250</td><td>0.4200</td><td>0.5100</td><td>0.5300</td><td>200</td>"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("<td>random</td><td>250</td><td>-</td><td>0.2000</td><td>0.2500</td><td>not reached</td>"),
            std::string::npos)
      << s;
  const std::string svg = report_file("compare_hypervolume.svg");
  EXPECT_EQ(tinynas::testing::xml_problem(svg), "");
  EXPECT_EQ(tinynas::testing::text_outside_viewbox(svg), "");
  write("compare/compare.json", "{\"strategies\": [");
  EXPECT_NE(section(html(), "Search strategies compared").find("compare/compare.json could not be read"),
            std::string::npos);
}
