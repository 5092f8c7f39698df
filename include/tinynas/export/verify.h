// Verification of an exported project (issue 7): the generated C, compiled, computes what
// the integer evaluation computes.
//  1. host: `make host` (-std=c99 -Wall -Wextra -Werror), then the program classifies the
//     images; every logit must equal compress::Int8Runner's bit for bit;
//  2. Cortex-M7: `make m7`, the ELF run under `qemu-system-arm -M mps2-an500` with
//     semihosting; its logits (and so predictions) must equal the host's;
//  3. sizes, from arm-none-eabi-nm / -size and the map file of the M7 build:
//       symbol tnn_model_data = the cost model's flash (export.json "flash")
//       symbol tnn_arena      = the cost model's peak SRAM (export.json "peak_sram")
//       linked flash (text + data) = flash + runtime code (the map's sections from
//         runtime/*.o) + application code (startup, main, C library)
//       linked SRAM (data + bss) = peak SRAM + stack + heap (the linker script's fixed
//         reservations) + application data (C library, startup)
//     The first two must hold exactly; the sums are reported as a breakdown.
// Outputs go to DIR/verify/ (images.bin, host.txt, m7.txt, report.json).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tinynas/core/json.h"

namespace tinynas::exporter {

struct VerifyOptions {
  /// Quantized images (HWC int8, the model's input size each). Empty: `random_images`
  /// uniformly random images from `seed` (bit-exactness needs no real data).
  std::vector<std::vector<std::int8_t>> images;
  std::vector<std::int64_t> labels;  ///< optional, index-aligned with images: accuracy
  int random_images = 16;
  std::uint64_t seed = 1;
  bool qemu = true;            ///< run the M7 build when arm-none-eabi-gcc and QEMU exist
  bool require_qemu = false;   ///< fail (instead of skipping) when they do not
  int qemu_images = -1;        ///< images run under QEMU; -1 = all
  int timeout_s = 600;         ///< per build or run
  std::function<void(const std::string&)> log;  ///< progress lines (may be empty)
};

struct SizeBreakdown {
  std::int64_t model_data = 0;      ///< size of symbol tnn_model_data
  std::int64_t predicted_flash = 0; ///< export.json "flash"
  std::int64_t arena = 0;           ///< size of symbol tnn_arena
  std::int64_t predicted_sram = 0;  ///< export.json "peak_sram"
  std::int64_t text = 0, data = 0, bss = 0;  ///< arm-none-eabi-size (Berkeley)
  std::int64_t flash = 0;           ///< text + data
  std::int64_t runtime_code = 0;    ///< map: sections of runtime/*.o in flash
  std::int64_t app_code = 0;        ///< flash - model_data - runtime_code
  std::int64_t stack = 0;           ///< the linker script's stack reservation (__stack_size)
  std::int64_t heap = 0;            ///< its heap reservation for stdio (__heap_size)
  std::int64_t sram = 0;            ///< data + bss (arena, heap and stack are in bss)
  std::int64_t app_sram = 0;        ///< sram - arena - stack - heap
};

struct VerifyReport {
  int images = 0;
  int host_mismatches = 0;        ///< images whose host logits differ from Int8Runner's
  std::string first_mismatch;     ///< description of the first
  int host_correct = -1;          ///< with labels: top-1 hits of the host run
  bool qemu_ran = false;
  std::string qemu_skipped;       ///< why QEMU did not run ("" when it ran)
  int qemu_images = 0;
  int qemu_mismatches = 0;        ///< images whose M7 logits differ from the host's
  std::vector<std::int64_t> qemu_icount;  ///< instructions of each inference (when printed)
  std::int64_t invoke_stack = -1;   ///< deepest stack an inference used on the M7 (bytes)
  bool sizes_checked = false;
  SizeBreakdown sizes;
  std::vector<std::string> failures;  ///< one line per failed check

  bool ok() const { return failures.empty(); }
  core::Json to_json() const;
};

/// Builds and runs the project in `dir` (written by export_project). Throws core::Error
/// when the project cannot be read or built (with the compiler's output); check failures
/// are listed in the report, which is also written to DIR/verify/report.json.
VerifyReport verify_project(const std::string& dir, const VerifyOptions& options = {});

}  // namespace tinynas::exporter
