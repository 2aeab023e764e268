// libFuzzer target: scenario text into validation. Every input must end in
// a valid scenario or an input error (what `capstan validate` turns into exit
// 2); any other exception, a crash, a hang or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "models/api/api.h"
#include "models/input_error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  capstan::api::RunRequest request;
  request.scenario_text.assign(reinterpret_cast<const char*>(data), size);
  request.source_name = "fuzz.json";
  try {
    (void)capstan::api::validate(request);
  } catch (const capstan::InputError& e) {
    // One line per error (every error of the file in one pass), no NUL (input_error.h).
    if (!e.lines_well_formed()) std::abort();
  }
  return 0;
}
