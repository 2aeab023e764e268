#include "models/calibration/profile.h"
#include "models/input/schema_recorder.h"
#include "models/input/read_file.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "models/input/json_reader.h"

namespace capstan::calibration {

using nlohmann::json;
using nlohmann::ordered_json;

std::vector<Operator> fitted_operators() {
  std::vector<Operator> ops;
  for (int i = 0; i < kOperatorCount; ++i) {
    const Operator op = static_cast<Operator>(i);
    if (op != Operator::kAllReduce && !is_moe(op)) ops.push_back(op);
  }
  return ops;
}

namespace {

// ---- reading ---------------------------------------------------------------

// A profile is read, never rewritten: the read-only form of the shared reader.
// Its FieldErrors become ProfileErrors in parse_profile.
using input::ConstObject;
using input::child;
using input::describe;
using input::fail;
using input::non_negative;
using input::positive;
using input::Range;

constexpr double kHuge = 1e300;
constexpr std::int64_t kMaxDim = 1'000'000'000;
constexpr std::size_t kMaxItems = 1'000'000;  // entries of any array

DeviceInfo read_device(const ConstObject& o) {
  DeviceInfo d;
  d.name = o.string("name");
  if (d.name.empty()) fail(o.ptr("name"), "a device name", "an empty string");
  d.compute_capability = static_cast<int>(o.integer("compute_capability", 10, 1000));
  d.driver_version = static_cast<int>(o.integer("driver_version", 0, 1'000'000));
  d.runtime_version = static_cast<int>(o.integer("runtime_version", 0, 1'000'000));
  d.cublas_version = static_cast<int>(o.integer("cublas_version", 0, 1'000'000'000));
  d.sm_count = static_cast<int>(o.integer("sm_count", 1, 100000));
  d.l2_bytes = o.integer("l2_bytes", 0, kMaxDim * 100);
  d.memory_gib = o.number("memory_gib", non_negative(1e6));
  return d;
}

catalog::LlmSpec read_model(const ConstObject& o) {
  catalog::LlmSpec m;
  m.name = o.string("name");
  if (m.name.empty()) fail(o.ptr("name"), "a model name", "an empty string");
  m.layers = static_cast<int>(o.integer("layers", 1, 100000));
  m.hidden = static_cast<int>(o.integer("hidden", 1, 10'000'000));
  m.heads = static_cast<int>(o.integer("heads", 1, 100000));
  m.kv_heads = static_cast<int>(o.integer("kv_heads", 1, 100000));
  m.head_dim = static_cast<int>(o.integer("head_dim", 1, 100000));
  m.intermediate = static_cast<int>(o.integer("intermediate", 1, 10'000'000));
  m.vocab = static_cast<int>(o.integer("vocab", 0, 100'000'000));
  m.bytes_per_param = o.number("bytes_per_param", Range{0.125, 8.0});
  m.classifier = o.boolean("classifier");
  m.num_labels = static_cast<int>(o.integer("num_labels", 0, 1'000'000));
  if (m.heads % m.kv_heads != 0)
    fail(o.ptr("kv_heads"), "a divisor of heads (" + std::to_string(m.heads) + ")", std::to_string(m.kv_heads));
  if (m.classifier && m.num_labels < 1) fail(o.ptr("num_labels"), "at least 1 for a classifier", "0");
  if (!m.classifier && m.vocab < 1) fail(o.ptr("vocab"), "at least 1 for a language model", "0");
  return m;
}

HarnessInfo read_harness(const ConstObject& o) {
  HarnessInfo h;
  h.warmup = static_cast<int>(o.integer("warmup", 0, 10000));
  h.repeats = static_cast<int>(o.integer("repeats", 20, 100000));
  h.l2_flush_bytes = o.integer("l2_flush_bytes", 0, kMaxDim * 100);
  h.statistic = o.string("statistic");
  if (h.statistic != "median") fail(o.ptr("statistic"), "\"median\"", describe(json(h.statistic)));
  return h;
}

Ceilings read_ceilings(const ConstObject& o) {
  Ceilings c;
  c.copy_gb_per_s = o.number("copy_gb_per_s", non_negative(1e6));
  c.gemm_tflops = o.number("gemm_tflops", non_negative(1e6));
  c.our_gemm_tflops = o.number("our_gemm_tflops", non_negative(1e6));
  c.our_gemm_to_cublas = o.number("our_gemm_to_cublas", non_negative(100.0));
  c.weight_stream_gb_per_s = o.number("weight_stream_gb_per_s", non_negative(1e6));
  c.decode_attention_gb_per_s = o.number("decode_attention_gb_per_s", non_negative(1e6));
  c.attention_tflops = o.number("attention_tflops", non_negative(1e6));
  c.launch_floor_us = o.number("launch_floor_us", non_negative(1e6));
  return c;
}

KernelCheck read_check(const ConstObject& o) {
  KernelCheck k;
  k.kernel = o.string("kernel");
  k.version = o.string("version");
  k.shape = o.string("shape");
  k.max_rel_error = o.number("max_rel_error", non_negative(kHuge));
  k.tolerance = o.number("tolerance", non_negative(1.0));
  k.all_written = o.boolean("all_written");
  k.passed = o.boolean("passed");
  return k;
}

bool timing_op_known(const std::string& op) {
  if (op == "copy") return true;
  try {
    operator_from_name(op);
    return true;
  } catch (const std::invalid_argument&) {
    return false;
  }
}

RawTiming read_timing(const ConstObject& o) {
  RawTiming t;
  t.op = o.string("operator");
  if (!timing_op_known(t.op)) fail(o.ptr("operator"), "an operator name or \"copy\"", describe(json(t.op)));
  t.version = o.string("version");
  const json& shape = o.raw("shape");
  if (!shape.is_object() || shape.empty()) fail(o.ptr("shape"), "an object of dimensions", describe(shape));
  for (const auto& item : shape.items()) {
    const std::string p = child(o.ptr("shape"), item.key());
    if (!item.value().is_number_integer() || item.value().get<std::int64_t>() < 0)
      fail(p, "a non-negative integer", describe(item.value()));
    t.shape[item.key()] = item.value().get<std::int64_t>();
  }
  t.median_us = o.number("median_us", Range{1e-6, kHuge});
  const json& reps = o.array("repeats_us", 0, kMaxItems, false);
  for (std::size_t i = 0; i < reps.size(); ++i) {
    t.repeats_us.push_back(input::number_at(reps[i], child(o.ptr("repeats_us"), i), positive(kHuge)));
  }
  return t;
}

OperatorFit read_fit(const ConstObject& o) {
  OperatorFit f;
  f.cost.c0_s = o.number("c0_s", non_negative(1e3));
  f.cost.s_per_flop = o.number("s_per_flop", non_negative(1.0));
  f.cost.s_per_byte = o.number("s_per_byte", non_negative(1.0));
  if (o.has("table")) {
    const ConstObject t = o.object("table", {"rows", "seconds"}, true);
    const json& rows = t.array("rows", 1, kMaxItems, true);
    const json& secs = t.array("seconds", 1, kMaxItems, true);
    if (rows.size() != secs.size())
      fail(t.ptr("seconds"), "as many entries as rows (" + std::to_string(rows.size()) + ")", describe(secs));
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const std::string row = child(t.ptr("rows"), i);
      const double x = input::number_at(rows[i], row, non_negative(kHuge));
      if (i > 0 && !(x > f.table.x.back())) fail(row, "rows in increasing order", describe(rows[i]));
      f.table.x.push_back(x);
      f.table.y.push_back(input::number_at(secs[i], child(t.ptr("seconds"), i), positive(kHuge)));
    }
  }
  return f;
}

ErrorSummary read_errors(const ConstObject& o) {
  ErrorSummary e;
  e.median_rel_error = o.number("median_rel_error", non_negative(kHuge));
  e.p95_rel_error = o.number("p95_rel_error", non_negative(kHuge));
  e.count = static_cast<std::size_t>(o.integer("count", 0, kMaxDim));
  return e;
}

const std::vector<std::string> kTopKeys = {
    "schema_version", "kind",        "created_utc", "capstan_version", "device",
    "gpu",            "model",       "tensor_parallel", "harness",     "checks",
    "ceilings",       "iteration_overhead_ms", "iteration_overhead_source", "timings",
    "fit",            "held_out",    "calibration_seconds"};
constexpr const char* kKind = "capstan-calibration-profile";

Profile read_profile(const json& doc) {
  const ConstObject top(doc, "", kTopKeys);
  Profile p;
  // The version first: a newer format is reported as such, not as its first odd field.
  p.schema_version = static_cast<int>(top.integer("schema_version", kProfileSchemaVersion, kProfileSchemaVersion));
  const std::string kind = top.string("kind");
  if (kind != kKind) fail(top.ptr("kind"), std::string("\"") + kKind + "\"", describe(json(kind)));
  p.created_utc = top.string("created_utc");
  p.capstan_version = top.string("capstan_version");
  p.device = read_device(top.object("device",
                                    {"name", "compute_capability", "driver_version", "runtime_version",
                                     "cublas_version", "sm_count", "l2_bytes", "memory_gib"},
                                    true));
  p.gpu = top.string("gpu");
  if (p.gpu.empty()) fail(top.ptr("gpu"), "the catalog GPU name", "an empty string");
  p.model = read_model(top.object("model",
                                  {"name", "layers", "hidden", "heads", "kv_heads", "head_dim", "intermediate",
                                   "vocab", "bytes_per_param", "classifier", "num_labels"},
                                  true));
  p.tensor_parallel = static_cast<int>(top.integer("tensor_parallel", 1, 1024));
  p.harness = read_harness(top.object("harness", {"warmup", "repeats", "l2_flush_bytes", "statistic"}, true));
  const json& checks = top.array("checks", 0, kMaxItems, true);
  for (std::size_t i = 0; i < checks.size(); ++i) {
    p.checks.push_back(read_check(ConstObject(
        checks[i], child(top.ptr("checks"), i),
        {"kernel", "version", "shape", "max_rel_error", "tolerance", "all_written", "passed"})));
  }
  p.ceilings = read_ceilings(top.object(
      "ceilings",
      {"copy_gb_per_s", "gemm_tflops", "our_gemm_tflops", "our_gemm_to_cublas", "weight_stream_gb_per_s",
       "decode_attention_gb_per_s", "attention_tflops", "launch_floor_us"},
      true));
  p.iteration_overhead_ms = top.number("iteration_overhead_ms", non_negative(1e4));
  p.iteration_overhead_source = top.string("iteration_overhead_source");
  const json& timings = top.array("timings", 0, kMaxItems, true);
  for (std::size_t i = 0; i < timings.size(); ++i) {
    p.timings.push_back(read_timing(ConstObject(timings[i], child(top.ptr("timings"), i),
                                                {"operator", "version", "shape", "median_us", "repeats_us"})));
  }
  std::vector<std::string> op_names;
  for (Operator op : fitted_operators()) op_names.emplace_back(operator_name(op));
  const ConstObject fit = top.object("fit", op_names, true);
  for (Operator op : fitted_operators()) {
    const std::string name(operator_name(op));
    p.fits[op] = read_fit(fit.object(name, {"c0_s", "s_per_flop", "s_per_byte", "table"}, true));
  }
  const ConstObject held =
      top.object("held_out", {"median_rel_error", "p95_rel_error", "count", "by_operator"}, true);
  p.held_out = read_errors(held);
  const ConstObject by_op = held.object("by_operator", op_names, true);
  for (Operator op : fitted_operators()) {
    const std::string name(operator_name(op));
    if (by_op.has(name))
      p.held_out_by_operator[op] =
          read_errors(by_op.object(name, {"median_rel_error", "p95_rel_error", "count"}, true));
  }
  p.calibration_seconds = top.number("calibration_seconds", non_negative(1e7));
  return p;
}

// ---- writing ---------------------------------------------------------------

ordered_json errors_json(const ErrorSummary& e) {
  ordered_json j;
  j["median_rel_error"] = e.median_rel_error;
  j["p95_rel_error"] = e.p95_rel_error;
  j["count"] = e.count;
  return j;
}

}  // namespace

Profile parse_profile(const std::string& text, const std::string& source) {
  const input::OwnDocument own_document;  // a profile is not part of the scenario naming it
  json doc;
  try {
    doc = input::parse_strict(text);
  } catch (const input::FieldError& e) {
    throw ProfileError(source, e.pointer, e.expected, e.found);
  } catch (const json::parse_error& e) {
    const std::string what = text.find_first_not_of(" \t\r\n") == std::string::npos ? "an empty file" : input::syntax_error(e);
    throw ProfileError(source, "", "a JSON calibration profile", what);
  }
  try {
    return read_profile(doc);
  } catch (const input::FieldError& e) {
    throw ProfileError(source, e.pointer, e.expected, e.found);
  }
}

Profile load_profile(const std::string& path) {
  // A profile is named by a scenario: a regular file under a size limit (never a FIFO or /dev/zero).
  constexpr std::uintmax_t kMaxProfileBytes = 16u << 20;
  return parse_profile(input::read_file_or_throw<ProfileError>(path, kMaxProfileBytes), path);
}

std::string profile_to_json(const Profile& p) {
  ordered_json j;
  j["schema_version"] = p.schema_version;
  j["kind"] = kKind;
  j["created_utc"] = p.created_utc;
  j["capstan_version"] = p.capstan_version;
  j["device"] = {{"name", p.device.name},
                 {"compute_capability", p.device.compute_capability},
                 {"driver_version", p.device.driver_version},
                 {"runtime_version", p.device.runtime_version},
                 {"cublas_version", p.device.cublas_version},
                 {"sm_count", p.device.sm_count},
                 {"l2_bytes", p.device.l2_bytes},
                 {"memory_gib", p.device.memory_gib}};
  j["gpu"] = p.gpu;
  j["model"] = {{"name", p.model.name},           {"layers", p.model.layers},
                {"hidden", p.model.hidden},       {"heads", p.model.heads},
                {"kv_heads", p.model.kv_heads},   {"head_dim", p.model.head_dim},
                {"intermediate", p.model.intermediate}, {"vocab", p.model.vocab},
                {"bytes_per_param", p.model.bytes_per_param}, {"classifier", p.model.classifier},
                {"num_labels", p.model.num_labels}};
  j["tensor_parallel"] = p.tensor_parallel;
  j["harness"] = {{"warmup", p.harness.warmup},
                  {"repeats", p.harness.repeats},
                  {"l2_flush_bytes", p.harness.l2_flush_bytes},
                  {"statistic", p.harness.statistic}};
  j["checks"] = ordered_json::array();
  for (const KernelCheck& c : p.checks) {
    j["checks"].push_back({{"kernel", c.kernel},
                           {"version", c.version},
                           {"shape", c.shape},
                           {"max_rel_error", c.max_rel_error},
                           {"tolerance", c.tolerance},
                           {"all_written", c.all_written},
                           {"passed", c.passed}});
  }
  const Ceilings& c = p.ceilings;
  j["ceilings"] = {{"copy_gb_per_s", c.copy_gb_per_s},
                   {"gemm_tflops", c.gemm_tflops},
                   {"our_gemm_tflops", c.our_gemm_tflops},
                   {"our_gemm_to_cublas", c.our_gemm_to_cublas},
                   {"weight_stream_gb_per_s", c.weight_stream_gb_per_s},
                   {"decode_attention_gb_per_s", c.decode_attention_gb_per_s},
                   {"attention_tflops", c.attention_tflops},
                   {"launch_floor_us", c.launch_floor_us}};
  j["iteration_overhead_ms"] = p.iteration_overhead_ms;
  j["iteration_overhead_source"] = p.iteration_overhead_source;
  j["timings"] = ordered_json::array();
  for (const RawTiming& t : p.timings) {
    ordered_json e;
    e["operator"] = t.op;
    e["version"] = t.version;
    e["shape"] = ordered_json::object();
    for (const auto& [k, v] : t.shape) e["shape"][k] = v;
    e["median_us"] = t.median_us;
    if (!t.repeats_us.empty()) e["repeats_us"] = t.repeats_us;
    j["timings"].push_back(std::move(e));
  }
  j["fit"] = ordered_json::object();
  for (const auto& [op, f] : p.fits) {
    ordered_json e;
    e["c0_s"] = f.cost.c0_s;
    e["s_per_flop"] = f.cost.s_per_flop;
    e["s_per_byte"] = f.cost.s_per_byte;
    if (!f.table.empty()) e["table"] = {{"rows", f.table.x}, {"seconds", f.table.y}};
    j["fit"][std::string(operator_name(op))] = std::move(e);
  }
  ordered_json held = errors_json(p.held_out);
  held["by_operator"] = ordered_json::object();
  for (const auto& [op, e] : p.held_out_by_operator) held["by_operator"][std::string(operator_name(op))] = errors_json(e);
  j["held_out"] = std::move(held);
  j["calibration_seconds"] = p.calibration_seconds;
  return j.dump(1) + "\n";
}

void save_profile(const Profile& profile, const std::string& path) {
  const std::string text = profile_to_json(profile);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write calibration profile " + path);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write calibration profile " + path);
}

}  // namespace capstan::calibration
