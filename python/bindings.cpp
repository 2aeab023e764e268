// capstan._core: a thin module over the facade in models/api/api.h. Only
// strings, numbers and lists cross it; reports travel as JSON text and the
// pure-Python package (python/capstan/) turns them into dicts and DataFrames.
//
// The GIL is released while a scenario is validated or simulated, so Python
// threads (and Dask workers with several threads) run alongside.
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "capstan/version.h"
#include "models/api/api.h"
#include "models/api/sweep.h"
#include "models/calibration/gpu_probe.h"
#include "models/calibration/roofline.h"
#include "models/catalog/catalog.h"
#include "models/input/json_reader.h"
#include "models/input_error.h"
#include "models/api/load_scenario.h"
#include "models/plan/plan.h"
#include "models/regress/regress.h"
#include "models/scenario/load.h"

namespace py = pybind11;

namespace {

// capstan._core.ScenarioError; created once at import and never freed, so no
// destructor runs after the interpreter has gone.
PyObject* g_scenario_error = nullptr;

capstan::api::RunRequest make_request(const std::optional<std::string>& path, const std::optional<std::string>& text,
                                      const std::string& source, std::vector<std::string> overrides) {
  if (path.has_value() == text.has_value()) {
    throw py::value_error("give exactly one of path= (a scenario file) or text= (scenario JSON)");
  }
  capstan::api::RunRequest request;
  if (path) {
    if (path->empty()) throw py::value_error("path= is empty");
    request.scenario_path = *path;
  } else {
    request.scenario_text = *text;
  }
  request.source_name = source;
  request.overrides = std::move(overrides);
  return request;
}

void translate_scenario_error(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const capstan::InputError& e) {  // a scenario, a trace, a profile or a baseline
    py::object error = py::reinterpret_borrow<py::object>(g_scenario_error)(e.what());
    error.attr("file") = e.file();
    error.attr("pointer") = e.pointer();
    error.attr("expected") = e.expected();
    error.attr("found") = e.found();
    // Every error of the file found in one pass, the first included.
    py::list errors;
    errors.append(py::dict(py::arg("pointer") = e.pointer(), py::arg("expected") = e.expected(),
                           py::arg("found") = e.found()));
    for (const capstan::Issue& i : e.more()) {
      errors.append(py::dict(py::arg("pointer") = i.pointer, py::arg("expected") = i.expected,
                             py::arg("found") = i.found));
    }
    error.attr("errors") = errors;
    PyErr_SetObject(g_scenario_error, error.ptr());
  }
}

std::string validate(const std::optional<std::string>& path, const std::optional<std::string>& text,
                     const std::string& source, std::vector<std::string> overrides) {
  const auto request = make_request(path, text, source, std::move(overrides));
  py::gil_scoped_release release;
  return capstan::api::validate(request);
}

// The Kubernetes manifests of a scenario's fleet as it is written (a plan.json is one).
py::dict manifests(const std::optional<std::string>& path, const std::optional<std::string>& text,
                   const std::string& source, std::vector<std::string> overrides, const std::string& cloud) {
  const auto request = make_request(path, text, source, std::move(overrides));
  std::vector<std::pair<std::string, std::string>> files;
  {
    py::gil_scoped_release release;
    files = capstan::plan::kubernetes_manifests(capstan::api::load_scenario(request), {cloud});
  }
  py::dict out;
  for (const auto& [name, yaml] : files) out[py::str(name)] = yaml;
  return out;
}

// A run's request: make_request's, with the seed and replications that replace the scenario's.
capstan::api::RunRequest make_run_request(const std::optional<std::string>& path, const std::optional<std::string>& text,
                                          const std::string& source, std::vector<std::string> overrides,
                                          std::optional<std::uint64_t> seed, std::optional<int> replications,
                                          bool log_requests) {
  if (replications && *replications < 1) throw py::value_error("replications must be at least 1");
  auto request = make_request(path, text, source, std::move(overrides));
  request.seed = seed;
  request.replications = replications;
  request.log_requests = log_requests;
  return request;
}

