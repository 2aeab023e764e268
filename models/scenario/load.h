#pragma once
// Reading a scenario: JSON in, a validated Scenario out, or a ScenarioError
// that names the file, the JSON pointer of the offending field, what was
// expected and what was found. A scenario is untrusted input: no input makes
// these functions crash, hang or return a half-checked value.
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "models/input_error.h"
#include "models/scenario/scenario.h"

namespace capstan::scenario {

class ScenarioError : public InputError {
 public:
  using InputError::InputError;
};

// An override "key.path=value" (as `--set` takes it): the path is dot
// separated, array elements are addressed by index or by their "name"; the
// value is parsed as JSON, or taken as a string when it is not JSON.
struct Override {
  std::string path;
  std::string value;
};
Override parse_override(const std::string& text);  // throws ScenarioError on a missing '='

// Reads, applies the overrides, validates. `path` names the file in errors.
Scenario load_file(const std::string& path, const std::vector<Override>& overrides = {});
// Same, from JSON text or an already-parsed document; `source` names it in errors.
Scenario load_text(const std::string& text, const std::string& source, const std::vector<Override>& overrides = {});
Scenario load_json(const nlohmann::json& doc, const std::string& source, const std::vector<Override>& overrides = {});

}  // namespace capstan::scenario
