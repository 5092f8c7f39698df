// Space files: YAML → SpaceDef, with every error naming file:line and the key path.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/text.h"
#include "tinynas/space/registry.h"
#include "tinynas/space/space.h"

namespace tinynas::space {
namespace {

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& path,
                         const std::string& message) const {
    std::string where = source_;
    if (node.IsDefined() && node.Mark().line >= 0) where += ":" + std::to_string(node.Mark().line + 1);
    throw core::Error(where + ": " + (path.empty() ? "" : path + ": ") + message);
  }
  std::string where(const YAML::Node& node, const std::string& path) const {
    std::string w = source_;
    if (node.IsDefined() && node.Mark().line >= 0) w += ":" + std::to_string(node.Mark().line + 1);
    return w + " " + path;
  }

  void check_keys(const YAML::Node& map, const std::string& path,
                  const std::vector<std::string>& allowed) const {
    if (!map.IsMap()) fail(map, path, "expected a mapping");
    for (const auto& kv : map) {
      const auto key = kv.first.as<std::string>();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
        fail(kv.first, path.empty() ? key : path + "." + key,
             "unknown key" + core::did_you_mean(key, allowed) + "; valid keys: " +
                 core::join(allowed, ", "));
    }
  }

  Scalar scalar(const YAML::Node& node, const std::string& path) const {
    if (!node.IsScalar()) fail(node, path, "expected a single value");
    const std::string text = node.Scalar();
    if (node.Tag() != "!") {  // unquoted: numbers and booleans
      if (text == "true") return true;
      if (text == "false") return false;
      try {
        std::size_t used = 0;
        const long long i = std::stoll(text, &used);
        if (used == text.size()) return std::int64_t(i);
      } catch (const std::exception&) {
      }
      try {
        std::size_t used = 0;
        const double d = std::stod(text, &used);
        if (used == text.size()) return d;
      } catch (const std::exception&) {
      }
    }
    return text;
  }

  std::int64_t integer(const YAML::Node& node, const std::string& path) const {
    const Scalar v = scalar(node, path);
    if (!std::holds_alternative<std::int64_t>(v))
      fail(node, path, "expected an integer, got '" + node.Scalar() + "'");
    return std::get<std::int64_t>(v);
  }

  std::string text(const YAML::Node& node, const std::string& path) const {
    if (!node.IsScalar() || node.Scalar().empty()) fail(node, path, "expected a name");
    return node.Scalar();
  }

  /// A channel count or a "$hyper" reference.
  Scalar channels(const YAML::Node& node, const std::string& path) const {
    const Scalar v = scalar(node, path);
    if (std::holds_alternative<std::int64_t>(v) && std::get<std::int64_t>(v) > 0) return v;
    if (std::holds_alternative<std::string>(v) && std::get<std::string>(v).rfind('$', 0) == 0)
      return v;
    fail(node, path, "expected a positive integer or a $hyper-parameter, got '" +
                         node.Scalar() + "'");
  }

