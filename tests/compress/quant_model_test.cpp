// The int8 model file (.tnnq) as an adversary sees it: the CRC-32 covers every byte, so a
// flipped byte anywhere (header, JSON, data) is refused with the file named; so are
// missing and trailing bytes, data no array uses and files of the older format. The fuzz
// test flips random bytes of a small model and requires every flip to be refused.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "space/fixtures.h"
#include "support/error_of.h"
#include "support/temp_dir.h"
#include "tinynas/compress/quant_model.h"
#include "tinynas/compress/random_model.h"
#include "tinynas/core/checksum.h"
#include "tinynas/core/fs.h"
#include "tinynas/core/rng.h"
#include "tinynas/space/arch.h"

using namespace tinynas;
using tinynas::testing::error_of;

namespace {

// The header's fields (quant_model.h): the test writes files the loader must judge.
constexpr std::size_t kJsonBytesAt = 8, kDataBytesAt = 16, kCrcAt = 24, kHeader = 28;

std::uint64_t u64_at(const std::vector<unsigned char>& b, std::size_t at) {
  std::uint64_t v = 0;
  std::memcpy(&v, b.data() + at, 8);
  return v;
}

void put_u64(std::vector<unsigned char>& b, std::size_t at, std::uint64_t v) { std::memcpy(b.data() + at, &v, 8); }

// Rewrites the CRC field to match the bytes: a file corrupted on purpose, not by accident.
void fix_crc(std::vector<unsigned char>& b) {
  const std::uint32_t head = core::crc32_of(b.data(), kCrcAt);
  const std::uint32_t crc = core::crc32_of(b.data() + kCrcAt + 4, b.size() - kCrcAt - 4, head);
  std::memcpy(b.data() + kCrcAt, &crc, 4);
}

// A small pruned int8 model of the first shipped space, saved as model.tnnq.
struct ModelFile {
  tinynas::testing::TempDir dir;
  compress::QuantizedModel model;
  std::string path = dir.file("model.tnnq");
  std::vector<unsigned char> bytes;

  ModelFile() {
    const auto def = space::load_space(tinynas::testing::shipped_spaces().front());
    const auto layout = tinynas::testing::default_layout(def, {1, 16, 16}, 10);
    core::Rng rng(25);
    const auto arch = space::sample_arch(layout, rng);
    auto sparse = space::dense_config(layout);
    for (auto& stage : sparse.blocks)
      for (auto& b : stage) b.percent = 50;
    model = compress::random_int8_model(layout, arch, sparse, 25);
    compress::save_quantized(model, path);
    bytes = core::read_file(path);
  }

  // Writes `b` as bad.tnnq and returns the message loading it throws.
  std::string error_loading(const std::vector<unsigned char>& b) const {
    const std::string p = dir.write("bad.tnnq", std::string(b.begin(), b.end()));
    return error_of([&] { compress::load_quantized(p); });
  }
};

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

}  // namespace

TEST(QuantModelFile, HeaderHoldsVersionLengthsAndACrcOfEveryOtherByte) {
  ModelFile f;
  const auto& b = f.bytes;
  ASSERT_GT(b.size(), kHeader);
  EXPECT_EQ(std::string(b.begin(), b.begin() + 4), "TNNQ");
  std::uint32_t version = 0;
  std::memcpy(&version, b.data() + 4, 4);
  EXPECT_EQ(version, 2u);
  EXPECT_EQ(kHeader + u64_at(b, kJsonBytesAt) + u64_at(b, kDataBytesAt), b.size());
  EXPECT_EQ(b[kHeader], '{');
  auto refixed = b;
  fix_crc(refixed);
  EXPECT_EQ(refixed, b);
  const auto back = compress::load_quantized(f.path);
  EXPECT_EQ(back.info, f.model.info);
  ASSERT_EQ(back.ops.size(), f.model.ops.size());
  for (std::size_t i = 0; i < back.ops.size(); ++i) {
    EXPECT_EQ(back.ops[i].weight, f.model.ops[i].weight) << i;
    EXPECT_EQ(back.ops[i].bias, f.model.ops[i].bias) << i;
  }
  // The bytes in memory load the same, named as given.
  EXPECT_EQ(compress::load_quantized(b, "in memory").info, f.model.info);
}

