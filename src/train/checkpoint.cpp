#include "tinynas/train/checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include <torch/torch.h>

#include "tinynas/config/load.h"
#include "tinynas/core/checksum.h"
#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"

namespace tinynas::train {
namespace fs = std::filesystem;
namespace {

constexpr const char* kFormat = "tinynas-checkpoint";
constexpr int kVersion = 2;  // 2: the archive holds an identity record (kIdentityKey)
// The archive's own record of what it is, a JSON object as a string value.
constexpr const char* kIdentityKey = "checkpoint/identity";


std::string numbered(std::int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "ckpt-%09lld", static_cast<long long>(step));
  return buf;
}

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// The fields the sidecar and the archive's identity record share, in the order both
// write them: where the run is and on which model. The sidecar leaves out an empty
// space_fingerprint or subnet (its reader takes a missing one for empty); the record
// keeps them (`keep_empty`), so that a subnet's archive is not taken for a supernet's.
void put_run_fields(core::Json& j, const CheckpointInfo& info, bool keep_empty) {
  j["step"] = info.step;
  j["steps_per_epoch"] = info.steps_per_epoch;
  j["virtual_world"] = info.virtual_world;
  j["world_size"] = info.world_size;
  j["space_id"] = info.space_id;
  if (keep_empty || !info.space_fingerprint.empty()) j["space_fingerprint"] = info.space_fingerprint;
  j["supernet"] = info.supernet;
  if (keep_empty || !info.subnet.empty()) j["subnet"] = info.subnet;
}

// What the archive records about itself: every sidecar field that decides how a resume
// goes on (where, on which data split, which model, which recipe). Not the archive's
// name, size and CRC (the archive cannot hold its own), nor accuracies (doubles; a
// wrong one misleads no resume).
core::Json identity_of(const CheckpointInfo& info) {
  core::Json j = core::Json::object();
  put_run_fields(j, info, /*keep_empty=*/true);
  j["recipe_hash"] = recipe_hash(info.recipe);
  j["best_step"] = info.best_step;
  return j;
}

}  // namespace

std::string space_fingerprint(const space::SpaceDef& def) { return core::hex64(core::fnv1a64(def.canonical)); }

std::string recipe_hash(const std::vector<std::pair<std::string, std::string>>& recipe) {
  std::vector<std::pair<std::string, std::string>> sorted = recipe;
  std::sort(sorted.begin(), sorted.end());
  std::string text;
  for (const auto& [k, v] : sorted)  // length-prefixed: no two recipes give the same text
    text += std::to_string(k.size()) + ":" + k + "=" + std::to_string(v.size()) + ":" + v + ";";
  return core::hex64(core::fnv1a64(text));
}

core::Json to_json(const CheckpointInfo& info) {
  core::Json j = core::Json::object();
  j["format"] = kFormat;
  j["version"] = kVersion;
  put_run_fields(j, info, /*keep_empty=*/false);
  j["val_accuracy"] = info.val_accuracy;
  j["best_accuracy"] = info.best_accuracy;
  j["best_step"] = info.best_step;
  j["archive"] = info.archive;
  j["archive_bytes"] = info.archive_bytes;
  j["archive_crc32"] = static_cast<std::int64_t>(info.archive_crc32);
  j["torch_version"] = info.torch_version;
  core::Json recipe = core::Json::object();
  for (const auto& [k, v] : info.recipe) recipe[k] = v;
  j["recipe"] = recipe;
  return j;
}

CheckpointInfo checkpoint_info_from_json(const core::Json& j, const std::string& source) {
  try {
    if (!j.is_object() || !j.contains("format") || j.at("format").as_string() != kFormat)
      throw core::Error("not a tinynas checkpoint sidecar (no \"format\": \"" +
                        std::string(kFormat) + "\")");
    const std::int64_t version = j.at("version").as_int();
    if (version < 1 || version > kVersion)
      throw core::Error("checkpoint format version " + std::to_string(version) +
                        " is not supported (this build reads versions 1 to " +
                        std::to_string(kVersion) + ")");
    CheckpointInfo info;
    info.format_version = static_cast<int>(version);
    info.step = j.at("step").as_int();
    info.steps_per_epoch = j.at("steps_per_epoch").as_int();
    info.virtual_world = static_cast<int>(j.at("virtual_world").as_int());
    info.world_size = static_cast<int>(j.at("world_size").as_int());
    info.space_id = j.at("space_id").as_string();
    if (const auto* fp = j.find("space_fingerprint")) info.space_fingerprint = fp->as_string();
    info.supernet = j.at("supernet").as_string();
    if (const auto* sub = j.find("subnet")) info.subnet = sub->as_string();
    info.val_accuracy = j.at("val_accuracy").is_null() ? -1 : j.at("val_accuracy").as_double();
    info.best_accuracy =
        j.at("best_accuracy").is_null() ? -1 : j.at("best_accuracy").as_double();
    info.best_step = j.at("best_step").as_int();
    info.archive = j.at("archive").as_string();
    info.archive_bytes = j.at("archive_bytes").as_int();
    info.archive_crc32 = static_cast<std::uint32_t>(j.at("archive_crc32").as_int());
    info.torch_version = j.at("torch_version").as_string();
    for (const auto& [k, v] : j.at("recipe").items()) info.recipe.emplace_back(k, v.as_string());
    if (info.step < 0 || info.steps_per_epoch < 1 || info.virtual_world < 1 ||
        info.archive.empty() || info.archive.find('/') != std::string::npos)
      throw core::Error("inconsistent values (step, steps_per_epoch, virtual_world, archive)");
    if (info.best_step > info.step)
      throw core::Error("best_step " + std::to_string(info.best_step) + " is after step " +
                        std::to_string(info.step));
    return info;
  } catch (const core::Error& e) {
    core::fail_file(source, e.what());
  }
}

