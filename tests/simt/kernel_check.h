// Comparison helpers for the kernel tests: the device result against the CPU oracle element by
// element with a tolerance per element, and |x| of an input (to bound rounding error by magnitude).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace simt_test {

// Fails (once, naming the first bad index) unless every got[i] is within tolerance(i) of want[i];
// NaN anywhere fails, so an element the kernel never wrote (poisoned with NaN) is caught.
template <typename Tolerance>
void expect_all_near(const std::vector<float>& got,
                     const std::vector<float>& want,
                     Tolerance tolerance,
                     const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double error = std::abs(static_cast<double>(got[i]) - want[i]);
    if (!(error <= tolerance(i))) {  // also true for NaN
      ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", CPU gives " << want[i]
                    << " (tolerance " << tolerance(i) << ")";
      return;
    }
  }
}

// The same absolute tolerance for every element.
inline void expect_all_near(const std::vector<float>& got,
                            const std::vector<float>& want,
                            double tolerance,
                            const std::string& what) {
  expect_all_near(
      got, want, [tolerance](std::size_t) { return tolerance; }, what);
}

inline std::vector<float> abs_values(std::vector<float> values) {
  for (float& v : values) v = std::abs(v);
  return values;
}

}  // namespace simt_test
