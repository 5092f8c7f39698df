#include "tinynas/compress/quant_model.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "tinynas/core/checksum.h"
#include "tinynas/core/error.h"
#include "tinynas/core/fs.h"

namespace tinynas::compress {
namespace {

using core::Json;
using space::OpKind;

// The header (see quant_model.h): field offsets, and its size.
constexpr char kMagic[4] = {'T', 'N', 'N', 'Q'};
constexpr std::uint32_t kVersion = 2;
constexpr std::size_t kVersionAt = 4, kJsonBytesAt = 8, kDataBytesAt = 16, kCrcAt = 24;
constexpr std::size_t kHeader = 28;

// The CRC of every byte of the file but the CRC field itself.
std::uint32_t file_crc(const unsigned char* bytes, std::size_t size) {
  const std::uint32_t head = core::crc32_of(bytes, kCrcAt);
  return core::crc32_of(bytes + kCrcAt + 4, size - kCrcAt - 4, head);
}

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", unsigned(v));
  return buf;
}

const OpKind kKinds[] = {OpKind::conv,           OpKind::linear,      OpKind::add,
                         OpKind::max_pool,       OpKind::avg_pool,    OpKind::mixed_pool,
                         OpKind::global_avg_pool, OpKind::seq_pool,   OpKind::layer_norm,
                         OpKind::attention_softmax, OpKind::attention_relu_linear};

OpKind kind_from(const std::string& name) {
  for (OpKind k : kKinds)
    if (name == space::to_string(k)) return k;
  throw core::Error("unknown op kind '" + name + "'");
}

std::size_t steps_of(OpKind kind) {
  switch (kind) {
    case OpKind::add: return 3;
    case OpKind::seq_pool:
    case OpKind::attention_softmax:
    case OpKind::attention_relu_linear: return 2;
    default: return 0;
  }
}

// The data section: arrays appended 4-byte aligned, referenced as {offset, count}.
struct Blob {
  std::vector<unsigned char> bytes;
  template <class T>
  Json add(const std::vector<T>& v) {
    while (bytes.size() % 4) bytes.push_back(0);
    const std::size_t at = bytes.size();
    bytes.resize(at + v.size() * sizeof(T));
    if (!v.empty()) std::memcpy(bytes.data() + at, v.data(), v.size() * sizeof(T));
    Json j = Json::object();
    j["offset"] = std::int64_t(at);
    j["count"] = std::int64_t(v.size());
    return j;
  }
};

// The data section as read: `base` is its first byte in the file. Tracks how far the
// arrays reach, so bytes no array uses are refused (the writer leaves none).
struct DataSection {
  const unsigned char* data;
  std::size_t size, base;
  std::size_t used = 0;