Checkpoint read_checkpoint(const std::string& sidecar_path) {
  Checkpoint c;
  c.sidecar = sidecar_path;
  const auto text = core::read_text_file(sidecar_path);
  c.info = checkpoint_info_from_json(core::Json::parse(text, sidecar_path), sidecar_path);
  const std::string archive_path = (fs::path(sidecar_path).parent_path() / c.info.archive).string();
  c.archive_path = archive_path;
  const auto bytes = core::read_file(archive_path);
  c.archive.assign(bytes.begin(), bytes.end());
  if (static_cast<std::int64_t>(c.archive.size()) != c.info.archive_bytes)
    core::fail_file(archive_path, "has " + std::to_string(c.archive.size()) + " bytes, its sidecar " +
                                      sidecar_path + " says " +
                                      std::to_string(c.info.archive_bytes) + " (truncated?)");
  if (core::crc32_of(c.archive.data(), c.archive.size()) != c.info.archive_crc32)
    core::fail_file(archive_path, "CRC-32 does not match its sidecar " + sidecar_path +
                                      " (the file is corrupt)");
  return c;
}

void load_checkpoint_archive(torch::serialize::InputArchive& archive, const Checkpoint& c) {
  load_archive(archive, c.archive, c.archive_path);
  if (c.info.format_version < 2) return;  // written before archives held the record
  c10::IValue value;
  if (!archive.try_read(kIdentityKey, value) || !value.isString())
    core::fail_file(c.archive_path, "has no checkpoint identity record, its sidecar " + c.sidecar +
                                        " (format version " + std::to_string(c.info.format_version) +
                                        ") says it should (not the archive this sidecar was written with)");
  core::Json recorded;
  try {
    recorded = core::Json::parse(value.toStringRef(), c.archive_path + " (identity record)");
  } catch (const core::Error& e) {
    core::fail_file(c.archive_path, std::string("unreadable identity record: ") + e.what());
  }
  const core::Json expected = identity_of(c.info);
  for (const auto& [field, want] : expected.items()) {
    const core::Json* got = recorded.is_object() ? recorded.find(field) : nullptr;
    if (got && *got == want) continue;
    core::fail_file(c.archive_path,
                    field + " is " + (got ? got->dump() : std::string("missing")) +
                        " in the archive, " + want.dump() + " in its sidecar " + c.sidecar +
                        " (the sidecar was edited or the archive replaced; resume from an intact "
                        "checkpoint or start the run over)");
  }
}

CheckpointDir::CheckpointDir(std::string dir) : dir_(std::move(dir)) {}

std::vector<std::string> CheckpointDir::list() const {
  std::vector<std::pair<std::string, std::string>> found;  // (name, path)
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return {};
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    const auto name = e.path().filename().string();
    if (starts_with(name, "ckpt-") && e.path().extension() == ".json")
      found.emplace_back(name, e.path().string());
  }
  std::sort(found.begin(), found.end());  // zero-padded steps sort as numbers
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

std::optional<std::string> CheckpointDir::latest() const {
  auto all = list();
  if (all.empty()) return std::nullopt;
  return all.back();
}

