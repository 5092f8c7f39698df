#include "tinynas/nas/saved_subnet.h"

#include <stdio.h>  // renameat2 (glibc >= 2.28)

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <unistd.h>

#include <torch/torch.h>

#include "tinynas/compress/mask_set.h"
#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/cost/path_cost.h"
#include "tinynas/nas/pruned_training.h"
#include "tinynas/train/checkpoint.h"

namespace tinynas::nas {
namespace fs = std::filesystem;
namespace {

constexpr const char* kFormat = "tinynas-subnet";
constexpr int kVersion = 1;
// Members save_subnet owns: extra_info may add figures, never change what the files are.
const char* const kIdentityKeys[] = {"format", "version", "space", "supernet", "arch",
                                     "sparse", "input", "classes", "masks"};

std::string unique_suffix() {
  static std::atomic<unsigned> counter{0};
  return std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

// Puts `staged` (a complete directory) where `dir` is: atomically swapped with an
// existing dir (renameat2 RENAME_EXCHANGE), or renamed into place when there is none.
void publish_dir(const std::string& staged, const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::rename(staged, dir, ec);
    if (ec) core::fail_file(dir, "cannot move the new directory into place: " + ec.message());
    return;
  }
#ifdef RENAME_EXCHANGE
  if (::renameat2(AT_FDCWD, staged.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) == 0) {
    fs::remove_all(staged, ec);  // now the old directory
    return;
  }
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
    core::fail_file(dir, std::string("cannot swap in the new directory: ") + std::strerror(errno));
#endif
  // No atomic exchange on this filesystem: move the old one aside first. A crash in
  // between leaves no dir (and the old one beside it), never a half-written one.
  const std::string old = dir + ".old-" + unique_suffix();
  fs::rename(dir, old, ec);
  if (ec) core::fail_file(dir, "cannot move the old directory aside: " + ec.message());
  fs::rename(staged, dir, ec);
  if (ec) core::fail_file(dir, "cannot move the new directory into place: " + ec.message());
  fs::remove_all(old, ec);
}

// The member `key` of `j`, converted by `get`; errors name the file and the key.
template <class F>
auto field(const core::Json& j, const std::string& key, const std::string& path, F&& get) {
  try {
    return get(j.at(key));
  } catch (const core::Error& e) {
    core::fail_file(path, "key '" + key + "': " + e.what());
  }
}

bool is_identity_key(const std::string& key) {
  for (const char* id : kIdentityKeys)
    if (key == id) return true;
  return false;
}

}  // namespace

core::Json subnet_extra_info(const core::Json& info) {
  core::Json extra = core::Json::object();
  if (info.is_object())
    for (const auto& [k, v] : info.items())
      if (!is_identity_key(k)) extra[k] = v;
  return extra;
}

void save_subnet(const std::string& dir, const space::SpaceDef& def,
                 const std::string& supernet_text, const space::SupernetLayout& layout,
                 space::Subnet& model, const space::SparseConfig& sparse,
                 const core::Json& extra_info) {
  try {
    if (layout.space_id != def.id)
      throw core::Error("the layout is of space " + layout.space_id + ", not " + def.id);
    const space::Arch& arch = model->arch();
    compress::MaskSet masks(compress::prunable_layers(model, layout, sparse));
    masks.compute_magnitude(1.0);  // zero blocks score lowest: a pruned model keeps its masks
    masks.apply();
    const PruningSummary pruned = summarize(masks);
    const cost::Cost cost = cost::evaluate_path(layout, arch, &sparse);

    core::Json info = core::Json::object();
    info["format"] = kFormat;
    info["version"] = kVersion;
    info["space"] = def.id;
    info["supernet"] = supernet_text;
    info["arch"] = space::to_string(arch, layout);
    info["sparse"] = space::to_string(sparse, layout);
    core::Json input = core::Json::array();
    for (int v : {layout.input.c, layout.input.h, layout.input.w}) input.push_back(v);
    info["input"] = input;
    info["classes"] = layout.classes;
    info["masks"] = "masks.pt";
    info["dense_accuracy"] = -1.0;
    info["pruned_accuracy"] = -1.0;
    info["achieved_sparsity"] = pruned.sparsity();
    info["zero_blocks"] = pruned.zero_blocks;
    info["target_blocks"] = pruned.target_blocks;
    info["effective_params"] = cost.effective_params;
    info["flash"] = cost.flash;
    info["peak_sram"] = cost.peak_sram;
    info["macs"] = cost.macs;
    if (!extra_info.is_null() && !extra_info.is_object())
      throw core::Error("extra_info must be a JSON object");
    if (extra_info.is_object())
      for (const auto& [k, v] : extra_info.items()) {
        if (is_identity_key(k)) throw core::Error("extra_info may not set '" + k + "'");
        info[k] = v;
      }

    torch::serialize::OutputArchive weights;
    train::write_module(weights, *model, "model/");
    torch::serialize::OutputArchive mask_archive;
    masks.save(mask_archive);
    const std::string weight_bytes = train::archive_bytes(weights);
    const std::string mask_bytes = train::archive_bytes(mask_archive);

    const fs::path target(dir);
    std::error_code ec;
    if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
    if (ec) core::fail_file(target.parent_path().string(), "cannot create directory: " + ec.message());
    const std::string staged = dir + ".tmp-" + unique_suffix();
    fs::remove_all(staged, ec);
    fs::create_directory(staged, ec);
    if (ec) core::fail_file(staged, "cannot create directory: " + ec.message());
    try {
      core::write_file_atomic(staged + "/model.pt", weight_bytes.data(), weight_bytes.size());
      core::write_file_atomic(staged + "/masks.pt", mask_bytes.data(), mask_bytes.size());
      core::write_file_atomic(staged + "/subnet.json", info.dump_pretty() + "\n");
      publish_dir(staged, dir);
    } catch (...) {
      fs::remove_all(staged, ec);
      throw;
    }
  } catch (const core::Error& e) {
    core::rethrow_with_context("saving subnet " + dir, e);
  }
}

SavedSubnet load_subnet(const std::string& dir, const space::SpaceDef& def) {
  SavedSubnet s;
  const std::string path = dir + "/subnet.json";
  s.info = core::Json::parse(core::read_text_file(path), path);
  const auto& j = s.info;
  if (!j.is_object()) core::fail_file(path, "is not a JSON object");
  const std::string format = field(j, "format", path, [](const core::Json& v) { return v.as_string(); });
  if (format != kFormat)
    core::fail_file(path, "key 'format': \"" + format + "\" is not \"" + kFormat + "\"");
  const auto version = field(j, "version", path, [](const core::Json& v) { return v.as_int(); });
  if (version != kVersion)
    core::fail_file(path, "key 'version': " + std::to_string(version) +
                              " is not supported (this build reads " + std::to_string(kVersion) + ")");
  const std::string space_id = field(j, "space", path, [](const core::Json& v) { return v.as_string(); });
  if (space_id != def.id)
    core::fail_file(path, "key 'space': a subnet of space " + space_id + ", but the recipe's space (" +
                              def.source + ") is " + def.id);
  s.supernet = field(j, "supernet", path, [](const core::Json& v) { return v.as_string(); });
  const auto cfg = field(j, "supernet", path,
                         [&](const core::Json& v) { return space::parse_supernet(v.as_string(), def); });
  const auto input = field(j, "input", path, [](const core::Json& v) {
    if (v.size() != 3) throw core::Error("expected [C, H, W]");
    return space::Shape{int(v[0].as_int()), int(v[1].as_int()), int(v[2].as_int())};
  });
  const int classes = int(field(j, "classes", path, [](const core::Json& v) { return v.as_int(); }));
  try {
    s.layout = space::make_layout(def, cfg, input, classes);
  } catch (const core::Error& e) {
    core::rethrow_with_context(path, e);
  }
  s.arch = field(j, "arch", path,
                 [&](const core::Json& v) { return space::parse_arch(v.as_string(), s.layout); });
  s.sparse = field(j, "sparse", path,
                   [&](const core::Json& v) { return space::parse_sparse(v.as_string(), s.layout); });

  s.model = space::Subnet(s.layout, s.arch);
  const std::string model_path = dir + "/model.pt";
  {
    const auto bytes = core::read_file(model_path);
    torch::serialize::InputArchive archive;
    train::load_archive(archive, std::string(bytes.begin(), bytes.end()), model_path);
    train::read_module(archive, *s.model, "model/", model_path);
  }
  if (j.contains("masks")) {
    const std::string mask_path =
        dir + "/" + field(j, "masks", path, [](const core::Json& v) { return v.as_string(); });
    const auto bytes = core::read_file(mask_path);
    torch::serialize::InputArchive archive;
    train::load_archive(archive, std::string(bytes.begin(), bytes.end()), mask_path);
    try {
      compress::MaskSet masks(compress::prunable_layers(s.model, s.layout, s.sparse));
      masks.load(archive);
      masks.apply();  // already zero when written by save_subnet; guarantees it
    } catch (const core::Error& e) {
      core::rethrow_with_context(mask_path, e);
    }
  }
  s.model->eval();
  return s;
}

}  // namespace tinynas::nas
