// `capstan schema SCENARIO...`: the JSON Schema (draft 2020-12) of scenario
// files, recorded from the validator itself while it checks the given
// scenarios (models/input/schema_recorder.h). The scenarios should reach
// every branch of the format (each distribution, each interruption model,
// traces, hosted overflow, catalog overrides); scripts/scenario_schema.py
// runs it on the repository's and adds the descriptions and units of
// docs/scenario.md to write docs/scenario.schema.json.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "models/catalog/catalog.h"
#include "models/catalog/clouds.h"
#include "models/input/schema_recorder.h"
#include "models/scenario/load.h"

namespace capstan::cli {

void add_schema(CLI::App& app, int& exit_code) {
  static std::vector<std::string> files;
  auto* cmd = app.add_subcommand("schema",
                                 "Print the JSON Schema of scenario files, recorded from the validator on these files");
  cmd->add_option("scenarios", files, "Valid scenario files reaching every branch of the format")->required();
  cmd->callback([&exit_code] {
    exit_code = guarded([] {
      catalog::Catalog::builtin();  // the compiled-in catalogs' own fields are not a scenario's
      catalog::Clouds::builtin();
      input::SchemaRecorder recorder;
      for (const auto& f : files) {
        // A glob over scenarios/ takes regress baselines too: they are not scenarios, and are left out.
        if (f.size() > 14 && f.compare(f.size() - 14, 14, ".baseline.json") == 0) {
          std::cerr << "capstan: " << f << ": a regress baseline, not a scenario: left out\n";
          continue;
        }
        scenario::load_file(f);
      }
      std::cout << recorder.schema().dump(1) << "\n";
      return 0;
    });
  });
}

}  // namespace capstan::cli
