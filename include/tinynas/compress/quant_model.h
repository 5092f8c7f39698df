// The int8 graph IR: what PTQ produces, the integer evaluation runs and export turns into
// C. It is the path's op graph (space/graph.h) plus, per tensor, its int8 quantization
// and, per op, the integer data the runtime kernel of that op takes (src/runtime): int8
// weights in the runtime's layout, int32 biases, and fixed-point requantization factors.
//
// Per op kind (the kernel it runs, its weight / bias / per-channel quant / steps):
//   conv             tnn_conv_s8       OHWI (depthwise C x kh x kw), bias [O], quant [O]
//   linear           tnn_linear_s8     [O][I], bias [O], quant [O]
//   layer_norm       tnn_layer_norm_s8 gamma [C], beta·128/s_gamma [C], quant [C]
//   seq_pool         tnn_seq_pool_s8   score weights [C]; steps {score, output}
//   attention_softmax     tnn_attention_softmax_s8     steps {score, output}
//   attention_relu_linear tnn_attention_relu_linear_s8 steps {kv, output}
//   add              tnn_add_s8        steps {input1, input2, output}, left_shift
//   pools, global_avg_pool             none: output quantization = input quantization
// An op's fused ReLU is its output clamp [zero point, 127].
//
// File format (`.tnnq`, little-endian), version 2: a 28-byte header
//   byte  0  "TNNQ"
//   byte  4  uint32 version (2)
//   byte  8  uint64 n: bytes of JSON
//   byte 16  uint64 d: bytes of the data section
//   byte 24  uint32 CRC-32 (zlib) of every byte of the file but these four
// then n bytes of JSON (graph, quantization, op metadata; each array names its offset and
// count in the data section), then the d-byte data section: the arrays, each 4-byte
// aligned, ending with the last one. The file ends there. Loading checks the header, the
// length (no byte missing, none trailing) and the CRC before it reads anything else, so
// any flipped byte is refused; then it validates the contents and names the byte offset
// or key at fault. Version 1 (no lengths, no CRC) is refused with how to regenerate it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinynas/compress/quant_params.h"
#include "tinynas/core/json.h"
#include "tinynas/space/graph.h"

namespace tinynas::compress {

/// The integer data of one op (empty vectors where its kind has none; see the table above).
struct QuantOp {
  std::vector<std::int8_t> weight;
  std::vector<std::int32_t> bias;
  std::vector<std::int32_t> multiplier, shift;  ///< per output channel
  std::vector<Requant> steps;                   ///< per-tensor factors, in table order
  std::int32_t left_shift = 0;                  ///< add: headroom bits
};

struct QuantizedModel {
  space::Graph graph;
  std::vector<QParams> tensors;  ///< index-aligned with graph.tensors
  std::vector<QuantOp> ops;      ///< index-aligned with graph.ops
  /// Provenance and figures (space, arch, sparse, accuracies); written with the model.
  core::Json info = core::Json::object();

  /// Bytes of int8 weights, int32 biases and per-channel factors: the dense payload.
  std::int64_t payload_bytes() const;
};

/// Checks the model is consistent: every op's data has the sizes its kind and shapes
/// imply, tensors are in range, multipliers are valid. Throws core::Error naming the op.
void validate(const QuantizedModel& model);

/// Writes atomically (temp file + rename).
void save_quantized(const QuantizedModel& model, const std::string& path);
/// Throws core::Error naming the file and the byte offset or key at fault.
QuantizedModel load_quantized(const std::string& path);
/// The same for a file's bytes already in memory; `path` names it in errors.
QuantizedModel load_quantized(const std::vector<unsigned char>& bytes, const std::string& path);

}  // namespace tinynas::compress
