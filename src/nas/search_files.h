// What the resumable searches (supernet_search.cpp, sparse_search.cpp) share about their
// files and about rank 0 writing them (private to the nas layer):
//  - candidates.jsonl: one JSON object per finished candidate; a killed search leaves at
//    most a torn last line, which a resume drops;
//  - search.json: the recipe a search runs, so a resume under changed keys is refused;
//  - rank 0 alone reads and writes; every rank learns the outcome through a collective, so
//    a failure on rank 0 stops all of them at once instead of leaving the others waiting.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/json.h"
#include "tinynas/train/distributed.h"
#include "tinynas/train/trainer.h"

namespace tinynas::nas {
struct SparseCandidate;
struct ChosenSupernet;
}  // namespace tinynas::nas

namespace tinynas::nas::detail {

/// `get(j[key])` for one member of a record read from `where` (file:line); a missing key
/// or a value of the wrong type throws core::Error naming both.
template <class F>
auto member(const core::Json& j, const char* key, const std::string& where, F&& get) {
  try {
    return get(j.at(key));
  } catch (const core::Error& e) {
    core::fail_file(where, std::string("key '") + key + "': " + e.what());
  }
}

/// SparseNAS stage 1's winner files as finetune_sparse() reads them (sparse_search.cpp),
/// shared by every stage-1 search (Algorithm 3 and the one-shot strategies,
/// oneshot_search.cpp): best.json (`best` null while there is none; `count` candidates so
/// far) and the extra figures of best/'s subnet.json.
core::Json stage1_best_json(const SparseCandidate* best, int count, const ChosenSupernet& chosen,
                            const std::string& out_dir);
core::Json stage1_subnet_extra(const SparseCandidate& c, const std::string& stage);

/// The complete lines of a JSON Lines file, parsed, each with its "path:line" for errors.
/// A missing file has none; a last line without its newline (the torn tail of a killed
/// writer) is dropped; anything else unreadable throws core::Error naming path:line.
std::vector<std::pair<core::Json, std::string>> read_json_lines(const std::string& path);

/// Appends `line` (a newline is added) and closes the file; throws naming the file when
/// that fails (disk full, ...).
void append_line(const std::string& path, const std::string& line);

/// Rank 0's start of a search in `out_dir`: refuses a directory holding a search
/// (`log_path` or `settings_path` exists) unless `resume`; on resume, refuses a recipe
/// (`flat`, config::flat_values) that differs from the one settings_path recorded in a key
/// not starting with one of `resumable` (the error names search.json and every key). Then
/// creates out_dir and (re)writes settings_path with `space_source`, the recipe and
/// `extra`'s members.
void start_search_files(const std::string& out_dir, const std::string& log_path,
                        const std::string& settings_path, bool resume,
                        const std::vector<std::pair<std::string, std::string>>& flat,
                        const std::vector<std::string>& resumable,
                        const std::string& space_source, const core::Json& extra);

/// The recorded search.json (null when there is none).
core::Json read_settings(const std::string& settings_path);

/// Every rank: rank 0 passes `refusal` ("" = went well) and `value` (>= 0); returns rank
/// 0's value on every rank, or throws core::Error on all of them when rank 0 refused
/// (rank 0 with its own message, the others pointing at its output).
double broadcast_outcome(train::DistributedGroup& group, const std::string& refusal, double value,
                         const char* what);

/// Every rank, after rank 0's writes (doubles as their barrier): throws on all ranks when
/// rank 0's `refusal` is not empty.
void agree_written(train::DistributedGroup& group, const std::string& refusal,
                   const std::string& what);

/// Runs `trainer` (train::SupernetTrainer or SubnetTrainer) for candidate `c` and copies
/// its figures into it (train_steps, train_images_per_s, train_val_accuracy, checkpoint).
/// Returns false when training diverged: every rank sees the same all-reduced loss, so all
/// of them return false together; `on_diverged` gets the message.
template <class Trainer, class C>
bool train_candidate(Trainer& trainer, C& c, const std::function<void(const std::string&)>& on_diverged) {
  train::TrainResult tr;
  bool ok = true;
  try {
    tr = trainer.run();
  } catch (const train::TrainingDiverged& e) {
    ok = false;
    on_diverged(e.what());
  }
  c.train_steps = tr.steps;
  c.train_images_per_s = tr.images_per_s;
  c.train_val_accuracy = tr.val_accuracy;
  c.checkpoint = tr.checkpoint;
  return ok;
}

/// The finished candidates of a resumable search as every rank holds them and rank 0
/// records them: <out>/candidates.jsonl (one line appended per candidate) and
/// <out>/best.json (rewritten after each). `C` has an `int index`.
template <class C>
class CandidateLog {
 public:
  struct Format {
    std::function<core::Json(const C&)> to_json;
    /// A line read back; throws core::Error naming `where` (file:line) when it is damaged or
    /// not what the recipe draws any more.
    std::function<C(const core::Json&, const std::string& where)> from_json;
    /// Higher is better; negative: not in the running for best.
    std::function<double(const C&)> score;
    /// best.json (`best` null while no candidate scores; `count` candidates so far).
    std::function<core::Json(const C* best, int count)> best_json;
  };

