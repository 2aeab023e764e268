// capstan: capacity planning for AI-powered virtual environments.
#include <algorithm>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "capstan/version.h"
#include "cli/commands.h"
#include "models/input/json_reader.h"

int main(int argc, char** argv) {
  CLI::App app{"capstan: discrete-event capacity planning for LLM-served virtual environments"};
  app.set_version_flag("--version", capstan::kVersion);
  app.require_subcommand(1);
  int exit_code = 0;
  capstan::cli::add_run(app, exit_code);
  capstan::cli::add_validate(app, exit_code);
  capstan::cli::add_calibrate(app, exit_code);
  capstan::cli::add_device(app, exit_code);
  capstan::cli::add_demo(app, exit_code);
  capstan::cli::add_regress(app, exit_code);
  capstan::cli::add_catalog(app, exit_code);
  capstan::cli::add_sweep(app, exit_code);
  capstan::cli::add_plan(app, exit_code);
  capstan::cli::add_schema(app, exit_code);
  capstan::cli::add_init(app, exit_code);
  // An unknown subcommand: name the known ones (CLI11 would only say that one is required).
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> known;
    for (const CLI::App* sub : app.get_subcommands({})) known.push_back(sub->get_name());
    if (std::find(known.begin(), known.end(), argv[1]) == known.end()) {
      std::cerr << "capstan: unknown subcommand " << capstan::input::quoted_with_suggestion(argv[1], known)
                << "; see capstan --help\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    capstan::cli::print_error(e.what());
    return 1;
  }
  return exit_code;
}