  template <class T>
  std::vector<T> read(const Json& ref, const std::string& key) {
    const std::int64_t off = ref.at("offset").as_int();
    const std::int64_t count = ref.at("count").as_int();
    if (off < 0 || count < 0 || std::uint64_t(off) > size ||
        std::uint64_t(count) > (size - std::uint64_t(off)) / sizeof(T))
      throw core::Error(key + ": " + std::to_string(count) + " values at data offset " +
                        std::to_string(off) + " (file byte " +
                        std::to_string(base + std::size_t(std::max<std::int64_t>(off, 0))) +
                        ") run past the end of the data section");
    const std::size_t bytes = std::size_t(count) * sizeof(T);
    used = std::max(used, std::size_t(off) + bytes);
    std::vector<T> v(static_cast<std::size_t>(count));
    if (count) std::memcpy(v.data(), data + off, bytes);
    return v;
  }
};

Json int_array(const std::vector<int>& v) {
  Json a = Json::array();
  for (int x : v) a.push_back(x);
  return a;
}

Json op_json(const space::Op& op, const QuantOp& q, Blob& blob) {
  Json j = Json::object();
  j["kind"] = space::to_string(op.kind);
  j["name"] = op.name;
  j["choice_block"] = op.choice_block;
  j["inputs"] = int_array(op.inputs);
  j["output"] = op.output;
  j["kernel"] = int_array({op.kernel_h, op.kernel_w});
  j["stride"] = op.stride;
  j["padding"] = op.padding;
  j["groups"] = op.groups;
  j["relu"] = op.relu;
  j["heads"] = op.heads;
  Json ws = Json::array();
  for (auto d : op.weight_shape) ws.push_back(std::int64_t(d));
  j["weight_shape"] = ws;
  j["has_bias"] = op.has_bias;
  j["prunable"] = op.prunable;
  j["sparsity"] = op.sparsity.ratio;
  j["block"] = op.sparsity.block;
  j["float_params"] = op.float_params;
  j["weight"] = blob.add(q.weight);
  j["bias"] = blob.add(q.bias);
  j["multiplier"] = blob.add(q.multiplier);
  j["shift"] = blob.add(q.shift);
  Json steps = Json::array();
  for (const Requant& r : q.steps) {
    Json s = Json::array();
    s.push_back(r.multiplier);
    s.push_back(r.shift);
    steps.push_back(s);
  }
  j["steps"] = steps;
  j["left_shift"] = q.left_shift;
  return j;
}

void check(bool ok, const std::string& where, const std::string& what) {
  if (!ok) throw core::Error(where + ": " + what);
}

void check_requant(const Requant& r, const std::string& where) {
  check(r.multiplier == 0 || (r.multiplier >= (1 << 30)), where,
        "multiplier " + std::to_string(r.multiplier) + " is not 0 or in [2^30, 2^31)");
  check(r.shift >= -31 && r.shift <= 30, where, "shift " + std::to_string(r.shift) + " is not in [-31, 30]");
}

}  // namespace

std::int64_t QuantizedModel::payload_bytes() const {
  std::int64_t n = 0;
  for (const auto& q : ops)
    n += std::int64_t(q.weight.size()) +
         4 * std::int64_t(q.bias.size() + q.multiplier.size() + q.shift.size()) +
         8 * std::int64_t(q.steps.size());
  return n;
}

