#pragma once
// Node lifecycle defaults per cloud (models/catalog/data/clouds.json,
// compiled in): spot notice, node boot, weight-load bandwidth and engine
// start. Immutable once built; safe to share between threads.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace capstan::catalog {

struct CloudSpec {
  double spot_notice_s = 0.0;
  double node_boot_s = 0.0;
};

struct Clouds {
  std::map<std::string, CloudSpec> clouds;
  double weight_load_gb_per_s = 0.0;
  double engine_start_s = 0.0;

  // The compiled-in data; throws std::logic_error if it is malformed (a build defect).
  static const Clouds& builtin();
  const CloudSpec* cloud(std::string_view name) const;  // nullptr when unknown
  std::vector<std::string> names() const;
};

}  // namespace capstan::catalog
