#pragma once
// Inverse-CDF draws in constant expected time: the guide table of Chen and
// Asau (1974). Guide entry j holds the first index whose cumulative share
// passes j/m; a draw u starts at entry floor(u m) and walks to the first
// index whose share passes u. The answer is upper_bound's, index for index
// (tests/workload/cdf_search_test.cpp holds that), but a popular prompt
// among thousands costs one table read instead of a binary search's dozen
// scattered ones.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace capstan::workload {

class CdfSearch {
 public:
  CdfSearch() = default;
  // `cdf` is non-decreasing; it is copied.
  explicit CdfSearch(std::vector<double> cdf);

  bool empty() const { return cdf_.empty(); }
  std::size_t size() const { return cdf_.size(); }
  // std::upper_bound(cdf, u) - cdf.begin(), at most size() - 1.
  std::uint32_t index(double u) const {
    const double scaled = u * static_cast<double>(guide_.size());
    std::size_t j = scaled > 0 ? static_cast<std::size_t>(scaled) : 0;
    if (j >= guide_.size()) j = guide_.size() - 1;
    std::size_t i = guide_[j];
    // The guide is exact at j/m; rounding in u * m can put u a hair below
    // j/m, so walk back as well as forward.
    while (i > 0 && cdf_[i - 1] > u) --i;
    while (i < cdf_.size() && cdf_[i] <= u) ++i;
    return static_cast<std::uint32_t>(i < cdf_.size() ? i : cdf_.size() - 1);
  }

 private:
  std::vector<double> cdf_;
  std::vector<std::uint32_t> guide_;
};

}  // namespace capstan::workload