void validate(const QuantizedModel& m) {
  const auto& g = m.graph;
  check(m.tensors.size() == g.tensors.size(), "int8 model",
        std::to_string(m.tensors.size()) + " tensor quantizations for " +
            std::to_string(g.tensors.size()) + " tensors");
  check(m.ops.size() == g.ops.size(), "int8 model",
        std::to_string(m.ops.size()) + " op records for " + std::to_string(g.ops.size()) + " ops");
  const int nt = int(g.tensors.size());
  check(g.input >= 0 && g.input < nt && g.output >= 0 && g.output < nt, "int8 model",
        "input/output tensor out of range");
  for (std::size_t t = 0; t < m.tensors.size(); ++t) {
    const QParams& p = m.tensors[t];
    const std::string where = "tensor " + std::to_string(t) + " '" + g.tensors[t].name + "'";
    check(p.scale > 0 && p.zero_point >= -128 && p.zero_point <= 127, where,
          "scale must be > 0 and zero point in [-128, 127]");
    const auto& s = g.tensors[t].shape;
    check(s.c > 0 && s.h > 0 && s.w > 0 && s.c <= 65535 && s.h <= 65535 && s.w <= 65535 &&
              s.numel() <= (std::int64_t(1) << 28),
          where, "shape out of range");
  }
  for (std::size_t i = 0; i < g.ops.size(); ++i) {
    const space::Op& op = g.ops[i];
    const QuantOp& q = m.ops[i];
    const std::string where = "op " + std::to_string(i) + " '" + op.name + "'";
    const std::size_t want_inputs =
        op.kind == OpKind::add ? 2
        : (op.kind == OpKind::attention_softmax || op.kind == OpKind::attention_relu_linear) ? 3
                                                                                              : 1;
    check(op.inputs.size() == want_inputs, where, "wrong number of inputs");
    for (int t : op.inputs) check(t >= 0 && t < nt, where, "input tensor out of range");
    check(op.output >= 0 && op.output < nt, where, "output tensor out of range");
    check(op.output != g.input &&
              std::find(op.inputs.begin(), op.inputs.end(), op.output) == op.inputs.end(),
          where, "writes over its input or the model's input");
    const auto& in = g.shape(op.inputs[0]);
    const auto& out = g.shape(op.output);
    // The kernels size their loops from these shapes: every pairing the runner relies on
    // is checked here, so a corrupt file cannot make it read or write past a buffer.
    const bool fused_relu_ok = op.kind == OpKind::conv || op.kind == OpKind::linear || op.kind == OpKind::add;
    check(!op.relu || fused_relu_ok, where, "a fused ReLU on an op kind that has none");
    switch (op.kind) {
      case OpKind::layer_norm: check(out == in, where, "output shape differs from the input's"); break;
      case OpKind::add:
        check(out == in && g.shape(op.inputs[1]) == in, where, "add of unequal shapes");
        break;
      case OpKind::seq_pool:
      case OpKind::global_avg_pool:
        check(out == space::Shape{in.c, 1, 1}, where, "output is not 1 x 1 x C");
        break;
      case OpKind::max_pool:
      case OpKind::avg_pool:
      case OpKind::mixed_pool:
        check(op.kernel_h == op.kernel_w && op.kernel_h > 0 && op.stride > 0 && op.padding >= 0 &&
                  out.c == in.c,
              where, "pooling window, stride or channels");
        break;
      default: break;
    }
    std::size_t weights = 0, channels = 0;
    switch (op.kind) {
      case OpKind::conv: {
        const auto& ws = op.weight_shape;
        check(ws.size() == 3 || ws.size() == 4, where, "weight shape");
        check(op.groups > 0 && in.c % op.groups == 0 && out.c % op.groups == 0 &&
                  ws[0] == out.c && ws[1] == op.kernel_h && ws[2] == op.kernel_w &&
                  (ws.size() == 4 ? ws[3] == in.c / op.groups
                                  : op.groups == in.c && op.groups == out.c) &&
                  op.kernel_h > 0 && op.kernel_w > 0 && op.stride > 0 && op.padding >= 0,
              where, "conv geometry");
        weights = std::size_t(out.c) * std::size_t(op.kernel_h) * std::size_t(op.kernel_w) *
                  std::size_t(in.c / op.groups);
        channels = std::size_t(out.c);
        break;
      }
      case OpKind::linear:
        check(op.weight_shape.size() == 2 && op.weight_shape[0] == out.c &&
                  op.weight_shape[1] == in.c,
              where, "linear weight shape");
        weights = std::size_t(out.c) * std::size_t(in.c);
        channels = std::size_t(out.c);
        break;
      case OpKind::layer_norm:
      case OpKind::seq_pool:
        weights = std::size_t(in.c);
        channels = op.kind == OpKind::layer_norm ? std::size_t(in.c) : 0;
        break;
      default: break;
    }
    check(q.weight.size() == weights, where,
          std::to_string(q.weight.size()) + " weights, expected " + std::to_string(weights));
    check(q.bias.size() == channels && q.multiplier.size() == channels &&
              q.shift.size() == channels,
          where, "bias / multiplier / shift need " + std::to_string(channels) + " values each");
    for (std::size_t c = 0; c < channels; ++c) check_requant({q.multiplier[c], q.shift[c]}, where);
    check(q.steps.size() == steps_of(op.kind), where,
          std::to_string(q.steps.size()) + " requantization steps, expected " +
              std::to_string(steps_of(op.kind)));
    for (const auto& r : q.steps) check_requant(r, where);
    check(q.left_shift >= 0 && q.left_shift <= 20, where, "left_shift not in [0, 20]");
    if (op.kind == OpKind::attention_softmax || op.kind == OpKind::attention_relu_linear)
      check(op.heads > 0 && in.c % op.heads == 0 && g.shape(op.inputs[2]).c % op.heads == 0,
            where, "heads do not divide the q/v widths");
  }
}

