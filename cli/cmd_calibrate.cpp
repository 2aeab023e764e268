// `capstan calibrate`: validate and time the CUDA microkernels for a model on
// the local GPU, fit the per-operator costs, write a calibration profile.
// Exit status: 0 done, 1 no usable GPU or a kernel/CUDA failure, 2 bad input.
#include <algorithm>
#include <chrono>
#include <cctype>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "capstan/version.h"
#include "cli/commands.h"
#include "models/calibration/calibrate.h"
#include "models/calibration/cuda/measure.h"
#include "models/calibration/gpu_probe.h"
#include "models/calibration/profile.h"
#include "models/catalog/catalog.h"

namespace capstan::cli {

namespace {

struct CalibrateOptions {
  std::string model;
  int tp = 1;
  std::string gpu;
  std::string output;
  int repeats = 25;
  int warmup = 3;
  bool quick = false;
  bool keep_repeats = false;
  bool checks_only = false;
  double overhead_ms = 0.0;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The catalog GPU a device name stands for: the catalog name whose every
// '-'-separated part appears in the device name, the most specific first
// ("NVIDIA A100-SXM4-80GB" -> "a100-80gb", "NVIDIA H100 80GB HBM3" -> "h100").
std::string catalog_gpu_for(const std::string& device_name, const catalog::Catalog& cat) {
  const std::string dev = lower(device_name);
  std::string best;
  std::size_t best_parts = 0;
  for (const std::string& name : cat.gpu_names()) {
    std::size_t parts = 0;
    bool all = true;
    std::stringstream ss(name);
    for (std::string part; std::getline(ss, part, '-');) {
      all = all && dev.find(part) != std::string::npos;
      ++parts;
    }
    if (all && parts > best_parts) best = name, best_parts = parts;
  }
  return best;
}

int run_calibrate(const CalibrateOptions& o) {
  using namespace calibration;
  const catalog::Catalog& cat = catalog::Catalog::builtin();
  const catalog::LlmSpec* llm = cat.llm(o.model);
  if (!llm) {
    std::string known;
    for (const auto& n : cat.llm_names()) known += (known.empty() ? "" : ", ") + n;
    std::cerr << "capstan calibrate: unknown model '" << o.model << "' (known: " << known << ")\n";
    return 2;
  }
  if (!o.checks_only && o.output.empty()) {
    std::cerr << "capstan calibrate: -o FILE is required (where to write the profile)\n";
    return 2;
  }
  if (!o.gpu.empty() && !cat.gpu(o.gpu)) {
    std::cerr << "capstan calibrate: unknown catalog GPU '" << o.gpu << "' for --gpu\n";
    return 2;
  }
  MeasureRequest req;
  try {
    GridOptions grid;
    grid.quick = o.quick;
    req = plan_calibration(*llm, o.tp, grid);
  } catch (const std::invalid_argument& e) {
    std::cerr << "capstan calibrate: " << e.what() << "\n";
    return 2;
  }
  const GpuProbe probe = probe_gpu();
  if (!probe.available) {
    std::cerr << "capstan calibrate: " << probe.message << "\n";
    return 1;
  }
  const std::string gpu = o.gpu.empty() ? catalog_gpu_for(probe.device_name, cat) : catalog::canonical_name(o.gpu);
  if (gpu.empty()) {
    std::cerr << "capstan calibrate: '" << probe.device_name
              << "' matches no catalog GPU; name the one it stands for with --gpu\n";
    return 2;
  }
  req.repeats = o.repeats;
  req.warmup = o.warmup;
  req.keep_repeats = o.keep_repeats;
  req.checks_only = o.checks_only;
  req.log = [](const std::string& line) { std::cerr << line << "\n"; };
  std::cerr << "capstan calibrate: " << llm->name << " tp=" << o.tp << " on " << probe.device_name << " (catalog '"
            << gpu << "'), " << req.shapes.size() << " shapes\n";

  const auto t0 = std::chrono::steady_clock::now();
  MeasureResult measured;
  try {
    measured = measure(req);
  } catch (const NoGpuError& e) {
    std::cerr << "capstan calibrate: " << e.what() << "\n";
    return 1;
  } catch (const MeasureError& e) {
    std::cerr << "capstan calibrate: " << e.what() << "\n";
    return 1;
  } catch (const std::invalid_argument& e) {
    std::cerr << "capstan calibrate: " << e.what() << "\n";
    return 2;
  }
  if (o.checks_only) {
    std::size_t failed = 0;
    for (const auto& c : measured.checks) failed += c.passed ? 0 : 1;
    std::cout << measured.checks.size() - failed << " of " << measured.checks.size() << " kernel checks passed\n";
    return failed == 0 ? 0 : 1;
  }
  ProfileMeta meta;
  meta.gpu = gpu;
  meta.capstan_version = kVersion;
  meta.iteration_overhead_ms = o.overhead_ms;
  Profile p = build_profile(*llm, o.tp, measured, meta);
  p.calibration_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  save_profile(p, o.output);

  const Ceilings& c = p.ceilings;
  std::cout << std::fixed << std::setprecision(1);
  std::cout << "profile       " << o.output << "\n"
            << "device        " << p.device.name << " (sm_" << p.device.compute_capability << ", driver "
            << p.device.driver_version << ", runtime " << p.device.runtime_version << ")\n"
            << "copy          " << c.copy_gb_per_s << " GB/s\n"
            << "GEMM 8192^3   " << c.gemm_tflops << " TFLOP/s cuBLAS, " << c.our_gemm_tflops << " ours\n"
            << std::setprecision(2) << "ours/cuBLAS   " << c.our_gemm_to_cublas << " at the model's GEMMs, 4096 rows\n"
            << std::setprecision(1) << "weights       " << c.weight_stream_gb_per_s << " GB/s streamed at one row\n"
            << "decode attn   " << c.decode_attention_gb_per_s << " GB/s (" << std::setprecision(0)
            << (c.copy_gb_per_s > 0 ? 100.0 * c.decode_attention_gb_per_s / c.copy_gb_per_s : 0.0)
            << "% of copy)\n"
            << std::setprecision(1) << "prefill attn  " << c.attention_tflops << " TFLOP/s\n"
            << "launch floor  " << c.launch_floor_us << " us\n"
            << "held-out      median " << 100.0 * p.held_out.median_rel_error << "%, p95 "
            << 100.0 * p.held_out.p95_rel_error << "% over " << p.held_out.count << " shapes\n"
            << "calibration   " << p.calibration_seconds << " s\n";
  return 0;
}

}  // namespace

void add_calibrate(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<CalibrateOptions>();
  auto* cmd = app.add_subcommand("calibrate", "Time the CUDA microkernels for a model on this GPU and write a profile");
  cmd->add_option("--model", opts->model, "LLM catalog name, e.g. llama-3-8b")->required();
  cmd->add_option("--tp", opts->tp, "Tensor parallelism the profile is for (kernels run at 1/tp of the model)")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--gpu,--gpu-name-override", opts->gpu,
                  "Catalog GPU the profile stands for (default: matched from the device name)");
  cmd->add_option("-o,--output", opts->output, "Where to write the profile (JSON)");
  cmd->add_option("--repeats", opts->repeats, "Timed repeats per shape (median kept)")->check(CLI::Range(20, 1000));
  cmd->add_option("--warmup", opts->warmup, "Untimed launches before each shape")->check(CLI::Range(1, 100));
  cmd->add_option("--iteration-overhead-ms", opts->overhead_ms,
                  "Per-iteration host overhead to record (default: the GPU's catalog framework iteration_ms)")
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_flag("--quick", opts->quick, "A coarse grid, for smoke tests");
  cmd->add_flag("--keep-repeats", opts->keep_repeats, "Store every repeat, not only the median");
  cmd->add_flag("--checks-only", opts->checks_only, "Validate the kernels against their CPU references; time nothing");
  cmd->callback([opts, &exit_code] { exit_code = run_calibrate(*opts); });
}

}  // namespace capstan::cli
