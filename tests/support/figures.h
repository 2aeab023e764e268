#pragma once
// A replication's figure by its report.json pointer, for the tests.
#include <string>

#include <catch2/catch.hpp>

#include "models/world/world.h"

namespace capstan::testing {

inline double figure(const world::ReplicationResult& r, const std::string& pointer) {
  for (const auto& [p, v] : r.figures.values) {
    if (p == pointer) return v;
  }
  FAIL("no figure " << pointer);
  return 0.0;
}

inline bool has_figure(const world::ReplicationResult& r, const std::string& pointer) {
  for (const auto& [p, v] : r.figures.values) {
    if (p == pointer) return true;
  }
  return false;
}

}  // namespace capstan::testing
