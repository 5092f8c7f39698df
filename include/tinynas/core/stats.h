// Agreement between a prediction and what was measured: rank correlation (Kendall's tau-b)
// and mean absolute error. Used wherever a model of something is judged against data: the
// latency tables (export/latency_measure.h) and the accuracy predictor (nas/predictor.h).
#pragma once

#include <vector>

namespace tinynas::core {

/// Kendall's tau-b of two equally long series: (concordant - discordant) pairs over
/// sqrt((n0 - ties_a) * (n0 - ties_b)), a pair tied in both series counted in neither.
/// In [-1, 1]; 0 when either series is constant or shorter than 2. O(n²). Throws
/// core::Error when the lengths differ.
double kendall_tau(const std::vector<double>& a, const std::vector<double>& b);

/// Mean of |a[i] - b[i]|; 0 for empty series. Throws core::Error when the lengths differ.
double mean_abs_error(const std::vector<double>& a, const std::vector<double>& b);

/// The median (mean of the middle two for an even count); 0 for an empty series.
double median(std::vector<double> v);

}  // namespace tinynas::core
