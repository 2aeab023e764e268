// libFuzzer target: the files a command reads beside a scenario, as untrusted
// bytes. The first byte picks the kind: 0 a request trace (CSV) a scenario
// replays, 1 a spot availability trace (JSON) a pool follows, 2 a plan space,
// 3 a regress baseline; the rest is the file. Every input must end in a
// valid read or an input error with one line per error; any other
// exception, a crash, a hang or a sanitizer report is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "models/api/api.h"
#include "models/input_error.h"
#include "models/plan/plan.h"
#include "models/regress/regress.h"
#include "models/scenario/load.h"

namespace {

const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "capstan-fuzz-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) std::abort();
    return std::filesystem::path(tmpl);
  }();
  return dir;
}

void write(const std::filesystem::path& path, const char* data, std::size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data, static_cast<std::streamsize>(size));
}

// A one-class, one-pool world; `extra` goes into the class (a trace) or the site's pools (a spot pool).
std::string world(const std::string& cls, const std::string& pools) {
  return R"({"name": "fuzz", "simulation": {"duration_h": 0.05},
    "workload": {"peak_users": 10, "diurnal": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],
                 "origins": [{"name": "metro", "share": 1}]},
    "classes": [{"name": "c", "deployment": "d", "slo": {"metric": "ttft", "threshold_ms": 500}, )" +
         cls + R"(}],
    "deployments": [{"name": "d", "model": "llama-3.2-1b", "gpu": "l4"}],
    "sites": [{"name": "cloud", "region": "us-east", "pools": [{"name": "main", "deployment": "d", "gpus": 1})" +
         pools + R"(]}],
    "network": {"links": [{"a": "metro", "b": "cloud", "rtt_ms": 10}]}})";
}

// A class whose requests are drawn, not replayed.
const char* const kDrawn = R"("rate_per_user_hour": 10, "prompt_tokens": {"dist": "constant", "value": 10},
                              "output_tokens": {"dist": "constant", "value": 10})";

void one_line(const capstan::InputError& e) {
  if (!e.lines_well_formed()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int kind = data[0] % 4;
  const char* body = reinterpret_cast<const char*>(data + 1);
  const std::size_t n = size - 1;
  const auto& dir = scratch();
  try {
    switch (kind) {
      case 0: {
        write(dir / "trace.csv", body, n);
        std::ofstream(dir / "world.json", std::ios::trunc) << world(R"("trace": {"file": "trace.csv", "loop": true})", "");
        (void)capstan::scenario::load_file((dir / "world.json").string());
        break;
      }
      case 1: {
        write(dir / "spot.json", body, n);
        std::ofstream(dir / "world.json", std::ios::trunc)
            << world(kDrawn, R"(, {"name": "spot", "deployment": "d", "gpus": 2, "capacity": "spot",
                                   "interruptions": {"model": "trace", "file": "spot.json"}})");
        (void)capstan::scenario::load_file((dir / "world.json").string());
        break;
      }
      case 2: {
        write(dir / "space.json", body, n);
        std::ofstream(dir / "world.json", std::ios::trunc) << world(kDrawn, "");
        capstan::api::RunRequest request;
        request.scenario_path = (dir / "world.json").string();
        (void)capstan::plan::read_space((dir / "space.json").string(), request);
        break;
      }
      default: {
        write(dir / "fuzz.baseline.json", body, n);
        (void)capstan::regress::read_baseline((dir / "fuzz.baseline.json").string());
        break;
      }
    }
  } catch (const capstan::InputError& e) {
    one_line(e);
  }
  return 0;
}
