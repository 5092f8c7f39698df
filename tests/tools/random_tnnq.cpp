// random_tnnq SPACE.yaml SEED PERCENT OUT.tnnq: writes an untrained int8 model of a
// space (tests/export/models.h: a sampled path of a randomly initialised supernet,
// block-pruned at PERCENT, calibrated on random images; input 16x16x1, 10 classes) as a
// .tnnq file, for the CLI tests that export models (tests/tools/two_model_firmware.sh)
// without training one first.
#include <cstdio>
#include <exception>
#include <string>

#include "export/models.h"
#include "tinynas/compress/quant_model.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: random_tnnq SPACE.yaml SEED PERCENT OUT.tnnq\n");
    return 2;
  }
  try {
    const auto model = tinynas::testing::random_quantized_model(argv[1], std::stoull(argv[2]), std::stoi(argv[3]));
    tinynas::compress::save_quantized(model, argv[4]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "random_tnnq: %s\n", e.what());
    return 1;
  }
  return 0;
}
