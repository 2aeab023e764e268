// capstan: capacity planning for AI-powered virtual environments.
#include <exception>
#include <iostream>

#include "capstan/version.h"
#include "cli/commands.h"

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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    std::cerr << "capstan: " << e.what() << "\n";
    return 1;
  }
  return exit_code;
}
