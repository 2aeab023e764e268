#pragma once
// A replication's figures, each under the JSON pointer it has in report.json,
// in the order the report lays them out.
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace capstan::world {

struct Figures {
  std::vector<std::pair<std::string, double>> values;
  void add(std::string pointer, double value) { values.emplace_back(std::move(pointer), value); }
};

// "<section>/<name>" with the name escaped as a JSON-pointer token.
inline std::string pointer(const char* section, const std::string& name) {
  return (nlohmann::json::json_pointer(section) / name).to_string();
}

}  // namespace capstan::world
