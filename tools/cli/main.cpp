// tinynas: the command line. Subcommands are thin: parse arguments, call a layer, print.
// Every error is caught here once and printed as one line; the exit code is non-zero
// (2 for wrong usage, 1 for anything else).
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "args.h"
#include "command.h"
#include "tinynas/core/allocator.h"
#include "tinynas/core/text.h"
#include "version.h"

namespace {

using tinynas::cli::Command;

using tinynas::cli::kVersion;

std::vector<Command> all_commands() {
  std::vector<Command> all = {
      tinynas::cli::config_show_command(),  tinynas::cli::data_summary_command(),
      tinynas::cli::space_sample_command(), tinynas::cli::space_stats_command(),
      tinynas::cli::space_blocks_command(), tinynas::cli::launch_command(),
      tinynas::cli::train_command(),        tinynas::cli::supernas_analyze_command(),
      tinynas::cli::supernas_search_command()};
  for (auto& c : tinynas::cli::sparsenas_commands()) all.push_back(std::move(c));
  all.push_back(tinynas::cli::sweep_command());
  all.push_back(tinynas::cli::export_command());
  all.push_back(tinynas::cli::verify_command());
  all.push_back(tinynas::cli::run_command());
  all.push_back(tinynas::cli::report_command());
  all.push_back(tinynas::cli::latency_measure_command());
  all.push_back(tinynas::cli::latency_check_command());
  all.push_back(tinynas::cli::latency_show_command());
  all.push_back(tinynas::cli::predictor_fit_command());
  all.push_back(tinynas::cli::predictor_eval_command());
  return all;
}

std::string words_of(const Command& c) { return tinynas::core::join(c.words, " "); }

void print_program_help(const std::vector<Command>& commands) {
  std::cout << "tinynas " << kVersion
            << ": search, prune, quantise and export tiny CNN/Transformer classifiers for "
               "microcontrollers\n\n"
               "usage: tinynas <command> [arguments]\n\ncommands:\n";
  for (const auto& c : commands) {
    std::string head = words_of(c) + " " + c.synopsis;
    std::cout << "  " << head;
    for (std::size_t i = head.size(); i < 44; ++i) std::cout << ' ';
    std::cout << " " << c.summary << "\n";
  }
  std::cout << "\noptions:\n  -h, --help     show help (also after any command)\n"
               "  --version      print the version\n\n"
               "Run 'tinynas <command> --help' for a command's options.\n";
}

void print_command_help(const Command& c) {
  std::cout << "usage: tinynas " << words_of(c) << " " << c.synopsis << "\n\n"
            << c.summary << "\n\n"
            << c.help;
}

bool wants_help(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--") return false;  // what follows belongs to another program (launch)
    if (a == "-h" || a == "--help") return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  tinynas::core::keep_freed_memory();  // before any command allocates its buffers
  std::vector<std::string> args(argv + 1, argv + argc);
  const auto commands = all_commands();

  if (args.empty()) {
    print_program_help(commands);
    return 2;
  }
  if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    print_program_help(commands);
    return 0;
  }
  if (args[0] == "--version") {
    std::cout << "tinynas " << kVersion << "\n";
    return 0;
  }

  // Longest match of the command words.
  const Command* cmd = nullptr;
  for (const auto& c : commands) {
    if (args.size() < c.words.size()) continue;
    if (std::equal(c.words.begin(), c.words.end(), args.begin()) &&
        (!cmd || c.words.size() > cmd->words.size()))
      cmd = &c;
  }
  if (!cmd) {
    // A known group with a missing/wrong subcommand gets the group's options listed.
    std::vector<std::string> names, in_group;
    for (const auto& c : commands) {
      names.push_back(words_of(c));
      names.push_back(c.words[0]);
      if (c.words[0] == args[0]) in_group.push_back(words_of(c));
    }
    std::string attempt = args.size() > 1 && !in_group.empty() ? args[0] + " " + args[1] : args[0];
    std::string msg = in_group.empty()
                          ? "unknown command '" + attempt + "'" + tinynas::core::did_you_mean(attempt, names)
                          : "'" + args[0] + "' needs one of: " + tinynas::core::join(in_group, ", ");
    std::cerr << "tinynas: error: " << msg << " (see 'tinynas --help')\n";
    return 2;
  }

  std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(cmd->words.size()),
                                args.end());
  if (wants_help(rest)) {
    print_command_help(*cmd);
    return 0;
  }
  try {
    return cmd->run(rest);
  } catch (const tinynas::cli::UsageError& e) {
    std::cerr << "tinynas " << words_of(*cmd) << ": error: " << e.what() << " (see 'tinynas "
              << words_of(*cmd) << " --help')\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "tinynas " << words_of(*cmd) << ": error: " << e.what() << "\n";
    return 1;
  }
}
