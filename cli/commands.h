#pragma once
// Each subcommand lives in its own file and registers itself on the app.
// A subcommand's callback returns through `exit_code`: 0 success, 1 failure
// to do the work (no GPU, a forecast that drifted), 2 bad input.
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace capstan::cli {

// Runs a subcommand's body: bad input (InputError) prints and returns 2,
// any other failure prints and returns 1.
int guarded(const std::function<int()>& body);

// Runs `python3 -m module args...` with the capstan package built beside this
// executable, to draw plots; when no interpreter can import it and
// matplotlib, says so (naming `written`, what was written without them).
bool run_python_plots(const std::string& module, const std::vector<std::string>& args, const std::string& written);

// A master seed: an integer from 0 to 2^64 - 1 as written, so that "-1"
// does not wrap to 2^64 - 1 and 2^64 is not clamped.
inline CLI::Validator seed_check() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        const bool digits = !text.empty() && text.size() <= 20 &&
                            text.find_first_not_of("0123456789") == std::string::npos;
        // 2^64 - 1 has 20 digits: a 20-digit string compares with it as text.
        if (!digits || (text.size() == 20 && text > "18446744073709551615")) {
          return "expected an integer from 0 to 18446744073709551615, found \"" + text + "\"";
        }
        return "";
      },
      "SEED");
}

void add_run(CLI::App& app, int& exit_code);
void add_validate(CLI::App& app, int& exit_code);
void add_demo(CLI::App& app, int& exit_code);
void add_calibrate(CLI::App& app, int& exit_code);
void add_device(CLI::App& app, int& exit_code);
void add_regress(CLI::App& app, int& exit_code);
void add_catalog(CLI::App& app, int& exit_code);
void add_sweep(CLI::App& app, int& exit_code);
void add_plan(CLI::App& app, int& exit_code);

}  // namespace capstan::cli
