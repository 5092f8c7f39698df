#include "tinynas/space/arch.h"

#include <cctype>
#include <cmath>
#include <functional>

#include "tinynas/core/error.h"

namespace tinynas::space {
namespace {

// A left-to-right reader of an encoding; errors carry the 1-based character position.
class Cursor {
 public:
  Cursor(const std::string& text, const char* what) : text_(text), what_(what) {}

  [[noreturn]] void fail(const std::string& msg) const { fail_at(pos_, msg); }
  [[noreturn]] void fail_at(std::size_t pos, const std::string& msg) const {
    throw core::Error(std::string(what_) + " '" + text_ + "': position " +
                      std::to_string(pos + 1) + ": " + msg);
  }
  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  std::size_t pos() const { return pos_; }
  std::string found() const {
    return done() ? "the end" : std::string("'") + text_[pos_] + "'";
  }
  void expect(char c, const std::string& context) {
    if (peek() != c) fail(std::string("expected '") + c + "' " + context + ", found " + found());
    ++pos_;
  }
  int number(const std::string& context) {
    const std::size_t start = pos_;
    long long v = 0;
    while (!done() && std::isdigit(static_cast<unsigned char>(peek()))) {
      v = v * 10 + (peek() - '0');
      if (v > 1000000) fail_at(start, "number too large " + context);
      ++pos_;
    }
    if (pos_ == start) fail("expected a number " + context + ", found " + found());
    return int(v);
  }
  void prefix(const std::string& space_id) {
    const std::size_t colon = text_.find(':');
    if (colon == std::string::npos) fail_at(0, "expected '" + space_id + ":' at the start");
    const std::string id = text_.substr(0, colon);
    if (id != space_id) fail_at(0, "space '" + id + "', but the supernet is of space '" + space_id + "'");
    pos_ = colon + 1;
  }

