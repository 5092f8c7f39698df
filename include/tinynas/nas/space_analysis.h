// SuperNAS search-space analysis (TinyFormer III-B, Algorithm 1): is a space worth
// searching for this MCU? Sample single paths with sparse configs from the whole space
// (supernet hyper-parameters included), cost them with the int8 cost model, and among
// those that fit the SRAM and flash limits count the ones whose parameter count lies in
// [λ_lo·L, λ_up·L]. The space is accepted when that share reaches the threshold.
//
// Sampling follows the space's own distribution: a supernet uniformly over its
// hyper-parameter values, then a path uniformly over that supernet's candidates
// (space::sample_arch), then a sparse config uniformly per choice block
// (space::sample_sparse). When the space is so small that all its (supernet, path, sparse
// config) triples number no more than the sample budget, they are enumerated instead and
// weighted by that same distribution: the result is then the exact probability.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tinynas/core/json.h"
#include "tinynas/cost/path_cost.h"
#include "tinynas/space/arch.h"
#include "tinynas/space/space.h"

namespace tinynas::nas {

/// Which limit the λ bounds scale (recipe supernas.param_bound).
enum class ParamBound {
  sram,   ///< L = L_m, the SRAM limit in bytes (Algorithm 1 as printed)
  flash,  ///< L = L_s, the flash limit in bytes
  params, ///< L = the effective-parameter budget (run.params_k), for spaces compared at a
          ///< fixed model size as in the hybrid-space paper
};
ParamBound parse_param_bound(const std::string& text);  ///< "sram" | "flash" | "params"
const char* to_string(ParamBound bound);

struct AnalysisOptions {
  std::int64_t samples = 1000;  ///< T_sup; also the enumeration budget
  double lambda_lo = 0.8;
  double lambda_up = 2.8;
  double accept_threshold = 0.9;
  ParamBound bound = ParamBound::sram;
  cost::Limits limits;
  space::SparseChoices sparse;  ///< what sparse configs draw from
  cost::CostOptions cost;
  std::uint64_t seed = 0;
  bool allow_exhaustive = true;  ///< enumerate when the space fits the sample budget
  /// Called after each sample (done, total); e.g. a progress bar.
  std::function<void(std::int64_t, std::int64_t)> progress;
};

/// One sampled (or enumerated) model.
struct AnalysisSample {
  std::string supernet;  ///< SupernetConfig text
  std::string arch;
  std::string sparse;
  std::int64_t params = 0;            ///< N_param: trainable parameters of the dense path
  std::int64_t effective_params = 0;  ///< after pruning by the sparse config
  std::int64_t macs = 0;
  std::int64_t peak_sram = 0;  ///< bytes
  std::int64_t flash = 0;      ///< bytes, sparse-coded per the config and storage policy
  bool fits = false;           ///< within both limits (counted in n_eval)
  bool accepted = false;       ///< fits and params within the λ bounds (n_accept)
  double weight = 1;           ///< probability mass (enumeration); 1 when sampled
};

struct AnalysisResult {
  std::string space_id;
  std::string method;  ///< "sampled" or "exhaustive"
  std::int64_t n_samples = 0;
  std::int64_t n_eval = 0;    ///< fitting the limits
  std::int64_t n_accept = 0;  ///< fitting and within the bounds
  std::int64_t n_below = 0;   ///< fitting, params below the lower bound
  std::int64_t n_above = 0;   ///< fitting, params above the upper bound
  /// n_accept / n_eval when sampled; the exact probability P(accept | fits) when
  /// enumerated; 0 when nothing fits.
  double probability = 0;
  double ci_low = 0, ci_high = 0;  ///< 95% Wilson interval (sampled; = probability when exact)
  double fit_share = 0;            ///< P(fits)
  /// Of the fitting models (probability mass when enumerated): below / above the bounds.
  double below_share = 0, above_share = 0;
  std::int64_t param_lo = 0, param_hi = 0;  ///< λ_lo·L, λ_up·L (params, rounded)
  bool accepted = false;  ///< probability >= threshold (and something fits)
  AnalysisOptions options;
  std::vector<AnalysisSample> samples;
};

/// Runs Algorithm 1 over `space` for images of `input` and `classes` classes. Errors (a
/// supernet the space cannot build for this input) throw core::Error naming the supernet.
AnalysisResult analyze_space(const space::SpaceDef& space, space::Shape input, int classes,
                             const AnalysisOptions& options);

/// Samples analysis.json lists (the first ones); the figures cover all of them.
constexpr std::size_t kMaxJsonSamples = 20000;

/// analysis.json: the options, counts, probability, verdict and the samples (at most
/// kMaxJsonSamples; "samples_listed" says how many).
core::Json to_json(const AnalysisResult& result);

/// The readable summary: verdict, counts, bounds and the distribution of the figures.
std::string format_report(const AnalysisResult& result);

/// Writes params.svg, peak_sram.svg and flash.svg into `dir` (which must exist): the
/// histograms of all samples and of the fitting ones, with the limits and λ bounds drawn.
/// Returns the paths written.
std::vector<std::string> write_histograms(const AnalysisResult& result, const std::string& dir);

}  // namespace tinynas::nas
