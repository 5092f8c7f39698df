// A trained, block-pruned subnet on disk: what SparseNAS hands to quantisation and export
// (`<run>/sparsenas/best/` after stage 1, `<run>/sparsenas/final/` after stage 2).
//
// Directory layout:
//   subnet.json  {"format": "tinynas-subnet", "version": 1,
//                 "space": space id, "supernet": SupernetConfig text (space::to_string),
//                 "arch": path line, "sparse": sparse config line,
//                 "input": [C, H, W], "classes": K,
//                 "dense_accuracy", "pruned_accuracy": validation top-1 in [0, 1] (-1 when
//                     not measured), before pruning and of the pruned model,
//                 "achieved_sparsity": zero weights / prunable weights (in [0, 1]),
//                 "zero_blocks", "target_blocks": pruned blocks now / as the config asks,
//                 "effective_params", "flash", "peak_sram" (bytes), "macs": the int8 cost
//                     model's figures for (arch, sparse) (cost/path_cost.h),
//                 ... plus the caller's extra_info members}
//   model.pt     LibTorch archive: every parameter and buffer as "model/<name>"
//                (train::write_module), pruned blocks exactly zero
//   masks.pt     LibTorch archive: the block masks (compress::MaskSet::save, matched by
//                parameter name)
#pragma once

#include <string>

#include "tinynas/core/json.h"
#include "tinynas/space/arch.h"
#include "tinynas/space/layout.h"
#include "tinynas/space/space.h"
#include "tinynas/space/supernet.h"

namespace tinynas::nas {

struct SavedSubnet {
  std::string supernet;          // SupernetConfig text (space::to_string(cfg, def))
  space::SupernetLayout layout;  // rebuilt from def + supernet + input shape + classes
  space::Arch arch;
  space::SparseConfig sparse;
  space::Subnet model{nullptr};  // weights loaded (pruned blocks exactly zero), eval mode
  core::Json info;               // the whole subnet.json
};

/// Writes dir/subnet.json + dir/model.pt (+ masks) atomically (temp dir then rename; never
/// leaves a half-written dir in place of a good one).
///
/// `model` is a subnet of `layout` (its arch); its prunable layers are masked to `sparse`
/// by their current zero blocks (each layer's magnitude mask at its full ratio, so blocks
/// already zero are the pruned ones) and the masked weights are saved. `extra_info` (an
/// object, or null) adds members to subnet.json, e.g. "dense_accuracy" and
/// "pruned_accuracy" (written as -1 unless given); it may not replace the members computed
/// here. Creates dir's parent. Errors are core::Error naming the directory.
void save_subnet(const std::string& dir, const space::SpaceDef& def,
                 const std::string& supernet_text, const space::SupernetLayout& layout,
                 space::Subnet& model, const space::SparseConfig& sparse,
                 const core::Json& extra_info);

/// Loads it; errors name the file and the key. Checks the space id matches def.
SavedSubnet load_subnet(const std::string& dir, const space::SpaceDef& def);

/// The members of a subnet.json that save_subnet does not own (everything but format,
/// version, space, supernet, arch, sparse, input, classes, masks): the extra_info that
/// saves a loaded subnet again with the same figures (a copy).
core::Json subnet_extra_info(const core::Json& info);

}  // namespace tinynas::nas