 private:
  const std::string& text_;
  const char* what_;
  std::size_t pos_ = 0;
};

template <class Item, class ReadItem>
std::vector<std::vector<Item>> parse_stages(Cursor& cur, const SupernetLayout& layout,
                                            ReadItem read_item) {
  std::vector<std::vector<Item>> out;
  for (std::size_t s = 0; s < layout.stages.size(); ++s) {
    const auto& blocks = layout.stages[s];
    const std::string stage = "stage " + layout.stage_names[s];
    std::vector<Item> items;
    for (std::size_t j = 0; j < blocks.size(); ++j) {
      if (j > 0) {
        if (cur.peek() == '|' || cur.done())
          cur.fail(stage + " has " + std::to_string(blocks.size()) +
                   " choice blocks in this supernet, found " + std::to_string(j));
        cur.expect('.', "between choice blocks");
      }
      const ChoiceBlock& cb = blocks[j];
      if (cur.peek() != cb.letter)
        cur.fail(std::string("expected '") + cb.letter + "' (" + cb.label + "), found " +
                 cur.found());
      cur.expect(cb.letter, "");
      items.push_back(read_item(cur, cb));
    }
    if (s + 1 < layout.stages.size()) {
      if (cur.peek() == '.')
        cur.fail(stage + " has " + std::to_string(blocks.size()) +
                 " choice blocks in this supernet, found more");
      cur.expect('|', "after " + stage);
    }
    out.push_back(std::move(items));
  }
  if (!cur.done()) {
    if (cur.peek() == '.')
      cur.fail("stage " + layout.stage_names.back() + " has " +
               std::to_string(layout.stages.back().size()) +
               " choice blocks in this supernet, found more");
    cur.fail("unexpected " + cur.found() + " after the last stage");
  }
  return out;
}

template <class Item, class Write>
std::string encode(const std::string& id, const std::vector<std::vector<Item>>& stages,
                   const SupernetLayout& layout, Write write) {
  std::string s = id + ":";
  for (std::size_t i = 0; i < stages.size(); ++i) {
    if (i) s += "|";
    for (std::size_t j = 0; j < stages[i].size(); ++j) {
      if (j) s += ".";
      s += layout.stages[i][j].letter;
      s += write(stages[i][j]);
    }
  }
  return s;
}

template <class Item>
void check_shape(const std::string& what, const std::string& id,
                 const std::vector<std::vector<Item>>& stages, const SupernetLayout& layout) {
  if (id != layout.space_id)
    throw core::Error(what + " of space '" + id + "' used with a supernet of space '" +
                      layout.space_id + "'");
  if (stages.size() != layout.stages.size())
    throw core::Error(what + " has " + std::to_string(stages.size()) + " stages, the supernet " +
                      std::to_string(layout.stages.size()));
  for (std::size_t s = 0; s < stages.size(); ++s)
    if (stages[s].size() != layout.stages[s].size())
      throw core::Error(what + ": stage " + layout.stage_names[s] + " has " +
                        std::to_string(stages[s].size()) + " blocks, the supernet " +
                        std::to_string(layout.stages[s].size()));
}

}  // namespace

std::vector<BlockSparsity> sparse_options(const SparseChoices& c) {
  std::vector<BlockSparsity> o;
  for (int p : c.percents)
    for (int b : c.blocks) o.push_back({p, b});
  if (o.empty()) throw core::Error("no sparse configs to choose from (empty sparsity or block list)");
  return o;
}

int Arch::at(int flat) const {
  for (const auto& s : choices) {
    if (flat < int(s.size())) return s[std::size_t(flat)];
    flat -= int(s.size());
  }
  throw core::Error("arch: choice block index out of range");
}

std::vector<int> Arch::flat() const {
  std::vector<int> f;
  for (const auto& s : choices) f.insert(f.end(), s.begin(), s.end());
  return f;
}

const BlockSparsity& SparseConfig::at(int flat) const {
  for (const auto& s : blocks) {
    if (flat < int(s.size())) return s[std::size_t(flat)];
    flat -= int(s.size());
  }
  throw core::Error("sparse config: choice block index out of range");
}

std::string to_string(const Arch& arch, const SupernetLayout& layout) {
  check_arch(arch, layout);
  return encode(arch.space_id, arch.choices, layout, [](int c) { return std::to_string(c); });
}

Arch parse_arch(const std::string& text, const SupernetLayout& layout) {
  Cursor cur(text, "arch");
  cur.prefix(layout.space_id);
  Arch a;
  a.space_id = layout.space_id;
  a.choices = parse_stages<int>(cur, layout, [](Cursor& c, const ChoiceBlock& cb) {
    const std::size_t at = c.pos();
    const int k = c.number("(candidate index of " + cb.label + ")");
    if (k >= int(cb.candidates.size()))
      c.fail_at(at, "candidate " + std::to_string(k) + " of " + cb.label + " is out of range: it has " +
                        std::to_string(cb.candidates.size()) + " (0-" +
                        std::to_string(cb.candidates.size() - 1) + ")");
    return k;
  });
  return a;
}

void check_arch(const Arch& arch, const SupernetLayout& layout) {
  check_shape("arch", arch.space_id, arch.choices, layout);
  for (std::size_t s = 0; s < arch.choices.size(); ++s)
    for (std::size_t j = 0; j < arch.choices[s].size(); ++j) {
      const auto& cb = layout.stages[s][j];
      const int k = arch.choices[s][j];
      if (k < 0 || k >= int(cb.candidates.size()))
        throw core::Error("arch: candidate " + std::to_string(k) + " of " + cb.label +
                          " is out of range: it has " + std::to_string(cb.candidates.size()));
    }
}

std::string to_string(const SparseConfig& sparse, const SupernetLayout& layout) {
  check_sparse(sparse, layout);
  return encode(sparse.space_id, sparse.blocks, layout, [](const BlockSparsity& b) {
    return std::to_string(b.percent) + "/" + std::to_string(b.block);
  });
}

SparseConfig parse_sparse(const std::string& text, const SupernetLayout& layout) {
  Cursor cur(text, "sparse config");
  cur.prefix(layout.space_id);
  SparseConfig sc;
  sc.space_id = layout.space_id;
  sc.blocks = parse_stages<BlockSparsity>(cur, layout, [](Cursor& c, const ChoiceBlock& cb) {
    BlockSparsity b;
    std::size_t at = c.pos();
    b.percent = c.number("(sparsity percent of " + cb.label + ")");
    if (b.percent > 99) c.fail_at(at, "sparsity " + std::to_string(b.percent) + "% of " + cb.label + " is over 99%");
    c.expect('/', "between sparsity and block size of " + cb.label);
    at = c.pos();
    b.block = c.number("(block size of " + cb.label + ")");
    if (b.block < 1 || b.block > 16)
      c.fail_at(at, "block size " + std::to_string(b.block) + " of " + cb.label + " is not in 1-16");
    return b;
  });
  return sc;
}

void check_sparse(const SparseConfig& sparse, const SupernetLayout& layout) {
  check_shape("sparse config", sparse.space_id, sparse.blocks, layout);
  for (const auto& s : sparse.blocks)
    for (const auto& b : s)
      if (b.percent < 0 || b.percent > 99 || b.block < 1 || b.block > 16)
        throw core::Error("sparse config: " + std::to_string(b.percent) + "%/" +
                          std::to_string(b.block) + " is out of range");
}

SparseConfig dense_config(const SupernetLayout& layout) {
  SparseConfig sc;
  sc.space_id = layout.space_id;
  for (const auto& s : layout.stages) sc.blocks.emplace_back(s.size(), BlockSparsity{0, 2});
  return sc;
}

SparseChoices sparse_choices(const std::vector<double>& sparsity, const std::vector<int>& block) {
  SparseChoices c;
  for (std::size_t i = 0; i < sparsity.size(); ++i) {
    const double pct = sparsity[i] * 100.0;
    const double r = std::round(pct);
    if (std::abs(pct - r) > 1e-6 || r < 0 || r > 99)
      throw core::Error("sparsenas.sparsity[" + std::to_string(i) + "]: " +
                        std::to_string(sparsity[i]) + " is not a whole percent in [0, 0.99]");
    c.percents.push_back(int(r));
  }
  for (std::size_t i = 0; i < block.size(); ++i) {
    if (block[i] < 1 || block[i] > 16)
      throw core::Error("sparsenas.block[" + std::to_string(i) + "]: " + std::to_string(block[i]) +
                        " is not in 1-16");
    c.blocks.push_back(block[i]);
  }
  if (c.percents.empty()) throw core::Error("sparsenas.sparsity: empty list");
  if (c.blocks.empty()) throw core::Error("sparsenas.block: empty list");
  return c;
}

Arch sample_arch(const SupernetLayout& layout, core::Rng& rng) {
  Arch a;
  a.space_id = layout.space_id;
  for (const auto& s : layout.stages) {
    std::vector<int> st;
    for (const auto& b : s) st.push_back(int(rng.uniform_int(b.candidates.size())));
    a.choices.push_back(std::move(st));
  }
  return a;
}

SparseConfig sample_sparse(const SupernetLayout& layout, const SparseChoices& choices,
                           core::Rng& rng) {
  const auto options = sparse_options(choices);
  SparseConfig sc;
  sc.space_id = layout.space_id;
  for (const auto& s : layout.stages) {
    std::vector<BlockSparsity> st;
    for (std::size_t j = 0; j < s.size(); ++j) st.push_back(options[rng.uniform_int(options.size())]);
    sc.blocks.push_back(std::move(st));
  }
  return sc;
}

SupernetConfig sample_supernet(const SpaceDef& space, core::Rng& rng) {
  SupernetConfig c{space.id, {}};
  for (const auto& h : space.hyper) c.values.push_back(h.choices[rng.uniform_int(h.choices.size())]);
  return c;
}

namespace {

// Redraws each item with probability `prob` among the other `count(i)` options; forces
// one change when nothing changed and some item has an alternative.
template <class Get, class Set>
void mutate_items(int n, const std::function<int(int)>& count, Get get, Set set, double prob,
                  core::Rng& rng) {
  auto redraw = [&](int i) {
    const int cur = get(i);
    int k = int(rng.uniform_int(std::uint64_t(count(i) - 1)));
    if (k >= cur) ++k;
    set(i, k);
  };
  bool changed = false;
  std::vector<int> changeable;
  for (int i = 0; i < n; ++i) {
    if (count(i) < 2) continue;
    changeable.push_back(i);
    if (rng.bernoulli(prob)) {
      redraw(i);
      changed = true;
    }
  }
  if (!changed && !changeable.empty()) redraw(changeable[rng.uniform_int(changeable.size())]);
}

template <class T>
T& flat_ref(std::vector<std::vector<T>>& v, int flat) {
  for (auto& s : v) {
    if (flat < int(s.size())) return s[std::size_t(flat)];
    flat -= int(s.size());
  }
  throw core::Error("index out of range");
}

}  // namespace

Arch mutate(const Arch& arch, const SupernetLayout& layout, double prob, core::Rng& rng) {
  check_arch(arch, layout);
  Arch out = arch;
  mutate_items(
      layout.num_choice_blocks(), [&](int i) { return int(layout.block(i).candidates.size()); },
      [&](int i) { return out.at(i); }, [&](int i, int k) { flat_ref(out.choices, i) = k; }, prob,
      rng);
  return out;
}

SparseConfig mutate(const SparseConfig& sparse, const SupernetLayout& layout,
                    const SparseChoices& choices, double prob, core::Rng& rng) {
  check_sparse(sparse, layout);
  const auto options = sparse_options(choices);
  SparseConfig out = sparse;
  auto index_of = [&](const BlockSparsity& b) {
    for (std::size_t k = 0; k < options.size(); ++k)
      if (options[k] == b) return int(k);
    return 0;  // a value outside the choices: any redraw is a change
  };
  mutate_items(
      layout.num_choice_blocks(), [&](int) { return int(options.size()); },
      [&](int i) { return index_of(out.at(i)); },
      [&](int i, int k) { flat_ref(out.blocks, i) = options[std::size_t(k)]; }, prob, rng);
  return out;
}

Arch crossover(const Arch& a, const Arch& b, core::Rng& rng) {
  if (a.space_id != b.space_id || a.choices.size() != b.choices.size())
    throw core::Error("crossover of archs from different supernets");
  Arch out = a;
  for (std::size_t s = 0; s < a.choices.size(); ++s) {
    if (a.choices[s].size() != b.choices[s].size())
      throw core::Error("crossover of archs from different supernets");
    for (std::size_t j = 0; j < a.choices[s].size(); ++j)
      if (rng.bernoulli(0.5)) out.choices[s][j] = b.choices[s][j];
  }
  return out;
}

SparseConfig crossover(const SparseConfig& a, const SparseConfig& b, core::Rng& rng) {
  if (a.space_id != b.space_id || a.blocks.size() != b.blocks.size())
    throw core::Error("crossover of sparse configs from different supernets");
  SparseConfig out = a;
  for (std::size_t s = 0; s < a.blocks.size(); ++s) {
    if (a.blocks[s].size() != b.blocks[s].size())
      throw core::Error("crossover of sparse configs from different supernets");
    for (std::size_t j = 0; j < a.blocks[s].size(); ++j)
      if (rng.bernoulli(0.5)) out.blocks[s][j] = b.blocks[s][j];
  }
  return out;
}

}  // namespace tinynas::space
