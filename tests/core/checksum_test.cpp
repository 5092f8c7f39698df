// The fingerprint hash: its values are stored in checkpoints, pipeline.json and the
// built-in latency tables, so they are pinned here (computed by the code it replaced).
#include "tinynas/core/checksum.h"

#include <gtest/gtest.h>

#include <string>

using namespace tinynas;

TEST(Checksum, Fnv1a64ValuesArePinned) {
  EXPECT_EQ(core::fnv1a64(""), core::kFnv1a64Start);
  EXPECT_EQ(core::hex64(core::fnv1a64("")), "14650fb0739d0383");
  EXPECT_EQ(core::hex64(core::fnv1a64("a")), "44bd8ad473cd9906");
  EXPECT_EQ(core::hex64(core::fnv1a64("tinynas")), "70894378bcbff7a9");
  EXPECT_EQ(core::hex64(core::fnv1a64("tinynas", 42)), "4c9b803e17e4444a");
  // Continuing from a hash is hashing the concatenation.
  EXPECT_EQ(core::hex64(core::fnv1a64("b", core::fnv1a64("a"))), "9bac4b00c65ba4ec");
  EXPECT_EQ(core::fnv1a64("b", core::fnv1a64("a")), core::fnv1a64("ab"));
  // Bytes, not chars: the high ones hash as unsigned.
  EXPECT_EQ(core::fnv1a64(std::string(1, '\xff')), (core::kFnv1a64Start ^ 0xffu) * 1099511628211ull);
}

TEST(Checksum, Hex64IsSixteenLowerCaseDigits) {
  EXPECT_EQ(core::hex64(0), "0000000000000000");
  EXPECT_EQ(core::hex64(0xabcull), "0000000000000abc");
  EXPECT_EQ(core::hex64(~0ull), "ffffffffffffffff");
}
