#include "tinynas/space/layout.h"

#include <map>
#include <set>

#include "tinynas/core/error.h"
#include "tinynas/space/bounds.h"
#include "tinynas/space/describe.h"

namespace tinynas::space {
namespace {

struct Resolver {
  const SpaceDef& space;
  const SupernetConfig& config;

  Scalar value(const Scalar& v) const {
    if (const auto* s = std::get_if<std::string>(&v); s && s->rfind('$', 0) == 0)
      return config.value(space, s->substr(1));
    return v;
  }
  int channels(const Scalar& v, const std::string& where) const {
    const Scalar r = value(v);
    if (!std::holds_alternative<std::int64_t>(r) || std::get<std::int64_t>(r) <= 0)
      throw core::Error(where + ": expected a positive channel count, got '" + to_string(r) + "'");
    if (std::get<std::int64_t>(r) > kMaxChannels)
      throw core::Error(where + ": " + to_string(r) + " channels (at most " +
                        std::to_string(kMaxChannels) + ")");
    return int(std::get<std::int64_t>(r));
  }
  std::int64_t repeat(const Scalar& v, const std::string& where) const {
    const Scalar r = value(v);
    if (!std::holds_alternative<std::int64_t>(r) || std::get<std::int64_t>(r) < 0)
      throw core::Error(where + ": expected a count, got '" + to_string(r) + "'");
    if (std::get<std::int64_t>(r) > kMaxRepeat)
      throw core::Error(where + ": " + to_string(r) + " blocks (at most " +
                        std::to_string(kMaxRepeat) + ")");
    return std::get<std::int64_t>(r);
  }
  std::vector<Param> params(const std::vector<Param>& ps, const std::string& where) const {
    std::vector<Param> out;
    for (const auto& p : ps) {
      const Scalar v = value(p.value);
      if (const auto* i = std::get_if<std::int64_t>(&v); i && (*i > kMaxParam || *i < -kMaxParam))
        throw core::Error(where + "." + p.name + ": " + std::to_string(*i) + " is out of range (|value| <= " +
                          std::to_string(kMaxParam) + ")");
      out.push_back({p.name, v});
    }
    return out;
  }
};

using ShapeSet = std::set<std::pair<int, int>>;  // reachable (h, w) map sizes

// Runs `args`'s description on every reachable map size; returns the sizes it produces.
ShapeSet propagate(const BlockArgs& args, const ShapeSet& in, const BlockRegistry& registry,
                   const Shape& image) {
  ShapeSet out;
  const BlockType& type = registry.at(args.type, args.where);
  for (const auto& [h, w] : in) {
    Graph g;
    GraphBuilder b(g);
    const int x = g.add_tensor("x", Shape{args.in, h, w});
    int y = 0;
    try {
      y = type.describe(args, b, x);
    } catch (const std::exception& e) {
      throw core::Error(args.where + ": " + args.summary() + " cannot run on a " +
                        std::to_string(h) + "x" + std::to_string(w) + " map (reached from a " +
                        to_string(image) + " input): " + e.what());
    }
    const Shape s = g.shape(y);
    if (s.c != args.out)
      throw core::Error(args.where + ": " + args.summary() + " produced " + std::to_string(s.c) +
                        " channels, expected " + std::to_string(args.out));
    out.insert({s.h, s.w});
  }
  return out;
}

}  // namespace

int SupernetLayout::num_choice_blocks() const {
  int n = 0;
  for (const auto& s : stages) n += int(s.size());
  return n;
}

const ChoiceBlock& SupernetLayout::block(int flat) const {
  for (const auto& s : stages) {
    if (flat < int(s.size())) return s[std::size_t(flat)];
    flat -= int(s.size());
  }
  throw core::Error("choice block index out of range");
}

double SupernetLayout::path_count() const {
  double n = 1;
  for (const auto& s : stages)
    for (const auto& b : s) n *= double(b.candidates.size());
  return n;
}

SupernetLayout make_layout(const SpaceDef& space, const SupernetConfig& config, Shape input,
                           int classes, const BlockRegistry& registry) {
  if (config.space_id != space.id || config.values.size() != space.hyper.size())
    throw core::Error(space.source + ": supernet of space '" + config.space_id +
                      "' does not belong to space '" + space.id + "'");
  if (input.c < 1 || input.h < 1 || input.w < 1)
    throw core::Error("input shape " + to_string(input) + " is not an image");
  if (classes < 2) throw core::Error("need at least 2 classes, got " + std::to_string(classes));

  const Resolver r{space, config};
  SupernetLayout l;
  l.space_id = space.id;
  l.space_source = space.source;
  l.config = config;
  l.input = input;
  l.classes = classes;

  ShapeSet sizes{{input.h, input.w}};
  int c = input.c;
  // Only the classifier may follow a block that pools to a vector.
  std::string vector_at;
  auto check_order = [&](const BlockArgs& a) {
    if (!vector_at.empty())
      throw core::Error(a.where + ": " + a.type + " follows " + vector_at +
                        ", which already pooled the map to a vector");
  };
  auto fixed = [&](const std::vector<BlockSpec>& specs) {
    std::vector<BlockArgs> out;
    for (const auto& spec : specs) {
      const int o = spec.out ? r.channels(*spec.out, spec.where + ".out") : c;
      BlockArgs a = registry.resolve(spec.type, c, o, r.params(spec.params, spec.where), spec.where);
      check_order(a);
      sizes = propagate(a, sizes, registry, input);
      if (registry.at(a.type).vector_output) vector_at = a.where;
      c = o;
      out.push_back(std::move(a));
    }
    return out;
  };

  l.stem = fixed(space.stem);
  int flat = 0;
  for (std::size_t s = 0; s < space.stages.size(); ++s) {
    const StageDef& st = space.stages[s];
    l.stage_names.push_back(st.name);
    std::vector<ChoiceBlock> blocks;
    std::map<std::string, int> seen;
    for (const auto& slot : st.blocks) {
      const std::int64_t rep = r.repeat(slot.repeat, slot.where + ".repeat");
      const ChoiceType& type = space.choice(slot.choice);
      for (std::int64_t i = 0; i < rep; ++i) {
        ChoiceBlock cb;
        cb.choice = slot.choice;
        cb.letter = type.letter;
        cb.stage = int(s);
        cb.flat = flat++;
        cb.label = st.name + "." + slot.choice + "[" + std::to_string(seen[slot.choice]++) + "]";
        cb.in = c;
        cb.out = (i == 0 && slot.out) ? r.channels(*slot.out, slot.where + ".out") : c;
        ShapeSet next;
        bool any_vector = false, all_vector = true;
        for (std::size_t k = 0; k < type.candidates.size(); ++k) {
          const BlockSpec& spec = type.candidates[k];
          BlockArgs a = registry.resolve(spec.type, cb.in, cb.out, r.params(spec.params, spec.where),
                                         spec.where + " (in " + cb.label + ")");
          check_order(a);
          const ShapeSet o = propagate(a, sizes, registry, input);
          next.insert(o.begin(), o.end());
          const bool v = registry.at(a.type).vector_output;
          any_vector |= v;
          all_vector &= v;
          cb.candidates.push_back(std::move(a));
        }
        if (any_vector && !all_vector)
          throw core::Error(type.where + ": candidates of '" + type.name +
                            "' must all pool to a vector or none may");
        if (any_vector) vector_at = cb.label;
        sizes = std::move(next);
        c = cb.out;
        blocks.push_back(std::move(cb));
      }
    }
    l.stages.push_back(std::move(blocks));
  }
  l.head = fixed(space.head);
  if (vector_at.empty())
    throw core::Error(space.source + ": the space must end with a block that pools the map to "
                      "a vector (seqpool, avgpool_gap or gap) before the classifier");
  l.features = c;
  return l;
}

}  // namespace tinynas::space