void save_quantized(const QuantizedModel& m, const std::string& path) {
  validate(m);
  Blob blob;
  Json j = Json::object();
  j["format"] = "tinynas int8 graph IR";
  j["input"] = m.graph.input;
  j["output"] = m.graph.output;
  Json tensors = Json::array();
  for (std::size_t t = 0; t < m.graph.tensors.size(); ++t) {
    const auto& gt = m.graph.tensors[t];
    Json e = Json::object();
    e["name"] = gt.name;
    e["shape"] = int_array({gt.shape.h, gt.shape.w, gt.shape.c});
    e["scale"] = m.tensors[t].scale;
    e["zero_point"] = m.tensors[t].zero_point;
    tensors.push_back(e);
  }
  j["tensors"] = tensors;
  Json ops = Json::array();
  for (std::size_t i = 0; i < m.graph.ops.size(); ++i)
    ops.push_back(op_json(m.graph.ops[i], m.ops[i], blob));
  j["ops"] = ops;
  j["info"] = m.info;
  const std::string text = j.dump();
  std::vector<unsigned char> bytes(kHeader);
  std::memcpy(bytes.data(), kMagic, 4);
  const std::uint32_t version = kVersion;
  const std::uint64_t n = text.size(), d = blob.bytes.size();
  std::memcpy(bytes.data() + kVersionAt, &version, 4);
  std::memcpy(bytes.data() + kJsonBytesAt, &n, 8);
  std::memcpy(bytes.data() + kDataBytesAt, &d, 8);
  bytes.insert(bytes.end(), text.begin(), text.end());
  bytes.insert(bytes.end(), blob.bytes.begin(), blob.bytes.end());
  const std::uint32_t crc = file_crc(bytes.data(), bytes.size());
  std::memcpy(bytes.data() + kCrcAt, &crc, 4);
  core::write_file_atomic(path, bytes.data(), bytes.size());
}

QuantizedModel load_quantized(const std::string& path) { return load_quantized(core::read_file(path), path); }

