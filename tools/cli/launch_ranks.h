// Starting N local ranks of a command and supervising them: what `tinynas launch` does,
// and what `tinynas run` and `tinynas train` do by themselves when no launcher started
// them and the recipe wants several processes (distributed.nproc, --nproc).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tinynas::config {
struct Recipe;
}

namespace tinynas::cli {

struct LaunchOptions {
  int nproc = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;  ///< 0: pick a free one
  int grace_s = 10;
  std::vector<std::string> command;  ///< a first word "tinynas" runs this executable
  std::string name = "tinynas launch";  ///< who the supervisor's messages say they come from
};

/// Starts o.nproc processes of o.command with the c10d variables (RANK, WORLD_SIZE,
/// MASTER_ADDR, ...), waits for them and tears them all down when one fails or this
/// process is interrupted. Returns the exit status (`tinynas launch --help` says which).
int launch_ranks(LaunchOptions o);

/// When no launcher started this process and the recipe's data-parallel stages want
/// several processes here (`nproc_flag` from --nproc, or distributed.nproc when it is -1;
/// 0 = auto, train::processes_to_start over the cores this process may use, divided by
/// train.threads when set), runs `tinynas WORDS ARGS` as that many ranks and returns their
/// exit status; otherwise nullopt: the caller runs in this process. A batch the count does
/// not divide, or too few GPUs, is a core::Error before anything starts.
std::optional<int> run_as_ranks_if_wanted(const std::vector<std::string>& words,
                                          const std::vector<std::string>& args,
                                          const config::Recipe& recipe, int nproc_flag);

}  // namespace tinynas::cli
