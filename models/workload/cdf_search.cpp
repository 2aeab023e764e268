#include "models/workload/cdf_search.h"

#include <algorithm>

namespace capstan::workload {

CdfSearch::CdfSearch(std::vector<double> cdf) : cdf_(std::move(cdf)) {
  if (cdf_.empty()) return;
  const std::size_t m = cdf_.size();
  guide_.resize(m);
  std::size_t i = 0;
  for (std::size_t j = 0; j < m; ++j) {
    const double at = static_cast<double>(j) / static_cast<double>(m);
    while (i < m && cdf_[i] <= at) ++i;
    guide_[j] = static_cast<std::uint32_t>(std::min(i, m - 1));
  }
}

}  // namespace capstan::workload