  /// A block: {type: key, out?: ..., params...}; list-valued params expand.
  std::vector<BlockSpec> blocks(const YAML::Node& node, const std::string& path,
                                bool allow_out) const {
    if (!node.IsMap()) fail(node, path, "expected a block such as {type: conv, kernel: 3}");
    const YAML::Node type = node["type"];
    if (!type) fail(node, path, "missing 'type' (a block type: " +
                                    core::join(builtin_blocks().keys(), ", ") + ")");
    BlockSpec base;
    base.type = text(type, path + ".type");
    base.where = where(node, path);
    const BlockType& bt = builtin_blocks().at(base.type, base.where);
    std::vector<std::string> names;
    for (const auto& p : bt.params) names.push_back(p.name);
    std::vector<std::pair<std::string, std::vector<Scalar>>> lists;
    for (const auto& kv : node) {
      const auto key = kv.first.as<std::string>();
      const std::string kpath = path + "." + key;
      if (key == "type") continue;
      if (key == "out") {
        if (!allow_out)
          fail(kv.first, kpath, "a candidate takes its channels from its choice block; "
                                "set 'out' there");
        base.out = channels(kv.second, kpath);
        continue;
      }
      if (std::find(names.begin(), names.end(), key) == names.end()) {
        std::vector<std::string> valid = names;
        if (allow_out) valid.push_back("out");
        fail(kv.first, kpath, "block type '" + base.type + "' has no parameter '" + key + "'" +
                                  core::did_you_mean(key, valid) + "; its parameters: " +
                                  (valid.empty() ? "none" : core::join(valid, ", ")));
      }
      const ParamDef& def = bt.params[std::size_t(
          std::find(names.begin(), names.end(), key) - names.begin())];
      // Values are checked here, except $references (checked once resolved).
      auto checked = [&](const YAML::Node& n, const std::string& p) {
        Scalar v = scalar(n, p);
        if (const auto* s = std::get_if<std::string>(&v); s && s->rfind('$', 0) == 0) return v;
        try {
          return BlockRegistry::check_value(def, v, p);
        } catch (const core::Error& e) {
          const std::string msg = e.what();
          fail(n, p, msg.substr(p.size() + 2));
        }
      };
      std::vector<Scalar> values;
      if (kv.second.IsSequence()) {
        if (kv.second.size() == 0) fail(kv.second, kpath, "empty list of choices");
        for (std::size_t i = 0; i < kv.second.size(); ++i)
          values.push_back(checked(kv.second[i], kpath + "[" + std::to_string(i) + "]"));
      } else {
        values.push_back(checked(kv.second, kpath));
      }
      lists.emplace_back(key, std::move(values));
    }
    // Cartesian product, first list slowest.
    std::vector<BlockSpec> out{base};
    for (const auto& [key, values] : lists) {
      std::vector<BlockSpec> next;
      for (const auto& spec : out)
        for (const auto& v : values) {
          BlockSpec s = spec;
          s.params.push_back({key, v});
          next.push_back(std::move(s));
        }
      out = std::move(next);
    }
    return out;
  }

  std::vector<BlockSpec> fixed_blocks(const YAML::Node& node, const std::string& path) const {
    std::vector<BlockSpec> out;
    if (!node || node.IsNull()) return out;
    if (!node.IsSequence()) fail(node, path, "expected a list of blocks");
    for (std::size_t i = 0; i < node.size(); ++i) {
      const std::string p = path + "[" + std::to_string(i) + "]";
      auto specs = blocks(node[i], p, /*allow_out=*/true);
      if (specs.size() != 1)
        fail(node[i], p, "a fixed block cannot list choices (only candidates can)");
      out.push_back(std::move(specs[0]));
    }
    return out;
  }

 private:
  std::string source_;
};

void check_refs(const SpaceDef& space, const Scalar& v, const std::string& where) {
  if (!std::holds_alternative<std::string>(v)) return;
  const std::string& s = std::get<std::string>(v);
  if (s.rfind('$', 0) != 0) return;
  const std::string name = s.substr(1);
  for (const auto& h : space.hyper)
    if (h.name == name) return;
  std::vector<std::string> names;
  for (const auto& h : space.hyper) names.push_back(h.name);
  throw core::Error(where + ": unknown hyper-parameter '" + s + "'" +
                    core::did_you_mean(name, names) +
                    (names.empty() ? "" : "; defined: " + core::join(names, ", ")));
}

// The data of a YAML node in one fixed notation: no comments, spacing, quoting or
// flow/block style survive, only scalars, sequences and mappings (in file order).
void canonical_text(const YAML::Node& n, std::string& out) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar: {
      const std::string v = n.Scalar();
      out += std::to_string(v.size()) + ":" + v;
      break;
    }
    case YAML::NodeType::Sequence:
      out += "[";
      for (const auto& e : n) canonical_text(e, out), out += ",";
      out += "]";
      break;
    case YAML::NodeType::Map:
      out += "{";
      for (const auto& kv : n) {
        canonical_text(kv.first, out), out += "=";
        canonical_text(kv.second, out), out += ",";
      }
      out += "}";
      break;
    default:
      out += "~";
  }
}

}  // namespace

