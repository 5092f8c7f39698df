// Verification of an exported project (issue 7): the generated C, compiled, computes what
// the integer evaluation computes.
//  1. host: `make host` (-std=c99 -Wall -Wextra -Werror), then the program classifies the
//     images; every logit must equal compress::Int8Runner's bit for bit;
//  2. Cortex-M (the project's target, export.json "target": m7 = Cortex-M7 on QEMU's
//     mps2-an500, m4 = Cortex-M4 on mps2-an386): `make m7` / `make m4`, the ELF run under
//     qemu-system-arm with semihosting; its logits (and so predictions) must equal the
//     host's;
//  3. sizes, from arm-none-eabi-nm / -size and the map file of that build:
//       symbol NAME_model_data = the cost model's flash (export.json "flash"; NAME is
//                                its "c_name")
//       symbol tnn_arena       = the cost model's peak SRAM (export.json "peak_sram")
//       linked flash (text + data) = flash + runtime code (the map's sections from
//         runtime/*.o) + application code (startup, main, C library)
//       linked SRAM (data + bss) = peak SRAM + stack + heap (the linker script's fixed
//         reservations) + application data (C library, startup)
//     The first two must hold exactly; the sums are reported as a breakdown;
//  4. with VerifyOptions::profile, the per-op profile: the first image run again with
//     `make run-<target> PROFILE=1` (main_m7.c --profile), each op's instructions under
//     QEMU's -icount next to its MACs from the cost model (cost::evaluate of model.tnnq
//     with the export's storage). Its ops must all be there and add up to the whole
//     inference to within the measurement's resolution (VerifyReport::Profile).
// The builds go to DIR/build/ (build/classify, build/model_<target>.elf and .map), the
// outputs to DIR/verify/ (images.bin, host.txt, <target>.txt, <target>_profile.txt,
// report.json). A project of an older export (sources not under src/) is refused.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tinynas/core/json.h"
#include "tinynas/export/project.h"

namespace tinynas::exporter {

struct VerifyOptions {
  /// Quantized images (HWC int8, the model's input size each). Empty: `random_images`
  /// uniformly random images from `seed` (bit-exactness needs no real data).
  std::vector<std::vector<std::int8_t>> images;
  std::vector<std::int64_t> labels;  ///< optional, index-aligned with images: accuracy
  int random_images = 16;
  std::uint64_t seed = 1;
  bool qemu = true;            ///< run the Cortex-M build when arm-none-eabi-gcc and QEMU exist
  bool require_qemu = false;   ///< fail (instead of skipping) when they do not
  int qemu_images = -1;        ///< images run under QEMU; -1 = all
  int timeout_s = 600;         ///< per build or run
  /// The Cortex-M build to run; empty: the project's (export.json "target"; m7 when the
  /// project predates the key).
  std::optional<McuTarget> target;
  bool profile = false;        ///< also profile the first image per op (4. above; needs QEMU)
  double mcu_mhz = 216;        ///< clock for the profile's milliseconds (recipe export.mcu_mhz)
  /// When > 0 (recipe run.latency_ms): the slowest Cortex-M inference, in milliseconds at
  /// mcu_mhz, must be within it (a failure otherwise).
  double latency_limit_ms = 0;
  std::function<void(const std::string&)> log;  ///< progress lines (may be empty)
};

struct SizeBreakdown {
  std::int64_t model_data = 0;      ///< size of symbol NAME_model_data
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

/// One op of the profile.
struct OpProfile {
  int index = 0;                  ///< in execution order (model.c's op list, the graph's ops)
  std::string name;               ///< the graph op's name
  std::string kind;               ///< space::OpKind's name: conv, linear, add, ...
  /// The kernel family it runs, what the per-kind summary groups by: the kind, for conv
  /// "conv depthwise" (groups = channels) or "conv 1x1", then " sparse" when its weights
  /// are run-length coded (conv, linear).
  std::string kernel;
  std::string output;             ///< output shape HxWxC
  std::int64_t instructions = 0;  ///< main_m7.c's `op` line: measured minus its overhead
  std::int64_t macs = 0;          ///< cost::OpCost::macs (dense)
  std::int64_t effective_macs = 0;  ///< cost::OpCost::effective_macs (pruned ones left out)
  double instructions_per_mac = 0;  ///< instructions / effective_macs; 0 without MACs
  double share = 0;               ///< instructions / the whole inference's
};

/// Ops of one kernel family (OpProfile::kernel), in order of first appearance.
struct KindProfile {
  std::string kernel;
  int ops = 0;
  std::int64_t instructions = 0, macs = 0, effective_macs = 0;
  double instructions_per_mac = 0;  ///< instructions / effective_macs; 0 without MACs
  double share = 0;
};

struct VerifyReport {
  int images = 0;
  int host_mismatches = 0;        ///< images whose host logits differ from Int8Runner's
  std::string first_mismatch;     ///< description of the first
  int host_correct = -1;          ///< with labels: top-1 hits of the host run
  std::string target = "m7";      ///< the Cortex-M build checked (to_string(McuTarget))
  bool qemu_ran = false;
  std::string qemu_skipped;       ///< why QEMU did not run ("" when it ran)
  int qemu_images = 0;
  int qemu_mismatches = 0;        ///< images whose Cortex-M logits differ from the host's
  std::vector<std::int64_t> qemu_icount;  ///< instructions of each inference (when printed)
  std::int64_t invoke_stack = -1;   ///< deepest stack an inference used on the MCU (bytes)
  bool sizes_checked = false;
  SizeBreakdown sizes;

  /// The per-op profile of image 0 (VerifyOptions::profile, when QEMU ran).
  struct Profile {
    bool ran = false;
    std::int64_t total_instructions = 0;  ///< the whole inference (its `icount` line)
    std::int64_t op_instructions = 0;     ///< the sum over ops
    std::int64_t overhead = 0;            ///< instructions subtracted per op (profile_overhead)
    /// Allowed |total - op sum|: the interpreter's loop between ops and one timer tick per
    /// measurement, per op, plus the call (kProfileSlackPerOp * ops + kProfileSlack).
    std::int64_t tolerance = 0;
    double mcu_mhz = 0;
    double milliseconds = 0;              ///< total_instructions at mcu_mhz, one per cycle
    /// The latency model's prediction for this model (cost/latency.h), to compare.
    std::int64_t predicted_instructions = 0;
    std::vector<OpProfile> ops;
    std::vector<KindProfile> kinds;
  } profile;
  static constexpr std::int64_t kProfileSlackPerOp = 30, kProfileSlack = 100;
  /// How `milliseconds` is estimated and how to calibrate it: recorded with the profile
  /// (report.json's clock_assumption) and printed wherever the milliseconds are.
  static constexpr const char* kClockAssumption =
      "an estimate: one instruction taken as one cycle. QEMU counts instructions, not cycles (a "
      "real core dual-issues some and waits on flash and memory for others); to calibrate, run "
      "the same build on the board and read DWT->CYCCNT around tnn_model_invoke (or each op, "
      "through tnn_model_invoke_ops's hook)";

  std::vector<std::string> failures;  ///< one line per failed check

  bool ok() const { return failures.empty(); }
  core::Json to_json() const;
};

/// Builds and runs the project in `dir` (written by export_project). Throws core::Error
/// when the project cannot be read or built (with the compiler's output); check failures
/// are listed in the report, which is also written to DIR/verify/report.json.
VerifyReport verify_project(const std::string& dir, const VerifyOptions& options = {});

}  // namespace tinynas::exporter
