// Bounds on every size a space file can ask for. A microcontroller model is far inside
// them; what lies outside is a typo or a hostile file, and must fail at once with the key
// named instead of overflowing 32-bit shape arithmetic, allocating terabytes or building
// for hours (issue 25). Checked where the file's values are resolved (layout.cpp) and
// where shapes are made (describe.cpp), so every consumer (supernet, cost model, export)
// sees bounded graphs only.
#pragma once

#include <cstdint>

namespace tinynas::space {

/// Channels of any block (`out`, and a $hyper-parameter used as one).
inline constexpr std::int64_t kMaxChannels = 4096;
/// Choice blocks one `repeat` makes.
inline constexpr std::int64_t kMaxRepeat = 64;
/// Magnitude of an integer block parameter (kernel, stride, expansion, heads, ...): with
/// channels <= kMaxChannels, products of two stay well inside int32.
inline constexpr std::int64_t kMaxParam = 4096;
/// Values of one activation tensor and of one op's weights (16 Mi: 16 MB as int8).
inline constexpr std::int64_t kMaxTensorValues = std::int64_t(1) << 24;
inline constexpr std::int64_t kMaxWeightValues = std::int64_t(1) << 24;

}  // namespace tinynas::space