QuantizedModel load_quantized(const std::vector<unsigned char>& bytes, const std::string& path) {
  try {
    // The file as a whole first: which format, every byte present, none added, none
    // changed. Nothing else in it is read before the CRC holds.
    if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 4) != 0)
      throw core::Error("byte 0: not a tinynas int8 model (no TNNQ magic)");
    std::uint32_t version = 0;
    std::memcpy(&version, bytes.data() + kVersionAt, 4);
    if (version == 1)
      throw core::Error("byte 4: format version 1, written by an older tinynas (no length or CRC-32 "
                        "to check it against); regenerate it with 'tinynas sparsenas quantize RECIPE' "
                        "(or 'tinynas run RECIPE --from quantize'), then export again");
    if (version != kVersion)
      throw core::Error("byte 4: format version " + std::to_string(version) + ", this build reads " +
                        std::to_string(kVersion));
    if (bytes.size() < kHeader)
      throw core::Error("byte " + std::to_string(bytes.size()) + ": the file ends inside the " +
                        std::to_string(kHeader) + "-byte header");
    std::uint64_t n = 0, d = 0;
    std::uint32_t stored_crc = 0;
    std::memcpy(&n, bytes.data() + kJsonBytesAt, 8);
    std::memcpy(&d, bytes.data() + kDataBytesAt, 8);
    std::memcpy(&stored_crc, bytes.data() + kCrcAt, 4);
    const std::uint64_t after_header = bytes.size() - kHeader;
    if (n > after_header || d > after_header - n)
      throw core::Error("byte " + std::to_string(n > after_header ? kJsonBytesAt : kDataBytesAt) +
                        ": the header's " + std::to_string(n) + " bytes of JSON and " + std::to_string(d) +
                        " bytes of data run past the end of the file (" + std::to_string(bytes.size()) +
                        " bytes): it is truncated or its header is corrupt");
    // Bytes past the declared end are either appended (the CRC of the rest holds) or the
    // lengths themselves are damaged (it does not): the message says which.
    const std::size_t end = kHeader + std::size_t(n) + std::size_t(d);
    const std::uint32_t crc = file_crc(bytes.data(), end);
    const std::string trailing = std::to_string(bytes.size() - end) + " trailing bytes after the data section";
    if (crc != stored_crc)
      throw core::Error("byte " + std::to_string(kCrcAt) + ": CRC-32 mismatch: stored " + hex32(stored_crc) +
                        ", computed " + hex32(crc) + ": the file was changed or damaged after it was written" +
                        (end != bytes.size() ? " (and the header's lengths leave " + trailing + ", at byte " +
                                                   std::to_string(end) + ")"
                                             : ""));
    if (end != bytes.size())
      throw core::Error("byte " + std::to_string(end) + ": " + trailing + " (the file should end here)");

    const Json j = Json::parse(std::string(bytes.begin() + kHeader, bytes.begin() + kHeader + std::ptrdiff_t(n)),
                               path);
    DataSection data{bytes.data() + kHeader + n, std::size_t(d), kHeader + std::size_t(n)};
    QuantizedModel m;
    for (const Json& e : j.at("tensors").elements()) {
      const auto& s = e.at("shape");
      if (s.size() != 3) throw core::Error("tensors: shape must be [h, w, c]");
      m.graph.add_tensor(e.at("name").as_string(),
                         space::Shape{int(s[2].as_int()), int(s[0].as_int()), int(s[1].as_int())});
      m.tensors.push_back({e.at("scale").as_double(), std::int32_t(e.at("zero_point").as_int())});
    }
    m.graph.input = int(j.at("input").as_int());
    m.graph.output = int(j.at("output").as_int());
    std::size_t index = 0;
    for (const Json& e : j.at("ops").elements()) {
      const std::string key = "ops[" + std::to_string(index++) + "]";
      try {
        space::Op op;
        op.kind = kind_from(e.at("kind").as_string());
        op.name = e.at("name").as_string();
        op.choice_block = int(e.at("choice_block").as_int());
        for (const Json& t : e.at("inputs").elements()) op.inputs.push_back(int(t.as_int()));
        op.output = int(e.at("output").as_int());
        op.kernel_h = int(e.at("kernel")[0].as_int());
        op.kernel_w = int(e.at("kernel")[1].as_int());
        op.stride = int(e.at("stride").as_int());
        op.padding = int(e.at("padding").as_int());
        op.groups = int(e.at("groups").as_int());
        op.relu = e.at("relu").as_bool();
        op.heads = int(e.at("heads").as_int());
        for (const Json& d : e.at("weight_shape").elements()) op.weight_shape.push_back(d.as_int());
        op.has_bias = e.at("has_bias").as_bool();
        op.prunable = e.at("prunable").as_bool();
        op.sparsity.ratio = e.at("sparsity").as_double();
        op.sparsity.block = int(e.at("block").as_int());
        op.float_params = e.at("float_params").as_int();
        QuantOp q;
        q.weight = data.read<std::int8_t>(e.at("weight"), key + ".weight");
        q.bias = data.read<std::int32_t>(e.at("bias"), key + ".bias");
        q.multiplier = data.read<std::int32_t>(e.at("multiplier"), key + ".multiplier");
        q.shift = data.read<std::int32_t>(e.at("shift"), key + ".shift");
        for (const Json& s : e.at("steps").elements())
          q.steps.push_back({std::int32_t(s[0].as_int()), std::int32_t(s[1].as_int())});
        q.left_shift = std::int32_t(e.at("left_shift").as_int());
        m.graph.ops.push_back(std::move(op));
        m.ops.push_back(std::move(q));
      } catch (const std::exception& ex) {
        core::rethrow_with_context(key, ex);
      }
    }
    if (const Json* info = j.find("info")) m.info = *info;
    if (data.used != data.size)
      throw core::Error("byte " + std::to_string(data.base + data.used) + ": " +
                        std::to_string(data.size - data.used) + " bytes at the end of the data section that no array uses");
    validate(m);
    return m;
  } catch (const std::exception& e) {
    core::rethrow_with_context(path, e);
  }
}

}  // namespace tinynas::compress
