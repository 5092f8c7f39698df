// The block registry: every block a space file can name, by type key. One entry holds
// both faces of a block, so they cannot drift apart (tested: graph params == module
// params for sampled paths):
//   build    → the LibTorch module (float training),
//   describe → the ops the int8 runtime will run (space/graph.h), for `cost` and export.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <torch/nn/modules/container/any.h>

#include "tinynas/space/graph.h"
#include "tinynas/space/space.h"

namespace tinynas::space {

class GraphBuilder;

/// A block with everything resolved: channels fixed, `$` references replaced and every
/// parameter of its type present (defaults filled in).
struct BlockArgs {
  std::string type;
  int in = 0;
  int out = 0;
  std::vector<Param> params;
  std::string where;  ///< origin in the space file, for errors

  std::int64_t get_int(const std::string& name) const;
  double get_real(const std::string& name) const;  ///< accepts integers too
  bool get_bool(const std::string& name) const;
  std::string get_text(const std::string& name) const;
  /// "inverted_residual(expansion=4, kernel=3)": parameters that differ between
  /// candidates are what a reader needs; all are listed, in registry order.
  std::string summary() const;
};

struct ParamDef {
  std::string name;
  Scalar default_value;
  std::string doc;
  std::vector<std::string> allowed;  ///< text parameters: the valid values
};

struct BlockType {
  std::string key;
  std::string doc;
  std::vector<ParamDef> params;
  /// Output is a feature vector (B, C) rather than a map: only the classifier may follow.
  bool vector_output = false;
  /// Output channels must equal input channels (skip, pools, encoders).
  bool same_channels = false;
  std::function<torch::nn::AnyModule(const BlockArgs&)> build;
  /// Appends the block's ops reading tensor `input`; returns the output tensor.
  std::function<int(const BlockArgs&, GraphBuilder&, int input)> describe;
};

class BlockRegistry {
 public:
  void add(BlockType type);
  /// Throws listing the valid keys (with a did-you-mean) when `key` is unknown.
  const BlockType& at(const std::string& key, const std::string& where = "") const;
  bool contains(const std::string& key) const;
  std::vector<std::string> keys() const;
  /// Checks parameter names/types/allowed values and fills in defaults.
  BlockArgs resolve(const std::string& type, int in, int out, const std::vector<Param>& params,
                    const std::string& where) const;
  /// `v` checked against `def` (type, allowed values, sign); integers widen to reals.
  /// Errors name `at_key`.
  static Scalar check_value(const ParamDef& def, Scalar v, const std::string& at_key);

 private:
  std::vector<BlockType> types_;
};

/// The built-in blocks (immutable; build a BlockRegistry of your own to extend it).
const BlockRegistry& builtin_blocks();

}  // namespace tinynas::space