py::tuple run(const std::optional<std::string>& path, const std::optional<std::string>& text, const std::string& source,
              std::vector<std::string> overrides, std::optional<std::uint64_t> seed, std::optional<int> replications,
              int threads, const std::optional<py::function>& progress, std::optional<double> max_memory,
              bool log_requests) {
  if (threads < 0) throw py::value_error("threads must be 0 (all cores) or more");
  if (max_memory && !(*max_memory >= 1024.0 * 1024.0)) throw py::value_error("max_memory must be at least 1 MiB (in bytes)");
  auto request = make_run_request(path, text, source, std::move(overrides), seed, replications, log_requests);
  request.threads = threads;
  request.max_memory_bytes = max_memory;

  // The callback runs on a simulation thread: it takes the GIL, and an
  // exception it raises is kept and re-raised once the run is over (the
  // facade's threads must never unwind through Python).
  std::exception_ptr progress_error;
  std::mutex progress_mutex;
  if (progress) {
    const py::function& callback = *progress;  // owned by the caller's frame, outlives the run
    request.progress = [&callback, &progress_error, &progress_mutex](int done, int total) {
      std::lock_guard<std::mutex> lock(progress_mutex);
      if (progress_error) return;
      py::gil_scoped_acquire acquire;
      try {
        callback(done, total);
      } catch (...) {
        progress_error = std::current_exception();
      }
    };
  }

  capstan::api::RunOutput output;
  {
    py::gil_scoped_release release;
    output = capstan::api::run(request);
  }
  request.progress = nullptr;
  if (progress_error) std::rethrow_exception(progress_error);
  return py::make_tuple(py::str(output.report_json), py::str(output.timeseries_csv), py::str(output.summary),
                        py::str(output.requests_csv));
}

py::bytes run_replication(const std::optional<std::string>& path, const std::optional<std::string>& text,
                          const std::string& source, std::vector<std::string> overrides,
                          std::optional<std::uint64_t> seed, std::optional<int> replications, int replication,
                          bool log_requests) {
  const auto request = make_run_request(path, text, source, std::move(overrides), seed, replications, log_requests);
  std::string bytes;
  {
    py::gil_scoped_release release;
    bytes = capstan::api::run_replication(request, replication);
  }
  return py::bytes(bytes);
}

py::tuple merge_replications(const std::optional<std::string>& path, const std::optional<std::string>& text,
                             const std::string& source, std::vector<std::string> overrides,
                             std::optional<std::uint64_t> seed, std::optional<int> replications,
                             const std::vector<py::bytes>& parts, bool log_requests) {
  const auto request = make_run_request(path, text, source, std::move(overrides), seed, replications, log_requests);
  std::vector<std::string> blobs;
  blobs.reserve(parts.size());
  for (const auto& part : parts) blobs.emplace_back(part);
  capstan::api::RunOutput output;
  {
    py::gil_scoped_release release;
    output = capstan::api::merge_replications(request, blobs);
  }
  return py::make_tuple(py::str(output.report_json), py::str(output.timeseries_csv), py::str(output.summary),
                        py::str(output.requests_csv));
}

py::dict gpu_probe() {
  capstan::calibration::GpuProbe probe;
  {
    py::gil_scoped_release release;
    probe = capstan::calibration::probe_gpu();
  }
  py::dict d;
  d["available"] = probe.available;
  d["message"] = probe.message;
  d["device_name"] = probe.device_name;
  d["compute_capability"] = probe.compute_capability;
  d["driver_version"] = probe.driver_version;
  d["runtime_version"] = probe.runtime_version;
  d["memory_gib"] = probe.memory_gib;
  return d;
}

// The regression check: comparisons as JSON text, or with update the
// baselines rewritten and a list of what each now holds.
std::string regress(std::vector<std::string> baselines, std::vector<std::string> overrides,
                    std::optional<std::uint64_t> seed, std::optional<double> level, int threads, bool update) {
  py::gil_scoped_release release;
  namespace rg = capstan::regress;
  if (baselines.empty()) baselines = rg::find_baselines("scenarios");
  if (baselines.empty()) {
    py::gil_scoped_acquire acquire;
    throw py::value_error("no baselines: name baseline files, or run where scenarios/ holds *.baseline.json");
  }
  rg::Options options;
  options.overrides = std::move(overrides);
  options.seed = seed;
  options.level = level;
  options.threads = threads;
  std::vector<rg::Baseline> read;
  for (const auto& path : baselines) read.push_back(rg::read_baseline(path));
  if (update) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& b : read) {
      const rg::Baseline made = rg::update(b, options);
      rg::write_baseline(made);
      out.push_back({{"baseline", made.path}, {"figures", made.figures.size()}, {"seed", *made.seed},
                     {"replications", *made.replications}});
    }
    return out.dump();
  }
  std::vector<rg::Comparison> results;
  for (const auto& b : read) results.push_back(rg::compare(b, options));
  return rg::to_json(results).dump();
}