TEST(QuantModelFile, AFlippedByteInTheHeaderJsonOrDataIsRefusedNamingTheFile) {
  ModelFile f;
  const std::size_t json = kHeader + u64_at(f.bytes, kJsonBytesAt) / 2;
  const std::size_t data = f.bytes.size() - 1;
  for (std::size_t at : {kCrcAt + 1, json, data}) {
    auto bad = f.bytes;
    bad[at] ^= 0x10;
    const std::string e = f.error_loading(bad);
    EXPECT_HAS(e, "bad.tnnq: byte 24: CRC-32 mismatch: stored 0x");
    EXPECT_HAS(e, ", computed 0x");
  }
  auto bad = f.bytes;
  bad[0] ^= 0x01;
  EXPECT_HAS(f.error_loading(bad), "bad.tnnq: byte 0: not a tinynas int8 model");
  bad = f.bytes;
  bad[4] = 9;
  EXPECT_HAS(f.error_loading(bad), "bad.tnnq: byte 4: format version 9, this build reads 2");
  bad = f.bytes;
  bad[kDataBytesAt + 7] ^= 0x80;  // a data length past any file
  EXPECT_HAS(f.error_loading(bad), "bad.tnnq: byte 16: the header's");
  bad = f.bytes;
  bad[kJsonBytesAt] ^= 0x04;  // JSON length moved: the lengths no longer add up
  const std::string moved = f.error_loading(bad);
  EXPECT_TRUE(moved.find("bad.tnnq: byte 16: the header's") != std::string::npos ||
              moved.find("bad.tnnq: byte 24: CRC-32 mismatch") != std::string::npos)
      << moved;
}

TEST(QuantModelFile, MissingAndTrailingBytesAreRefused) {
  ModelFile f;
  const std::size_t size = f.bytes.size();
  auto bad = f.bytes;
  bad.insert(bad.end(), {'j', 'u', 'n', 'k', '\n'});
  EXPECT_HAS(f.error_loading(bad),
             "bad.tnnq: byte " + std::to_string(size) + ": 5 trailing bytes after the data section");
  bad.assign(f.bytes.begin(), f.bytes.end() - 1);
  EXPECT_HAS(f.error_loading(bad), "run past the end of the file");
  bad.assign(f.bytes.begin(), f.bytes.begin() + 20);
  EXPECT_HAS(f.error_loading(bad), "bad.tnnq: byte 20: the file ends inside the 28-byte header");
  // Bytes appended to the data section with the lengths and CRC made to match: no array
  // uses them, and the writer never leaves such bytes.
  bad = f.bytes;
  bad.insert(bad.end(), 8, 0);
  put_u64(bad, kDataBytesAt, u64_at(bad, kDataBytesAt) + 8);
  fix_crc(bad);
  EXPECT_HAS(f.error_loading(bad),
             "bad.tnnq: byte " + std::to_string(size) + ": 8 bytes at the end of the data section that no array uses");
  EXPECT_NO_THROW(compress::load_quantized(f.path));
}

TEST(QuantModelFile, VersionOneIsRefusedWithHowToRegenerateIt) {
  ModelFile f;
  // Version 1: "TNNQ", uint32 1, uint64 JSON length, JSON, data; no data length, no CRC.
  const std::uint64_t n = u64_at(f.bytes, kJsonBytesAt);
  std::vector<unsigned char> v1(16);
  std::memcpy(v1.data(), "TNNQ", 4);
  const std::uint32_t one = 1;
  std::memcpy(v1.data() + 4, &one, 4);
  put_u64(v1, 8, n);
  v1.insert(v1.end(), f.bytes.begin() + kHeader, f.bytes.end());
  const std::string e = f.error_loading(v1);
  EXPECT_HAS(e, "bad.tnnq: byte 4: format version 1, written by an older tinynas");
  EXPECT_HAS(e, "regenerate it with 'tinynas sparsenas quantize RECIPE'");
  EXPECT_HAS(e, "tinynas run RECIPE --from quantize");
}

// The fuzz check: one byte per trial, at a random position, XORed with a random non-zero
// pattern. Every trial must end in a core::Error naming the file; none may load.
TEST(QuantModelFile, NoRandomByteFlipIsAccepted) {
  ModelFile f;
  std::mt19937_64 rng(2025);
  std::uniform_int_distribution<std::size_t> position(0, f.bytes.size() - 1);
  std::uniform_int_distribution<int> pattern(1, 255);
  const int trials = 400;
  int accepted = 0, unclear = 0;
  auto bad = f.bytes;
  for (int t = 0; t < trials; ++t) {
    const std::size_t at = position(rng);
    const auto flip = static_cast<unsigned char>(pattern(rng));
    bad[at] ^= flip;
    try {
      compress::load_quantized(bad, f.path);
      ++accepted;
      ADD_FAILURE() << "byte " << at << " ^ " << int(flip) << " was accepted";
    } catch (const core::Error& e) {
      if (std::string(e.what()).rfind(f.path + ": byte ", 0) != 0) {
        ++unclear;
        ADD_FAILURE() << "byte " << at << ": the error names no file and byte: " << e.what();
      }
    } catch (const std::exception& e) {
      ++unclear;
      ADD_FAILURE() << "byte " << at << ": not a core::Error: " << e.what();
    }
    bad[at] ^= flip;
  }
  std::printf("%d random byte flips in a %zu-byte model: %d accepted, %d unclear errors\n", trials,
              f.bytes.size(), accepted, unclear);
  EXPECT_EQ(accepted, 0);
  EXPECT_EQ(unclear, 0);
}