std::string CheckpointDir::save(CheckpointInfo info, torch::serialize::OutputArchive& archive,
                                bool best, int keep_last) {
  archive.write(kIdentityKey, c10::IValue(identity_of(info).dump()));
  const std::string archive_bytes_ = archive_bytes(archive);
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) core::fail_file(dir_, "cannot create directory: " + ec.message());
  const std::string base = numbered(info.step);
  info.archive = base + ".pt";
  info.archive_bytes = static_cast<std::int64_t>(archive_bytes_.size());
  info.archive_crc32 = core::crc32_of(archive_bytes_.data(), archive_bytes_.size());
  core::write_file_atomic(dir_ + "/" + info.archive, archive_bytes_.data(), archive_bytes_.size());
  if (best) {
    // The best copy gets an archive of its own name, and best.json switches to it in one
    // rename: a kill at any point leaves the previous best or the new one, never neither.
    CheckpointInfo b = info;
    b.archive = "best-" + base.substr(5) + ".pt";
    core::write_file_atomic(dir_ + "/" + b.archive, archive_bytes_.data(), archive_bytes_.size());
    core::write_file_atomic(best_path(), to_json(b).dump() + "\n");
    for (const auto& e : fs::directory_iterator(dir_, ec)) {
      const auto name = e.path().filename().string();
      if (starts_with(name, "best-") && e.path().extension() == ".pt" && name != b.archive)
        fs::remove(e.path(), ec);
    }
  }
  // The numbered sidecar last: it commits the checkpoint (and records this best), so a
  // resume never sees a best_step whose best.* was not written.
  const std::string sidecar = dir_ + "/" + base + ".json";
  core::write_file_atomic(sidecar, to_json(info).dump() + "\n");
  auto all = list();
  const std::size_t keep = static_cast<std::size_t>(std::max(1, keep_last));
  for (std::size_t i = 0; i + keep < all.size(); ++i) {
    if (all[i] == sidecar) continue;
    // Sidecar first: a crash in between leaves an orphan archive, never a dangling record.
    fs::remove(all[i], ec);
    fs::remove(fs::path(all[i]).replace_extension(".pt"), ec);
  }
  return sidecar;
}

std::string archive_bytes(torch::serialize::OutputArchive& archive) {
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

void load_archive(torch::serialize::InputArchive& archive, const std::string& bytes,
                  const std::string& source) {
  try {
    archive.load_from(bytes.data(), bytes.size(), torch::Device(torch::kCPU));
  } catch (const std::exception& e) {
    core::fail_file(source, "not a readable LibTorch archive: " + core::first_line(e));
  }
}

void write_module(torch::serialize::OutputArchive& archive, const torch::nn::Module& module,
                  const std::string& prefix) {
  for (const auto& p : module.named_parameters(true))
    archive.write(prefix + p.key(), p.value().detach().cpu().contiguous());
  for (const auto& b : module.named_buffers(true))
    archive.write(prefix + b.key(), b.value().cpu().contiguous(), /*is_buffer=*/true);
}

void read_module(torch::serialize::InputArchive& archive, torch::nn::Module& module,
                 const std::string& prefix, const std::string& source) {
  torch::NoGradGuard no_grad;
  auto read_into = [&](const std::string& name, torch::Tensor& target, bool buffer) {
    torch::Tensor t;
    if (!archive.try_read(prefix + name, t, buffer))
      core::fail_file(source, std::string("has no ") + (buffer ? "buffer" : "parameter") + " '" +
                                  name + "' (written for another model?)");
    if (!t.sizes().equals(target.sizes()))
      core::fail_file(source, "'" + name + "' has shape " + c10::str(t.sizes()) +
                                  ", the model's has " + c10::str(target.sizes()) +
                                  " (written for another model?)");
    target.copy_(t);
  };
  for (auto& p : module.named_parameters(true)) read_into(p.key(), p.value(), false);
  for (auto& b : module.named_buffers(true)) read_into(b.key(), b.value(), true);
}

std::vector<std::string> recipe_differences(
    const std::vector<std::pair<std::string, std::string>>& saved,
    const std::vector<std::pair<std::string, std::string>>& now,
    const std::vector<std::string>& ignore, const std::string& saved_as) {
  std::map<std::string, std::string> old(saved.begin(), saved.end());
  // A key the run was saved without (added to the schema since) is no change at the value
  // that does what the saved run did: config::added_keys' where it lists the key, else the
  // default.
  const auto defaults = config::flat_values(config::Recipe{});
  std::map<std::string, std::string> fallback(defaults.begin(), defaults.end());
  for (const auto& [key, value] : config::added_keys()) fallback[key] = value;
  std::vector<std::string> out;
  for (const auto& [key, value] : now) {
    bool skip = false;
    for (const auto& i : ignore) skip = skip || starts_with(key, i);
    if (skip) continue;
    auto it = old.find(key);
    if (it == old.end()) {
      auto d = fallback.find(key);
      if (d != fallback.end() && d->second == value) continue;
    }
    const std::string was = it == old.end() ? "(absent)" : it->second;
    if (was != value) out.push_back(key + ": " + was + " in " + saved_as + ", " + value + " now");
  }
  return out;
}

}  // namespace tinynas::train
