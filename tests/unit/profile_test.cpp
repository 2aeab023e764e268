// Calibration profiles: save and load round-trip, and every kind of
// malformed file gives a ProfileError naming the file, the JSON pointer,
// what was expected and what was found.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "models/calibration/calibrate.h"
#include "models/calibration/calibrated.h"
#include "models/calibration/factory.h"
#include "models/calibration/profile.h"
#include "tests/support/specs.h"

namespace cal = capstan::calibration;
using capstan::catalog::GpuSpec;
using capstan::catalog::LlmSpec;

namespace {

LlmSpec small_model() { return capstan::testing::llm_like("llama-3.2-1b-like", 16, 2048, 32, 8, 64, 8192, 128256); }

// A complete profile from made-up but plausible timings.
cal::Profile sample_profile() {
  const LlmSpec m = small_model();
  const cal::MeasureRequest req = cal::plan_calibration(m, 1, {.quick = true});
  cal::MeasureResult r;
  r.device = {"NVIDIA Test GPU", 90, 13000, 13000, 130000, 132, 50 << 20, 79.6};
  r.harness = {3, 25, 100 << 20, "median"};
  r.checks.push_back({"gemm", "v1_cublas", "m=16 n=64 k=128", 0.004, 0.02, true, true});
  r.ceilings = {3000.0, 780.0, 500.0, 0.64, 2800.0, 2500.0, 400.0, 3.5};
  double us = 3.0;
  for (const auto& s : req.shapes) {
    us *= 1.01;
    r.timings.push_back({s.op, "v1", s.shape, us, {us, us * 1.01, us * 0.99}});
  }
  r.seconds = 12.5;
  return cal::build_profile(m, 1, r, {"h100", "2026-02-03T04:05:06Z", "0.1.0", 0.0});
}

std::string temp_path(const std::string& name) { return std::string(CAPSTAN_BINARY_DIR) + "/" + name; }

// Parses `text` and returns the ProfileError it must raise.
cal::ProfileError error_of(const std::string& text) {
  try {
    cal::parse_profile(text, "bad.json");
  } catch (const cal::ProfileError& e) {
    return e;
  }
  FAIL("no ProfileError for: " << text.substr(0, 200));
  return cal::ProfileError("", "", "", "");
}

std::string mutated(const std::function<void(nlohmann::json&)>& change) {
  nlohmann::json j = nlohmann::json::parse(cal::profile_to_json(sample_profile()));
  change(j);
  return j.dump();
}

}  // namespace

TEST_CASE("profile: save and load round-trip", "[profile]") {
  const cal::Profile p = sample_profile();
  const std::string path = temp_path("profile_roundtrip_test.json");
  cal::save_profile(p, path);
  const cal::Profile q = cal::load_profile(path);
  CHECK(q.device.name == p.device.name);
  CHECK(q.device.l2_bytes == p.device.l2_bytes);
  CHECK(q.gpu == "h100");
  CHECK(q.model.head_dim == 64);
  CHECK(q.tensor_parallel == 1);
  CHECK(q.created_utc == p.created_utc);
  REQUIRE(q.timings.size() == p.timings.size());
  CHECK(q.timings[3].shape == p.timings[3].shape);
  CHECK(q.timings[3].median_us == p.timings[3].median_us);  // exact: JSON keeps round-trip precision
  CHECK(q.timings[3].repeats_us == p.timings[3].repeats_us);
  REQUIRE(q.checks.size() == 1);
  CHECK(q.checks[0].passed);
  CHECK(q.ceilings.our_gemm_to_cublas == 0.64);
  CHECK(q.held_out.count == p.held_out.count);
  for (cal::Operator op : cal::fitted_operators()) {
    CHECK(q.fits.at(op).cost.c0_s == p.fits.at(op).cost.c0_s);
    CHECK(q.fits.at(op).cost.s_per_byte == p.fits.at(op).cost.s_per_byte);
    CHECK(q.fits.at(op).table.x == p.fits.at(op).table.x);
    CHECK(q.fits.at(op).table.y == p.fits.at(op).table.y);
  }
  CHECK(cal::profile_to_json(q) == cal::profile_to_json(p));
  // The saved file drives the same model as the value it came from.
  const cal::CalibratedModel a(p, path, small_model(), 1, GpuSpec{});
  const auto via_factory = cal::make_service_time_model(small_model(), GpuSpec{}, capstan::catalog::EngineSpec{}, 1, 0.0, path);
  CHECK(via_factory->kind() == "calibrated");
  CHECK(via_factory->provenance().find(path) != std::string::npos);
  CHECK(via_factory->provenance().find("NVIDIA Test GPU") != std::string::npos);
  const std::vector<cal::PrefillChunk> chunks{{100, 30}};
  CHECK(via_factory->iteration(7, chunks).fixed_s == a.iteration(7, chunks).fixed_s);
  std::remove(path.c_str());
}

