// Training checkpoints (DESIGN.md §4): a LibTorch archive (weights, buffers, optimizer
// state, torch's RNG state) plus a JSON sidecar (step, data position, recipe, world size,
// archive size and CRC-32). Both are written atomically, archive first: the sidecar is
// the commit record, so a checkpoint without a valid sidecar does not exist. Nothing
// ever overwrites the last good checkpoint.
//
// The sidecar is not trusted alone: the archive carries an identity record of its own
// (step, data split, space fingerprint, supernet, subnet, recipe hash, best step), and
// load_checkpoint_archive refuses an archive whose record disagrees with its sidecar (an
// edited step, an older archive put in its place). Sidecars of format version 1, written
// before the record existed, load without that check.
//
// Directory layout: ckpt-<step, 9 digits>.pt / .json, the newest `keep_last` kept;
// best.json + best-<step>.pt, a copy of the best-validated one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <torch/nn/module.h>
#include <torch/serialize/archive.h>

#include "tinynas/core/json.h"
#include "tinynas/space/space.h"

namespace tinynas::train {

struct CheckpointInfo {
  std::int64_t step = 0;             // optimizer steps done
  std::int64_t steps_per_epoch = 0;
  int virtual_world = 1;             // ranks × accumulate: fixes how data is sharded
  int world_size = 1;
  std::string space_id;
  std::string space_fingerprint;     // space_fingerprint() of the space file trained on; ""
                                     // in sidecars written before the field existed
  std::string supernet;              // SupernetConfig text, e.g. "tf1{c1=24,...}"
  std::string subnet;                // a subnet run: what it trains (path, sparse config,
                                     // pruning schedule); "" for the supernet (and in
                                     // sidecars written before the field existed)
  std::vector<std::pair<std::string, std::string>> recipe;  // config::flat_values
  double val_accuracy = -1;          // mean over evaluated paths at this step; -1 = none
  double best_accuracy = -1;         // best val_accuracy so far (this one included)
  std::int64_t best_step = -1;
  std::string archive;               // archive file name, next to the sidecar
  std::int64_t archive_bytes = 0;
  std::uint32_t archive_crc32 = 0;
  std::string torch_version;
  int format_version = 2;            // of the sidecar read (to_json writes the current one);
                                     // 1: its archive has no identity record
};

/// Fingerprint of a space file's resolved contents (SpaceDef::canonical): 16 hex digits,
/// the same for any notation of the same data, another for any changed value. Path-free,
/// so a moved file keeps it and an edited one does not.
std::string space_fingerprint(const space::SpaceDef& def);

/// Hash of a flattened recipe (config::flat_values), 16 hex digits, independent of the
/// order of the pairs.
std::string recipe_hash(const std::vector<std::pair<std::string, std::string>>& recipe);

core::Json to_json(const CheckpointInfo& info);
/// Throws core::Error "<source>: ..." naming a missing or mistyped key.
CheckpointInfo checkpoint_info_from_json(const core::Json& json, const std::string& source);

struct Checkpoint {
  CheckpointInfo info;
  std::string sidecar;       // path of the .json
  std::string archive_path;  // path of the archive (.pt) it names
  std::string archive;       // the archive's bytes, verified against size and CRC-32
};

/// Reads a sidecar and its archive; errors name the file and what is wrong (unreadable,
/// not a checkpoint, truncated, checksum mismatch).
Checkpoint read_checkpoint(const std::string& sidecar_path);

/// Loads `c`'s archive into `archive` and checks the identity record inside it against
/// the sidecar: core::Error "<.pt>: <field> is X in the archive, Y in its sidecar <.json>"
/// on a mismatch, "<.pt>: not a readable LibTorch archive" or "... has no identity
/// record" when it is not one of ours. Every error names the archive, not the sidecar.
void load_checkpoint_archive(torch::serialize::InputArchive& archive, const Checkpoint& c);

class CheckpointDir {
 public:
  explicit CheckpointDir(std::string dir);
  const std::string& dir() const { return dir_; }

  /// Sidecar paths of the numbered checkpoints (ckpt-*.json), oldest first.
  std::vector<std::string> list() const;
  std::optional<std::string> latest() const;
  std::string best_path() const { return dir_ + "/best.json"; }

  /// Adds `info`'s identity record to `archive`, then writes it as ckpt-<step>.pt, then
  /// (when `best`) best-<step>.pt and best.json, then ckpt-<step>.json (creating the
  /// directory), then deletes numbered checkpoints older than the newest `keep_last` (at
  /// least the one just written stays). Fills info.archive/bytes/crc. Returns the sidecar
  /// path.
  std::string save(CheckpointInfo info, torch::serialize::OutputArchive& archive, bool best,
                   int keep_last);

 private:
  std::string dir_;
};

/// Archive bytes ↔ archives.
std::string archive_bytes(torch::serialize::OutputArchive& archive);
void load_archive(torch::serialize::InputArchive& archive, const std::string& bytes,
                  const std::string& source);

/// Every parameter and buffer of `module` as "<prefix><name>" (copied to the CPU).
void write_module(torch::serialize::OutputArchive& archive, const torch::nn::Module& module,
                  const std::string& prefix);
/// Reads what write_module wrote into `module`'s tensors (keeping their devices). A
/// missing entry or another shape is a core::Error naming `source` and the tensor.
void read_module(torch::serialize::InputArchive& archive, torch::nn::Module& module,
                 const std::string& prefix, const std::string& source);

/// Keys whose values differ between a checkpoint's recipe and `now` (both from
/// config::flat_values), skipping keys that start with one of `ignore`; each entry reads
/// "train.lr: 0.001 in the checkpoint, 0.0005 now" (`saved_as` names what holds `saved`).
/// A key `saved` lacks (added to the schema since) counts only when it is off its default.
std::vector<std::string> recipe_differences(
    const std::vector<std::pair<std::string, std::string>>& saved,
    const std::vector<std::pair<std::string, std::string>>& now,
    const std::vector<std::string>& ignore, const std::string& saved_as = "the checkpoint");

}  // namespace tinynas::train