const ChoiceType& SpaceDef::choice(const std::string& name) const {
  for (const auto& c : choices)
    if (c.name == name) return c;
  std::vector<std::string> names;
  for (const auto& c : choices) names.push_back(c.name);
  throw core::Error(source + ": unknown choice type '" + name + "'" +
                    core::did_you_mean(name, names) + "; defined: " + core::join(names, ", "));
}

const Hyper& SpaceDef::hyper_param(const std::string& name) const {
  for (const auto& h : hyper)
    if (h.name == name) return h;
  throw core::Error(source + ": unknown hyper-parameter '" + name + "'");
}

SpaceDef parse_space(const std::string& yaml_text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw core::Error(source + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  const Reader r(source);
  if (!root.IsMap()) r.fail(root, "", "expected a mapping with id, stages and choices");
  r.check_keys(root, "", {"id", "name", "hyper", "stem", "stages", "head", "choices"});

  SpaceDef space;
  space.source = source;
  canonical_text(root, space.canonical);
  if (!root["id"]) r.fail(root, "id", "missing (a short id such as tf1)");
  space.id = r.text(root["id"], "id");
  for (char ch : space.id)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-')
      r.fail(root["id"], "id", "use letters, digits, '_' and '-' only");
  space.name = root["name"] ? r.text(root["name"], "name") : space.id;

  if (const YAML::Node hyper = root["hyper"]; hyper && !hyper.IsNull()) {
    if (!hyper.IsMap()) r.fail(hyper, "hyper", "expected a mapping name: {choices, default}");
    for (const auto& kv : hyper) {
      Hyper h;
      h.name = kv.first.as<std::string>();
      const std::string p = "hyper." + h.name;
      const YAML::Node& spec = kv.second;
      r.check_keys(spec, p, {"choices", "default"});
      const YAML::Node ch = spec["choices"];
      if (!ch || !ch.IsSequence() || ch.size() == 0)
        r.fail(spec, p + ".choices", "expected a non-empty list of integers");
      for (std::size_t i = 0; i < ch.size(); ++i) {
        const auto v = r.integer(ch[i], p + ".choices[" + std::to_string(i) + "]");
        if (v <= 0) r.fail(ch[i], p + ".choices[" + std::to_string(i) + "]", "must be positive");
        if (std::find(h.choices.begin(), h.choices.end(), v) != h.choices.end())
          r.fail(ch[i], p + ".choices[" + std::to_string(i) + "]", "repeated value");
        h.choices.push_back(v);
      }
      h.default_value = spec["default"] ? r.integer(spec["default"], p + ".default") : h.choices[0];
      if (std::find(h.choices.begin(), h.choices.end(), h.default_value) == h.choices.end())
        r.fail(spec["default"], p + ".default", "not one of the choices");
      space.hyper.push_back(std::move(h));
    }
  }

  const YAML::Node choices = root["choices"];
  if (!choices || !choices.IsMap() || choices.size() == 0)
    r.fail(choices ? choices : root, "choices", "expected a mapping of choice types");
  std::set<char> letters;
  for (const auto& kv : choices) {
    ChoiceType c;
    c.name = kv.first.as<std::string>();
    const std::string p = "choices." + c.name;
    r.check_keys(kv.second, p, {"letter", "candidates"});
    c.where = r.where(kv.second, p);
    const YAML::Node letter = kv.second["letter"];
    if (!letter || !letter.IsScalar() || letter.Scalar().size() != 1 ||
        !std::isupper(static_cast<unsigned char>(letter.Scalar()[0])))
      r.fail(letter ? letter : kv.second, p + ".letter", "expected one capital letter");
    c.letter = letter.Scalar()[0];
    if (!letters.insert(c.letter).second)
      r.fail(letter, p + ".letter", std::string("letter '") + c.letter + "' is already used");
    const YAML::Node cands = kv.second["candidates"];
    if (!cands || !cands.IsSequence() || cands.size() == 0)
      r.fail(cands ? cands : kv.second, p + ".candidates", "expected a non-empty list");
    for (std::size_t i = 0; i < cands.size(); ++i) {
      auto specs = r.blocks(cands[i], p + ".candidates[" + std::to_string(i) + "]", false);
      for (auto& s : specs) c.candidates.push_back(std::move(s));
    }
    if (c.candidates.size() > 999)
      r.fail(cands, p + ".candidates", "more than 999 candidates after expansion");
    space.choices.push_back(std::move(c));
  }

  space.stem = r.fixed_blocks(root["stem"], "stem");
  space.head = r.fixed_blocks(root["head"], "head");

  const YAML::Node stages = root["stages"];
  if (!stages || !stages.IsSequence() || stages.size() == 0)
    r.fail(stages ? stages : root, "stages", "expected a non-empty list of stages");
  for (std::size_t s = 0; s < stages.size(); ++s) {
    const std::string p = "stages[" + std::to_string(s) + "]";
    r.check_keys(stages[s], p, {"name", "blocks"});
    StageDef stage;
    stage.name = stages[s]["name"] ? r.text(stages[s]["name"], p + ".name") : "s" + std::to_string(s);
    const YAML::Node blocks = stages[s]["blocks"];
    if (!blocks || !blocks.IsSequence() || blocks.size() == 0)
      r.fail(blocks ? blocks : stages[s], p + ".blocks", "expected a non-empty list");
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      const std::string bp = p + ".blocks[" + std::to_string(b) + "]";
      r.check_keys(blocks[b], bp, {"choice", "out", "repeat"});
      BlockSlot slot;
      slot.where = r.where(blocks[b], bp);
      if (!blocks[b]["choice"]) r.fail(blocks[b], bp, "missing 'choice'");
      slot.choice = r.text(blocks[b]["choice"], bp + ".choice");
      std::vector<std::string> names;
      for (const auto& c : space.choices) names.push_back(c.name);
      if (std::find(names.begin(), names.end(), slot.choice) == names.end())
        r.fail(blocks[b]["choice"], bp + ".choice",
               "unknown choice type '" + slot.choice + "'" +
                   core::did_you_mean(slot.choice, names) + "; defined: " + core::join(names, ", "));
      if (blocks[b]["out"]) slot.out = r.channels(blocks[b]["out"], bp + ".out");
      if (blocks[b]["repeat"]) {
        slot.repeat = r.scalar(blocks[b]["repeat"], bp + ".repeat");
        const bool ok = (std::holds_alternative<std::int64_t>(slot.repeat) &&
                         std::get<std::int64_t>(slot.repeat) >= 0) ||
                        (std::holds_alternative<std::string>(slot.repeat) &&
                         std::get<std::string>(slot.repeat).rfind('$', 0) == 0);
        if (!ok) r.fail(blocks[b]["repeat"], bp + ".repeat",
                        "expected a count >= 0 or a $hyper-parameter");
      }
      stage.blocks.push_back(std::move(slot));
    }
    space.stages.push_back(std::move(stage));
  }

  // Every $reference names a hyper-parameter.
  auto check_spec = [&](const BlockSpec& b) {
    for (const auto& p : b.params) check_refs(space, p.value, b.where + "." + p.name);
    if (b.out) check_refs(space, *b.out, b.where + ".out");
  };
  for (const auto& b : space.stem) check_spec(b);
  for (const auto& b : space.head) check_spec(b);
  for (const auto& c : space.choices)
    for (const auto& b : c.candidates) check_spec(b);
  for (const auto& st : space.stages)
    for (const auto& slot : st.blocks) {
      if (slot.out) check_refs(space, *slot.out, slot.where + ".out");
      check_refs(space, slot.repeat, slot.where + ".repeat");
    }
  return space;
}

SpaceDef load_space(const std::string& path) {
  return parse_space(core::read_text_file(path), path);
}

}  // namespace tinynas::space