TEST_CASE("profile: malformed files give clear errors", "[profile]") {
  SECTION("empty file") {
    const auto e = error_of("");
    CHECK(e.pointer().empty());
    CHECK(e.found() == "an empty file");
    CHECK(std::string(e.what()).find("bad.json") != std::string::npos);
  }
  SECTION("not JSON") {
    const auto e = error_of("{\"schema_version\": 1,");
    CHECK(e.found().find("a syntax error at line 1") == 0);
    CHECK(e.found().find("last read") == std::string::npos);  // the file's bytes are not shown
  }
  SECTION("not an object") { CHECK(error_of("[1, 2]").expected() == "an object"); }
  SECTION("missing field") {
    const auto e = error_of(mutated([](nlohmann::json& j) { j["device"].erase("name"); }));
    CHECK(e.pointer() == "/device/name");
    CHECK(e.expected() == "a string of at most 4096 characters");
    CHECK(e.found() == "no value (the field is required)");
  }
  SECTION("wrong type") {
    const auto e = error_of(mutated([](nlohmann::json& j) { j["tensor_parallel"] = "two"; }));
    CHECK(e.pointer() == "/tensor_parallel");
    CHECK(e.found() == "\"two\"");
    CHECK(e.expected().find("integer") != std::string::npos);
  }
  SECTION("out of range") {
    const auto e = error_of(mutated([](nlohmann::json& j) { j["harness"]["repeats"] = 5; }));
    CHECK(e.pointer() == "/harness/repeats");  // the median of fewer than 20 repeats is refused
  }
  SECTION("newer schema") {
    const auto e = error_of(mutated([](nlohmann::json& j) { j["schema_version"] = 2; }));
    CHECK(e.pointer() == "/schema_version");
  }
  SECTION("unknown key") {
    const auto e = error_of(mutated([](nlohmann::json& j) { j["fit"]["qkv_gemm"]["c3"] = 1.0; }));
    CHECK(e.pointer() == "/fit/qkv_gemm/c3");
    CHECK(e.expected() == "a known key");
  }
  SECTION("misspelt key: the nearest known key is suggested") {
    const auto e = error_of(mutated([](nlohmann::json& j) {
      j["fit"]["qkv_gemm"]["s_per_flops"] = j["fit"]["qkv_gemm"]["s_per_flop"];
      j["fit"]["qkv_gemm"].erase("s_per_flop");
    }));
    CHECK(e.pointer() == "/fit/qkv_gemm/s_per_flops");
    CHECK(e.found() == "\"s_per_flops\" (did you mean \"s_per_flop\"? known: c0_s, s_per_flop, s_per_byte, table)");
    CHECK(std::string(e.what()) ==
          "bad.json: /fit/qkv_gemm/s_per_flops: expected a known key, found \"s_per_flops\" (did you mean "
          "\"s_per_flop\"? known: c0_s, s_per_flop, s_per_byte, table)");
  }
  SECTION("a fitted operator missing") {
    const auto e = error_of(mutated([](nlohmann::json& j) { j["fit"].erase("decode_attention"); }));
    CHECK(e.pointer() == "/fit/decode_attention");
  }
  SECTION("negative coefficient") {
    const auto e = error_of(mutated([](nlohmann::json& j) { j["fit"]["rope"]["s_per_byte"] = -1e-12; }));
    CHECK(e.pointer() == "/fit/rope/s_per_byte");
  }
  SECTION("table rows out of order") {
    const auto e = error_of(mutated([](nlohmann::json& j) {
      auto& rows = j["fit"]["o_gemm"]["table"]["rows"];
      std::swap(rows[1], rows[2]);
    }));
    CHECK(e.pointer() == "/fit/o_gemm/table/rows/2");
  }
  SECTION("table lengths differ") {
    const auto e = error_of(mutated([](nlohmann::json& j) { j["fit"]["o_gemm"]["table"]["seconds"].erase(0); }));
    CHECK(e.pointer() == "/fit/o_gemm/table/seconds");
  }
  SECTION("unknown operator in timings") {
    const auto e = error_of(mutated([](nlohmann::json& j) { j["timings"][0]["operator"] = "softmax"; }));
    CHECK(e.pointer() == "/timings/0/operator");
  }
  SECTION("negative shape dimension") {
    const auto e = error_of(mutated([](nlohmann::json& j) { j["timings"][1]["shape"]["m"] = -4; }));
    CHECK(e.pointer() == "/timings/1/shape/m");
  }
  SECTION("model with kv_heads not dividing heads") {
    const auto e = error_of(mutated([](nlohmann::json& j) { j["model"]["kv_heads"] = 7; }));
    CHECK(e.pointer() == "/model/kv_heads");
  }
}

TEST_CASE("profile: a missing file is a ProfileError naming it", "[profile]") {
  try {
    cal::load_profile("/nonexistent/capstan/profile.json");
    FAIL("expected a ProfileError");
  } catch (const cal::ProfileError& e) {
    CHECK(e.file() == "/nonexistent/capstan/profile.json");
  }
  CHECK_THROWS_AS(cal::make_service_time_model(small_model(), GpuSpec{}, capstan::catalog::EngineSpec{}, 1, 0.0, "/nonexistent/p.json"),
                  cal::ProfileError);
}

TEST_CASE("profile: only a regular file under the size limit is read", "[profile]") {
  // /dev/zero would be read until memory ran out, and a FIFO would block for ever.
  for (const std::string& path : {std::string("/dev/zero"), std::string("/tmp")}) {
    try {
      cal::load_profile(path);
      FAIL("no ProfileError for " << path);
    } catch (const cal::ProfileError& e) {
      CHECK(e.file() == path);
      CHECK(e.expected() == "a readable file");
    }
  }
  const std::string fifo = temp_path("profile_fifo_test");
  std::filesystem::remove(fifo);
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_AS(cal::load_profile(fifo), cal::ProfileError);
  std::filesystem::remove(fifo);
}
