#pragma once
// The boundary between capstan and its CUDA microkernels: what to time, and
// what came back. Plain C++17 values, no CUDA types, so the models library,
// the CLI and the tests include it whether or not CUDA was built.
//
// measure() (measure.cu with CUDA, measure_none.cpp without) validates every
// kernel version against its CPU reference (reference.h) on fresh random
// inputs, measures the bandwidth and FLOP/s ceilings, then times each
// requested shape: warm-up launches, then >= 20 repeats, each after flushing
// L2 with a buffer larger than L2, timed with CUDA events; the median is kept.
//
// Operators and their shape keys (the same names as operators.h):
//   qkv_gemm, o_gemm, gate_up_gemm, down_gemm, lm_head_gemm   m, n, k  (y[m][n] = x[m][k] W[n][k]^T)
//   decode_attention      batch, context   (context tokens per sequence)
//   prefill_attention     chunk, prefix    (one sequence)
//   add_rmsnorm, rope, silu_gate, kv_append   tokens
//   copy                  bytes            (device-to-device, read + write counted once each)
//
// Thread-safety: measure() uses device 0 and must not run concurrently.
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace capstan::calibration {

using Shape = std::map<std::string, std::int64_t>;

struct DeviceInfo {
  std::string name;           // as the driver reports it, e.g. "NVIDIA H100 80GB HBM3"
  int compute_capability = 0; // 90 for sm_90
  int driver_version = 0;     // CUDA driver API version, e.g. 13000
  int runtime_version = 0;    // CUDA runtime capstan was built with
  int cublas_version = 0;
  int sm_count = 0;
  std::int64_t l2_bytes = 0;
  double memory_gib = 0.0;
};

struct HarnessInfo {
  int warmup = 3;
  int repeats = 25;
  std::int64_t l2_flush_bytes = 0;
  std::string statistic = "median";
};

// One kernel version checked against its CPU reference.
struct KernelCheck {
  std::string kernel;   // e.g. "decode_attention"
  std::string version;  // e.g. "v2_split_kv"
  std::string shape;    // human-readable, e.g. "batch=3 context=1000"
  double max_rel_error = 0.0;  // max |gpu - ref| / (|ref| + rms(ref))
  double tolerance = 0.0;
  bool all_written = false;    // no NaN sentinel left in the output
  bool passed = false;
};

// The two ceilings and the kernels' standing against them.
struct Ceilings {
  double copy_gb_per_s = 0.0;              // best of cudaMemcpy and a copy kernel, 1 GiB
  double gemm_tflops = 0.0;                // cuBLAS, bf16 8192^3
  double our_gemm_tflops = 0.0;            // our tensor-core GEMM, same shape
  double our_gemm_to_cublas = 0.0;         // median ratio over the model's GEMM shapes at 4096 rows
  double weight_stream_gb_per_s = 0.0;     // cuBLAS at one row: weight bytes / time, largest GEMM
  double decode_attention_gb_per_s = 0.0;  // KV bytes / time at batch 64, context 4096
  double attention_tflops = 0.0;           // prefill attention, chunk 4096 after prefix 4096
  double launch_floor_us = 0.0;            // the fastest element-wise kernel at 1 token
};

struct RawTiming {
  std::string op;
  std::string version;  // which kernel version was timed
  Shape shape;
  double median_us = 0.0;
  std::vector<double> repeats_us;  // empty unless asked for
};

// The model's dimensions on one GPU (after tensor parallelism).
struct KernelDims {
  int hidden = 0;
  int heads = 0;
  int kv_heads = 0;
  int head_dim = 0;
  int intermediate = 0;  // per GPU
  float rms_eps = 1e-5f;
  float rope_theta = 500000.0f;  // Llama-3's; any value times the same
};

struct ShapeToTime {
  std::string op;
  Shape shape;
};

struct MeasureRequest {
  KernelDims dims;
  std::vector<ShapeToTime> shapes;  // GEMM shapes for the GEMM ratio come from here too
  int warmup = 3;
  int repeats = 25;                 // at least 20
  bool keep_repeats = false;
  bool checks_only = false;         // validate the kernels, time nothing
  std::function<void(const std::string&)> log;  // progress lines; may be empty
};

struct MeasureResult {
  DeviceInfo device;
  HarnessInfo harness;
  std::vector<KernelCheck> checks;
  Ceilings ceilings;
  std::vector<RawTiming> timings;
  double seconds = 0.0;  // wall time of measure()
};

// No usable GPU (or a build without CUDA): the message says which.
class NoGpuError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A kernel failed validation or a CUDA call failed: the message names it.
class MeasureError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws NoGpuError, MeasureError, or std::invalid_argument for a request
// the kernels cannot run (e.g. head_dim other than 64 or 128).
MeasureResult measure(const MeasureRequest& request);

}  // namespace capstan::calibration
