#pragma once
// SchemaRecorder: the JSON Schema of a document type, recorded from the
// readers that validate it. While one is active on a thread, every check of
// json_reader.h (an object's known keys, a number's range, an integer's
// bounds, a choice's options, a field's default, whether it is required)
// records itself at its JSON pointer, array indices and the names of
// name-keyed maps folded, so that validating a few documents that reach
// every branch gives the schema those checks define (`capstan schema`;
// docs/scenario.schema.json). What the readers check across fields (a
// deployment named by a class exists, a window longer than its warm-up) is
// not a per-field rule and stays the validator's alone.
//
// Not thread-safe: one recorder per thread, active from construction to
// destruction.
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/input/json_reader.h"

namespace capstan::input {

class SchemaRecorder {
 public:
  SchemaRecorder();
  ~SchemaRecorder();
  SchemaRecorder(const SchemaRecorder&) = delete;
  SchemaRecorder& operator=(const SchemaRecorder&) = delete;

  // The recorder active on this thread, or nullptr.
  static SchemaRecorder* active();

  // While one lives, nothing is recorded on this thread: for the other
  // documents a scenario names (an availability trace, a profile), whose
  // pointers are their own.
  class Pause {
   public:
    Pause();
    ~Pause();
    Pause(const Pause&) = delete;
    Pause& operator=(const Pause&) = delete;

   private:
    SchemaRecorder* paused_;
  };

  // An object at `pointer` holding only `keys`.
  void object(const std::string& pointer, const std::vector<std::string>& keys);
  // An object at `pointer` whose keys are names of entries (a catalog section).
  void map(const std::string& pointer);
  // An array at `pointer`.
  void array(const std::string& pointer, std::size_t min_items, std::size_t max_items);
  // A field (`pointer` ends in its key, or an array index) checked against
  // `schema`; `required` when it has no default.
  void field(const std::string& pointer, nlohmann::json schema, bool required);

  // Draft 2020-12, rooted at the first object recorded at "".
  nlohmann::json schema() const;

 private:
  struct Node {
    bool is_object = false, is_map = false, is_array = false;
    std::set<std::string> keys;               // an object's known keys
    int visits = 0;                           // times the object was read
    std::map<std::string, int> required;      // key -> visits that required it
    nlohmann::json leaf;                      // a field's own schema
    std::size_t min_items = 0, max_items = 0;
  };
  std::string pattern(const std::string& pointer) const;
  nlohmann::json build(const std::string& pattern) const;
  std::map<std::string, Node> nodes_;  // by folded pointer: "*" an array item, "{}" a map entry
  SchemaRecorder* previous_;
};

// While one lives, this thread reads another document than the scenario
// naming it (a spot availability trace, a calibration profile), whose
// pointers are its own: neither the schema recorder nor the error collector
// takes what it reads, and its errors throw, naming its file.
struct OwnDocument {
  SchemaRecorder::Pause schema;
  ErrorCollector::Pause errors;
};

}  // namespace capstan::input