// capstan plan: the search in C++, each candidate run here or by `runner`
// (a Python callable taking a list of override lists and returning their
// report.json texts, e.g. on a Dask cluster).
py::dict plan(const std::optional<std::string>& path, const std::optional<std::string>& text, const std::string& source,
              std::vector<std::string> overrides, const std::optional<std::string>& space_text,
              std::optional<std::uint64_t> seed, std::optional<int> replications, std::optional<double> attainment,
              int threads, bool manifests, const std::string& cloud, py::object runner, py::object progress) {
  namespace pl = capstan::plan;
  capstan::api::RunRequest base = make_request(path, text, source, std::move(overrides));
  base.threads = threads;
  pl::Result result;
  pl::Written written;
  {
    py::gil_scoped_release release;
    const auto scenario = capstan::api::load_scenario(base);
    base.replications = replications.value_or(std::max(3, scenario.simulation.replications));
    base.seed = seed.value_or(scenario.simulation.seed);
    pl::Space space = space_text ? pl::parse_space(*space_text, "<space>", base) : pl::default_space(base);
    if (attainment) space.attainment = attainment;
    pl::ScenarioEvaluator::Runner run_batch;
    if (!runner.is_none()) {
      run_batch = [&runner](const std::vector<std::vector<std::string>>& batch) {
        py::gil_scoped_acquire acquire;
        return runner(batch).cast<std::vector<std::string>>();
      };
    }
    pl::ScenarioEvaluator evaluator(base, space, run_batch);
    std::function<void(int)> on_simulation;
    if (!progress.is_none()) {
      on_simulation = [&progress](int simulations) {
        py::gil_scoped_acquire acquire;
        progress(simulations, py::none());
      };
    }
    result = pl::search(space, evaluator, on_simulation);
    written = pl::render(result, evaluator, base, manifests, {cloud});
  }
  py::dict d;
  d["feasible"] = result.feasible;
  d["message"] = result.message;
  d["simulations"] = result.simulations;
  d["summary"] = written.summary;
  d["frontier_csv"] = written.frontier_csv;
  d["plan_json"] = written.plan_json;
  py::dict files;
  for (const auto& [name, yaml] : written.manifests) files[py::str(name)] = yaml;
  d["manifests"] = files;
  d["seed"] = *base.seed;
  d["replications"] = *base.replications;
  return d;
}

std::string sweep_figures(const std::string& report_json) {
  nlohmann::json out = nlohmann::json::array();
  for (auto& [column, value] : capstan::api::sweep_figures(nlohmann::json::parse(report_json))) {
    out.push_back({column, value});
  }
  return out.dump();
}

namespace cal = capstan::calibration;

// The roofline of a catalog GPU and model, the catalog optionally overridden
// as a scenario's "catalog" section would (JSON text).
cal::RooflineModel make_roofline(const std::string& gpu, const std::string& model, int tensor_parallel,
                                 const std::string& catalog_json, double iteration_overhead_ms,
                                 const std::string& engine, bool enforce_eager) {
  capstan::catalog::Catalog c = capstan::catalog::Catalog::builtin();
  if (!catalog_json.empty()) {
    try {
      c = c.with_overrides(capstan::input::parse_strict(catalog_json), "/catalog");
    } catch (const capstan::input::FieldError& e) {
      throw py::value_error(std::string("catalog: ") + e.what());
    } catch (const nlohmann::json::exception& e) {
      throw py::value_error(std::string("catalog: ") + e.what());
    }
  }
  const auto* g = c.gpu(gpu);
  const auto* l = c.llm(model);
  if (g == nullptr) throw py::value_error("unknown GPU '" + gpu + "'");
  if (l == nullptr) throw py::value_error("unknown model '" + model + "'");
  const auto* e = c.engine(engine.empty() ? c.default_engine() : engine);
  if (e == nullptr) throw py::value_error("unknown engine '" + engine + "'");
  capstan::catalog::EngineSpec spec = *e;
  if (enforce_eager) spec.cuda_graph_max_tokens = 0;
  return cal::RooflineModel(*l, *g, spec, tensor_parallel, iteration_overhead_ms);
}

