// The model data blob: its size is the cost model's flash and its arena the peak SRAM, the
// runtime accepts it, and running it with tnn_model_invoke (one arena, sparse kernels where
// coded) gives the integer evaluation's logits bit for bit, on every shipped space, dense
// and pruned, under every storage policy.
#include <gtest/gtest.h>

#include <random>

#include "export/models.h"
#include "support/error_of.h"
#include "tinynas/compress/int8_runner.h"
#include "tinynas/export/model_data.h"

extern "C" {
#include "tnn_model.h"
}

using namespace tinynas;

namespace {

std::vector<std::int8_t> random_image(std::size_t n, std::mt19937& gen) {
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<std::int8_t> v(n);
  for (auto& x : v) x = std::int8_t(d(gen));
  return v;
}

// Runs `images` through the blob with the runtime's interpreter.
std::vector<std::vector<std::int8_t>> run_blob(const std::vector<std::uint8_t>& blob,
                                               const std::vector<std::vector<std::int8_t>>& images) {
  std::vector<std::uint32_t> words(blob.size() / 4);
  std::memcpy(words.data(), blob.data(), blob.size());
  tnn_model m;
  if (tnn_model_init(&m, words.data(), std::uint32_t(blob.size())) != TNN_OK) {
    ADD_FAILURE() << "tnn_model_init refused the blob";
    return {};
  }
  std::vector<std::uint32_t> arena(std::size_t(tnn_model_arena_size(&m)) / 4 + 1, 0xA5A5A5A5u);
  std::vector<std::vector<std::int8_t>> out;
  for (const auto& im : images) {
    EXPECT_EQ(std::size_t(tnn_model_input_size(&m)), im.size());
    std::memcpy(tnn_model_input(&m, arena.data()), im.data(), im.size());
    EXPECT_EQ(tnn_model_invoke(&m, arena.data(), std::int32_t(arena.size() * 4)), TNN_OK);
    const std::int8_t* y = tnn_model_output(&m, arena.data());
    out.emplace_back(y, y + tnn_model_output_size(&m));
  }
  return out;
}

}  // namespace

TEST(ModelData, InterpreterEqualsIntegerEvaluationOnEveryShippedSpace) {
  std::mt19937 gen(3);
  int coded_layers = 0;
  for (const auto& file : tinynas::testing::shipped_spaces()) {
    for (int percent : {0, 60}) {
      SCOPED_TRACE(file + " pruned " + std::to_string(percent) + "%");
      const auto model = tinynas::testing::random_quantized_model(file, 11 + std::uint64_t(percent), percent);
      compress::Int8Runner runner(model);
      std::vector<std::vector<std::int8_t>> images;
      for (int i = 0; i < 3; ++i)
        images.push_back(random_image(std::size_t(model.graph.shape(model.graph.input).numel()), gen));
      for (auto policy : {cost::StoragePolicy::automatic, cost::StoragePolicy::dense, cost::StoragePolicy::sparse,
                          cost::StoragePolicy::fastest}) {
        SCOPED_TRACE(cost::to_string(policy));
        exporter::ModelDataOptions o;
        o.storage = policy;
        const auto d = exporter::build_model_data(model, o);
        EXPECT_EQ(std::int64_t(d.bytes.size()), d.cost.flash);
        EXPECT_EQ(d.plan.arena_size, d.cost.peak_sram);
        EXPECT_EQ(d.bytes.size() % 4, 0u);
        for (std::size_t i = 0; i < d.storage.size(); ++i) {
          if (!model.graph.ops[i].prunable) {
            EXPECT_EQ(d.storage[i], cost::Storage::dense);
          } else if (policy == cost::StoragePolicy::sparse) {
            EXPECT_EQ(d.storage[i], cost::Storage::sparse);
          } else if (policy == cost::StoragePolicy::dense) {
            EXPECT_EQ(d.storage[i], cost::Storage::dense);
          }
          coded_layers += d.storage[i] == cost::Storage::sparse;
        }
        // the sections tile the blob
        std::int64_t at = 0;
        for (const auto& s : d.sections) {
          EXPECT_EQ(s.offset, at) << s.label;
          at = s.offset + s.size;
        }
        EXPECT_EQ(at, std::int64_t(d.bytes.size()));
        const auto got = run_blob(d.bytes, images);
        ASSERT_EQ(got.size(), images.size());
        for (std::size_t i = 0; i < images.size(); ++i) EXPECT_EQ(got[i], runner.run(images[i])) << "image " << i;
      }
    }
  }
  EXPECT_GT(coded_layers, 0);
}

// auto keeps a layer dense exactly when coding would not be smaller (the paper's rule).
TEST(ModelData, AutoStorageKeepsTheSmallerForm) {
  const auto file = tinynas::testing::shipped_spaces().front();
  for (int percent : {20, 90}) {
    const auto model = tinynas::testing::random_quantized_model(file, 5, percent);
    const auto d = exporter::build_model_data(model);
    for (std::size_t i = 0; i < d.storage.size(); ++i) {
      const auto& oc = d.cost.ops[i];
      if (!oc.prunable) continue;
      EXPECT_EQ(d.storage[i] == cost::Storage::sparse, oc.sparse_weight_bytes < oc.dense_weight_bytes) << oc.name;
      EXPECT_EQ(oc.weight_bytes, std::min(oc.sparse_weight_bytes, oc.dense_weight_bytes)) << oc.name;
    }
  }
}

TEST(ModelData, TheRuntimeRefusesACorruptedBlob) {
  const auto model = tinynas::testing::random_quantized_model(tinynas::testing::shipped_spaces().front(), 2, 50);
  const auto d = exporter::build_model_data(model);
  std::vector<std::uint32_t> words(d.bytes.size() / 4);
  std::memcpy(words.data(), d.bytes.data(), d.bytes.size());
  tnn_model m;
  ASSERT_EQ(tnn_model_init(&m, words.data(), std::uint32_t(d.bytes.size())), TNN_OK);
  // a weight byte flipped: the checksum catches it
  words.back() ^= 0x01000000u;
  EXPECT_EQ(tnn_model_init(&m, words.data(), std::uint32_t(d.bytes.size())), TNN_ERR_MODEL);
  words.back() ^= 0x01000000u;
  words[0] ^= 1;  // magic
  EXPECT_EQ(tnn_model_init(&m, words.data(), std::uint32_t(d.bytes.size())), TNN_ERR_MODEL);
  words[0] ^= 1;
  EXPECT_EQ(tnn_model_init(&m, words.data(), std::uint32_t(d.bytes.size()) - 4), TNN_ERR_MODEL);
}