  CandidateLog(train::DistributedGroup& group, const std::string& out_dir, Format format)
      : group_(group),
        log_path_(out_dir + "/candidates.jsonl"),
        best_path_(out_dir + "/best.json"),
        format_(std::move(format)) {}

  const std::string& log_path() const { return log_path_; }
  const std::vector<C>& candidates() const { return candidates_; }
  int best() const { return best_; }
  int resumed() const { return resumed_; }
  /// Whether `c`, recorded next, would become the best.
  bool would_be_best(const C& c) const {
    const double s = format_.score(c);
    return s >= 0 && (best_ < 0 || s > format_.score(candidates_[std::size_t(best_)]));
  }

  /// Every rank: rank 0 runs `prepare` (its checks, the settings file; may throw), reads the
  /// log back when `resume` (lines out of order are errors naming the line), rewrites it
  /// without a torn tail, and rewrites best.json (a kill may have come between a record and
  /// it). Every rank learns how many candidates are finished, or throws rank 0's refusal.
  void open(bool resume, const std::function<void()>& prepare) {
    std::string refusal;
    if (group_.is_main()) {
      try {
        prepare();
        if (resume)
          for (const auto& [json, where] : read_json_lines(log_path_)) {
            candidates_.push_back(format_.from_json(json, where));
            if (candidates_.back().index != int(candidates_.size()) - 1)
              throw core::Error(where + ": is candidate " + std::to_string(candidates_.back().index) +
                                ", expected " + std::to_string(candidates_.size() - 1));
          }
        std::string text;
        for (const auto& c : candidates_) text += format_.to_json(c).dump() + "\n";
        core::write_file_atomic(log_path_, text);
        update_best();
        write_best();
      } catch (const std::exception& e) {
        refusal = e.what();
      }
    }
    resumed_ = int(broadcast_outcome(group_, refusal, double(candidates_.size()), "search resume point"));
    if (!group_.is_main()) {
      candidates_.resize(std::size_t(resumed_));
      update_best();
    }
  }

  /// Every rank, once per finished candidate, in index order: rank 0 runs `before_write`
  /// (files that must not trail the record, e.g. the winner's), appends `c` and rewrites
  /// best.json. Throws on every rank when that failed on rank 0.
  void record(C c, const std::function<void()>& before_write = {}) {
    const std::string what = "candidate " + std::to_string(c.index);
    std::string refusal;
    if (group_.is_main()) {
      try {
        if (before_write) before_write();
        append_line(log_path_, format_.to_json(c).dump());
        candidates_.push_back(std::move(c));
        update_best();
        write_best();
      } catch (const std::exception& e) {
        refusal = e.what();
      }
    } else {
      candidates_.push_back(std::move(c));
      update_best();
    }
    // Doubles as the barrier after rank 0's writes, and stops every rank if they failed.
    agree_written(group_, refusal, what);
  }

 private:
  void update_best() {
    best_ = -1;
    for (std::size_t i = 0; i < candidates_.size(); ++i) {
      const double s = format_.score(candidates_[i]);
      if (s >= 0 && (best_ < 0 || s > format_.score(candidates_[std::size_t(best_)]))) best_ = int(i);
    }
  }
  void write_best() const {
    const C* b = best_ < 0 ? nullptr : &candidates_[std::size_t(best_)];
    core::write_file_atomic(best_path_, format_.best_json(b, int(candidates_.size())).dump_pretty() + "\n");
  }

  train::DistributedGroup& group_;
  std::string log_path_, best_path_;
  Format format_;
  std::vector<C> candidates_;
  int best_ = -1;
  int resumed_ = 0;
};

}  // namespace tinynas::nas::detail
