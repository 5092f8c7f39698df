#include "tinynas/core/stats.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "tinynas/core/error.h"

namespace tinynas::core {
namespace {

void check_lengths(const char* what, std::size_t a, std::size_t b) {
  if (a != b)
    throw Error(std::string(what) + ": series of " + std::to_string(a) + " and " + std::to_string(b) +
                " values");
}

}  // namespace

double kendall_tau(const std::vector<double>& a, const std::vector<double>& b) {
  check_lengths("kendall_tau", a.size(), b.size());
  double concordant = 0, discordant = 0, ties_a = 0, ties_b = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = i + 1; j < a.size(); ++j) {
      const double da = a[i] - a[j], db = b[i] - b[j];
      if (da == 0 && db == 0) continue;
      if (da == 0) ++ties_a;
      else if (db == 0) ++ties_b;
      else if ((da > 0) == (db > 0)) ++concordant;
      else ++discordant;
    }
  const double n = std::sqrt((concordant + discordant + ties_a) * (concordant + discordant + ties_b));
  return n > 0 ? (concordant - discordant) / n : 0.0;
}

double mean_abs_error(const std::vector<double>& a, const std::vector<double>& b) {
  check_lengths("mean_abs_error", a.size(), b.size());
  if (a.empty()) return 0;
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += std::fabs(a[i] - b[i]);
  return s / double(a.size());
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(mid), v.end());
  const double hi = v[mid];
  if (v.size() % 2) return hi;
  return (*std::max_element(v.begin(), v.begin() + std::ptrdiff_t(mid)) + hi) / 2;
}

}  // namespace tinynas::core
