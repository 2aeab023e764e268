#pragma once
// Each subcommand lives in its own file and registers itself on the app.
// A subcommand's callback returns through `exit_code`: 0 success, 1 failure
// to do the work (no GPU, a forecast that drifted), 2 bad input.
#include <cctype>
#include <cmath>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace capstan::cli {

// Runs a subcommand's body: bad input (InputError) prints and returns 2,
// any other failure prints and returns 1.
int guarded(const std::function<int()>& body);

// An error on stderr, "capstan: " before each of its lines (a file's errors
// found in one pass come one per line).
void print_error(const std::string& what);

// Runs `python3 -m module args...` with the capstan package built beside this
// executable, to draw plots; when no interpreter can import it and
// matplotlib, says so (naming `written`, what was written without them).
// `what` names the output in those messages ("plots", "report.html").
bool run_python_plots(const std::string& module, const std::vector<std::string>& args, const std::string& written,
                      const std::string& what = "plots");

// Runs `python3 -m module args...` with the capstan package built beside
// this executable and the first interpreter ($CAPSTAN_PYTHON, /usr/bin/python3,
// python3) that can import `imports` ("capstan, matplotlib"): its exit status,
// or -1 when no interpreter can.
int run_python_module(const std::string& module, const std::vector<std::string>& args, const std::string& imports);

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

// A memory size: a number of bytes with an optional binary suffix K, M, G or
// T ("512M", "16G"), from 1 MiB to 1 PiB.
inline std::optional<double> parse_memory(const std::string& text) {
  if (text.empty() || text.size() > 24) return std::nullopt;
  std::size_t used = 0;
  double x = 0.0;
  try {
    x = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const std::string suffix = text.substr(used);
  const std::string units = "KMGT";
  double scale = 1.0;
  if (suffix.size() == 1 && units.find(static_cast<char>(std::toupper(static_cast<unsigned char>(suffix[0])))) != std::string::npos) {
    scale = std::pow(1024.0, 1.0 + static_cast<double>(units.find(static_cast<char>(std::toupper(static_cast<unsigned char>(suffix[0]))))));
  } else if (!suffix.empty()) {
    return std::nullopt;
  }
  const double bytes = x * scale;
  if (!(bytes >= 1024.0 * 1024.0 && bytes <= std::pow(1024.0, 5))) return std::nullopt;
  return bytes;
}

inline CLI::Validator memory_check() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        return parse_memory(text) ? "" : "expected a size from 1M to 1024T (bytes, or with K, M, G or T), found \"" + text + "\"";
      },
      "SIZE");
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
void add_schema(CLI::App& app, int& exit_code);
void add_init(CLI::App& app, int& exit_code);

}  // namespace capstan::cli
