#pragma once
// A replication's figures, each under the JSON pointer it has in report.json,
// in the order the report lays them out.
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace capstan::world {

struct Figures {
  std::vector<std::pair<std::string, double>> values;
  void add(std::string pointer, double value) { values.emplace_back(std::move(pointer), value); }
};

// The range a figure's value and its interval lie in. Every figure is a
// count, a time, a cost or a share, so none is negative; shares (SLO and SLA
// attainments, utilisations, occupancies, hit ratios, spill and overflow
// shares, an SLO's met flag) are at most 1. Intervals are clipped to it
// wherever they are stored or printed (report.json, baselines, regress).
struct FigureRange {
  double low = 0.0;
  double high = 0.0;
  double clip(double x) const { return x < low ? low : x > high ? high : x; }
};

inline FigureRange figure_range(std::string_view pointer) {
  const std::size_t slash = pointer.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? pointer : pointer.substr(slash + 1);
  auto ends = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  const bool share = ends("attainment") || ends("_utilization") || ends("_occupancy") || ends("_ratio") ||
                     ends("_share") || name == "met";
  return {0.0, share ? 1.0 : std::numeric_limits<double>::infinity()};
}

// "<section>/<name>" with the name escaped as a JSON-pointer token.
inline std::string pointer(const char* section, const std::string& name) {
  return (nlohmann::json::json_pointer(section) / name).to_string();
}

}  // namespace capstan::world
