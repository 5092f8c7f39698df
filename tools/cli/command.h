// A subcommand of the tinynas CLI. Each lives in its own cmd_*.cpp and is listed once in
// main.cpp; only working subcommands are listed.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace tinynas::core {
class DirLock;
}

namespace tinynas::cli {

struct Command {
  std::vector<std::string> words;  // e.g. {"config", "show"}
  std::string synopsis;            // arguments after the words, for usage lines
  std::string summary;             // one line for the program's --help
  std::string help;                // full --help text of the subcommand (after usage)
  std::function<int(const std::vector<std::string>& args)> run;
  // Set by the commands that lock the directory they write (train, supernas search,
  // sparsenas search and finetune): `run` for a caller in this process that holds that
  // lock already (`tinynas run`, on its run directory), which a second lock would refuse.
  std::function<int(const std::vector<std::string>& args, const core::DirLock& held)> run_holding = nullptr;
};

Command config_show_command();
Command data_summary_command();
Command space_sample_command();
Command space_stats_command();
Command space_blocks_command();
Command launch_command();
Command train_command();
Command supernas_analyze_command();
Command supernas_search_command();
// The sparsenas group: adding a subcommand is one line in sparsenas_commands()
// (cmd_sparsenas.cpp) and its declaration here.
Command sparsenas_search_command();
Command sparsenas_finetune_command();
Command sparsenas_quantize_command();
Command sparsenas_compare_command();
std::vector<Command> sparsenas_commands();
Command sweep_command();
Command export_command();
Command verify_command();
Command run_command();
Command report_command();
Command latency_measure_command();
Command latency_check_command();
Command latency_show_command();
Command predictor_fit_command();
Command predictor_eval_command();

}  // namespace tinynas::cli