std::vector<cal::PrefillChunk> chunks_of(const std::vector<std::pair<std::int64_t, std::int64_t>>& prefills) {
  std::vector<cal::PrefillChunk> out;
  for (const auto& [chunk, prefix] : prefills) out.push_back({chunk, prefix});
  return out;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() =
      "capstan's compiled core: validate and run scenarios through the C++ facade.\n\n"
      "Use the `capstan` package (load, run, sweep) rather than this module directly.";

  m.attr("version") = capstan::kVersion;
  m.attr("built_with_cuda") = capstan::kBuiltWithCuda;

  g_scenario_error = PyErr_NewExceptionWithDoc(
      "capstan._core.ScenarioError",
      "A scenario is invalid. str(error) is the same pointed message the CLI prints; the attributes\n"
      "`file`, `pointer` (JSON pointer of the offending field, '' when the whole file is at fault),\n"
      "`expected` and `found` hold its parts.",
      PyExc_ValueError, nullptr);
  if (g_scenario_error == nullptr) throw py::error_already_set();
  m.attr("ScenarioError") = py::handle(g_scenario_error);
  py::register_exception_translator(&translate_scenario_error);

  m.def("validate", &validate, py::arg("path") = py::none(), py::arg("text") = py::none(),
        py::arg("source") = "<scenario>", py::arg("overrides") = std::vector<std::string>{},
        "validate(path=None, text=None, source='<scenario>', overrides=[]) -> str\n\n"
        "Read a scenario from the file `path` or the JSON string `text` (named `source` in errors),\n"
        "apply `overrides` ('key.path=value' strings, as the CLI's --set takes them) and validate it.\n"
        "Returns the scenario after overrides as canonical JSON text. Raises ScenarioError when the\n"
        "scenario is invalid, ValueError when neither or both of path and text are given.");

  m.def("run_replication", &run_replication, py::arg("path") = py::none(), py::arg("text") = py::none(),
        py::arg("source") = "<scenario>", py::arg("overrides") = std::vector<std::string>{},
        py::arg("seed") = py::none(), py::arg("replications") = py::none(), py::arg("replication") = 0,
        py::arg("log_requests") = false,
        "run_replication(path=None, text=None, source='<scenario>', overrides=[], seed=None, replications=None,\n"
        "                replication=0, log_requests=False) -> bytes\n\n"
        "Simulate replication `replication` (0-based) of the run run() would make, on one thread, and return\n"
        "its results as bytes for merge_replications(): a Dask task of a distributed run.");
  m.def("merge_replications", &merge_replications, py::arg("path") = py::none(), py::arg("text") = py::none(),
        py::arg("source") = "<scenario>", py::arg("overrides") = std::vector<std::string>{},
        py::arg("seed") = py::none(), py::arg("replications") = py::none(), py::arg("parts") = std::vector<py::bytes>{},
        py::arg("log_requests") = false,
        "merge_replications(path=None, text=None, source='<scenario>', overrides=[], seed=None,\n"
        "                   replications=None, parts=[], log_requests=False)\n"
        "    -> (report_json, timeseries_csv, summary, requests_csv)\n\n"
        "run()'s output from every replication's bytes (run_replication()'s, in replication order), bit for\n"
        "bit what run() returns. Raises RuntimeError on bytes of another run.");
  m.def("run", &run, py::arg("path") = py::none(), py::arg("text") = py::none(), py::arg("source") = "<scenario>",
        py::arg("overrides") = std::vector<std::string>{}, py::arg("seed") = py::none(),
        py::arg("replications") = py::none(), py::arg("threads") = 0, py::arg("progress") = py::none(),
        py::arg("max_memory") = py::none(), py::arg("log_requests") = false,
        "run(path=None, text=None, source='<scenario>', overrides=[], seed=None, replications=None,\n"
        "    threads=0, progress=None, max_memory=None, log_requests=False)\n"
        "    -> (report_json, timeseries_csv, summary, requests_csv)\n\n"
        "Validate and simulate a scenario given as in validate(). `seed` and `replications` replace\n"
        "the scenario's own when given; `threads` is the number of replication threads (0: all cores;\n"
        "results do not depend on it). `progress(done, total)` is called after each replication.\n"
        "A run whose estimated peak memory is over `max_memory` bytes (default: half the machine's)\n"
        "is refused with ScenarioError.\n"
        "Returns report.json and timeseries.csv as text, the CLI's summary table, and with\n"
        "`log_requests` one CSV row per request sent after the warm-up (as the CLI's --requests-csv;\n"
        "empty otherwise). The GIL is\n"
        "released while the simulation runs. Raises ScenarioError for an invalid scenario and\n"
        "RuntimeError for any other failure.");

  m.def("regress", &regress, py::arg("baselines") = std::vector<std::string>{},
        py::arg("overrides") = std::vector<std::string>{}, py::arg("seed") = py::none(), py::arg("level") = py::none(),
        py::arg("threads") = 0, py::arg("update") = false,
        "regress(baselines=[], overrides=[], seed=None, level=None, threads=0, update=False) -> str\n\n"
        "capstan regress: re-run each baseline's scenario and compare (JSON text, as --format json),\n"
        "or with update=True rewrite the baselines. No baselines: every *.baseline.json under\n"
        "scenarios/. Raises ScenarioError on bad input (a baseline, its scenario, an override).");

  m.def("plan", &plan, py::arg("path") = py::none(), py::arg("text") = py::none(), py::arg("source") = "<scenario>",
        py::arg("overrides") = std::vector<std::string>{}, py::arg("space") = py::none(), py::arg("seed") = py::none(),
        py::arg("replications") = py::none(), py::arg("attainment") = py::none(), py::arg("threads") = 0,
        py::arg("manifests") = false, py::arg("cloud") = "", py::arg("runner") = py::none(),
        py::arg("progress") = py::none(),
        "plan(path=None, text=None, source='<scenario>', overrides=[], space=None, seed=None, replications=None,\n"
        "     attainment=None, threads=0, manifests=False, cloud='', runner=None, progress=None) -> dict\n\n"
        "capstan plan (docs/plan.md): `space` is the space file's JSON text. `runner(list of override lists)`\n"
        "returns each candidate's report.json text; without it candidates run here. `progress(n, None)`\n"
        "is called after each candidate fleet simulated (n so far; the search does not know its total).\n"
        "Returns feasible,\n"
        "message, simulations, summary, frontier_csv, plan_json ('' without a plan), manifests\n"
        "({file: yaml} when asked; for `cloud`, 'aws', 'gcp', 'azure' or 'generic', instead of each\n"
        "site's own), seed and replications.");

  m.def("manifests", &manifests, py::arg("path") = py::none(), py::arg("text") = py::none(),
        py::arg("source") = "<scenario>", py::arg("overrides") = std::vector<std::string>{}, py::arg("cloud") = "",
        "manifests(path=None, text=None, source='<scenario>', overrides=[], cloud='') -> dict\n\n"
        "The Kubernetes manifests (docs/clouds.md) of a scenario's fleet as written, {file: yaml}: what\n"
        "capstan plan --k8s writes for its plan.json. `cloud` ('aws', 'gcp', 'azure' or 'generic') writes\n"
        "them for that cloud instead of each site's own. Raises ScenarioError on a bad scenario or cloud.");

  m.def("sweep_figures", &sweep_figures, py::arg("report_json"),
        "sweep_figures(report_json) -> str\n\n"
        "The figures a sweep keeps from one report.json, as JSON text of [[column, value], ...] in\n"
        "column order: the columns of capstan sweep's sweep.csv and of capstan.sweep().");

  py::class_<cal::RooflineModel>(m, "Roofline",
                                 "The roofline service-time model of one catalog GPU and model\n"
                                 "(models/calibration/roofline.h; docs/accuracy.md). Times in seconds.")
      .def(py::init(&make_roofline), py::arg("gpu"), py::arg("model"), py::arg("tensor_parallel") = 1,
           py::arg("catalog") = "", py::arg("iteration_overhead_ms") = 0.0, py::arg("engine") = "",
           py::arg("enforce_eager") = false,
           "Roofline(gpu, model, tensor_parallel=1, catalog='', iteration_overhead_ms=0, engine='',\n"
           "         enforce_eager=False)\n\n"
           "`catalog` is a scenario's catalog section as JSON text (overrides and additions);\n"
           "`engine` a catalog engine ('vllm', 'sglang', 'tensorrt-llm'; empty: the catalog's default),\n"
           "run without CUDA graphs when `enforce_eager`.")
      .def(
          "iteration",
          [](const cal::RooflineModel& r, std::int64_t decode_seqs, std::int64_t decode_context_tokens,
             const std::vector<std::pair<std::int64_t, std::int64_t>>& prefills) {
            const auto chunks = chunks_of(prefills);
            return r.iteration(decode_seqs, chunks).seconds(decode_context_tokens);
          },
          py::arg("decode_seqs") = 0, py::arg("decode_context_tokens") = 0,
          py::arg("prefills") = std::vector<std::pair<std::int64_t, std::int64_t>>{},
          "One iteration: `decode_seqs` sequences attending over `decode_context_tokens` in all,\n"
          "plus prefill chunks given as (chunk_tokens, prefix_tokens) pairs.")
      .def(
          "breakdown",
          [](const cal::RooflineModel& r, std::int64_t decode_seqs, std::int64_t decode_context_tokens,
             const std::vector<std::pair<std::int64_t, std::int64_t>>& prefills) {
            const auto chunks = chunks_of(prefills);
            py::dict out;
            const auto parts = r.breakdown(decode_seqs, chunks);
            for (int i = 0; i < cal::kOperatorCount; ++i) {
              out[py::str(std::string(cal::operator_name(static_cast<cal::Operator>(i))))] =
                  parts[static_cast<std::size_t>(i)].seconds(decode_context_tokens);
            }
            double gpu = 0.0;
            for (const auto& p : parts) gpu += p.seconds(decode_context_tokens);
            out["host"] = r.iteration(decode_seqs, chunks).seconds(decode_context_tokens) - gpu;
            return out;
          },
          py::arg("decode_seqs") = 0, py::arg("decode_context_tokens") = 0,
          py::arg("prefills") = std::vector<std::pair<std::int64_t, std::int64_t>>{},
          "iteration() by operator (summed over layers) plus 'host': the engine's host time\n"
          "(launches and scheduling) that the GPU's work does not hide.")
      .def(
          "gemm_seconds",
          [](const cal::RooflineModel& r, const std::string& op, double rows) {
            return r.gemm_seconds(cal::operator_from_name(op), rows);
          },
          py::arg("operator"), py::arg("rows"), "One launch of a GEMM ('qkv_gemm', ...) of `rows` rows.")
      .def("elementwise_seconds", &cal::RooflineModel::elementwise_seconds, py::arg("bytes"),
           "One element-wise launch moving `bytes`.")
      .def(
          "expert_gemm_seconds",
          [](const cal::RooflineModel& r, const std::string& op, double tokens) {
            return r.expert_gemm_seconds(cal::operator_from_name(op), tokens);
          },
          py::arg("operator"), py::arg("tokens"),
          "One grouped launch of a mixture of experts' 'expert_gate_up_gemm' or 'expert_down_gemm' over a batch of "
          "`tokens`.")
      .def("all_reduce_seconds", &cal::RooflineModel::all_reduce_seconds, py::arg("wire_bytes"),
           "One all-reduce over the tensor-parallel GPUs, `wire_bytes` the ring bytes (2 (tp-1)/tp of the message).")
      .def(
          "prefill_attention_seconds",
          [](const cal::RooflineModel& r, const std::vector<std::pair<std::int64_t, std::int64_t>>& prefills) {
            return r.prefill_attention_seconds(chunks_of(prefills));
          },
          py::arg("prefills"), "One prefill-attention launch over (chunk_tokens, prefix_tokens) chunks.")
      .def(
          "decode_attention_seconds",
          [](const cal::RooflineModel& r, double seqs, double context_tokens) {
            const cal::IterationCost c = r.decode_attention_cost(seqs);
            return c.fixed_s + c.per_context_token_s * context_tokens;
          },
          py::arg("seqs"), py::arg("context_tokens"),
          "One decode-attention launch over `seqs` sequences with `context_tokens` cached in all.")
      .def("overhead_seconds", &cal::RooflineModel::overhead_seconds, py::arg("sequences"),
           "The engine's scheduling time per iteration for a batch of this many sequences.")
      .def(
          "launches",
          [](const cal::RooflineModel& r, std::int64_t decode_seqs,
             const std::vector<std::pair<std::int64_t, std::int64_t>>& prefills) {
            return r.launches(decode_seqs, chunks_of(prefills));
          },
          py::arg("decode_seqs") = 0, py::arg("prefills") = std::vector<std::pair<std::int64_t, std::int64_t>>{},
          "Kernel launches of one iteration under the engine's fusions.")
      .def_property_readonly("attention_kernel", &cal::RooflineModel::attention_kernel,
                             "The prefill attention kernel the engine runs on this GPU: 'fa2' or 'fa3'.")
      .def_property_readonly("provenance", &cal::RooflineModel::provenance);

  m.def("gpu_probe", &gpu_probe,
        "gpu_probe() -> dict\n\n"
        "Is there a CUDA GPU capstan could calibrate on? Returns {available, message, device_name,\n"
        "compute_capability, driver_version, runtime_version, memory_gib}; never raises.");
}
