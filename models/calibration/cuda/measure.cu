// measure(): validate every kernel version, measure the ceilings, time the
// requested shapes (measure.h says what and how).
//
// Build: part of capstan_cuda; alone:
//   nvcc -std=c++17 -O3 -arch=sm_90 -I. -c models/calibration/cuda/measure.cu
// Written against CUDA 13.0 (runtime, cuBLAS, cuBLASLt).
//
// Order of work, as in llm.c's dev/cuda mains: every version of every kernel
// is checked against its CPU reference first, on fresh random inputs (a new
// seed each run, logged); only versions that passed are ever timed. Then the
// two ceilings (copy bandwidth, large-GEMM FLOP/s) and each kernel's
// standing against them, then the grid, operator by operator, each with its
// buffers sized for its largest shape and freed after.
#include <chrono>
#include <map>
#include <numeric>
#include <sstream>

#include "models/calibration/cuda/harness.cuh"
#include "models/calibration/cuda/kernels.cuh"
#include "models/calibration/cuda/measure.h"
#include "models/calibration/cuda/reference.h"
#include "models/calibration/cuda/gpu_module.h"

namespace capstan::calibration {

namespace cuda {

Timer::Timer(int warmup, int repeats, std::int64_t l2_bytes) : warmup_(warmup), repeats_(repeats) {
  if (repeats < 20) throw std::invalid_argument("the harness needs at least 20 repeats");
  if (warmup < 1) throw std::invalid_argument("the harness needs at least 1 warm-up launch");
  // Twice L2, and never under 32 MiB, so each repeat starts from HBM.
  flush_.resize(static_cast<std::size_t>(std::max<std::int64_t>(2 * l2_bytes, 32ll << 20)));
  cudaCheck(cudaEventCreate(&start_));
  cudaCheck(cudaEventCreate(&stop_));
}

Timer::~Timer() {
  if (start_) cudaEventDestroy(start_);
  if (stop_) cudaEventDestroy(stop_);
}

}  // namespace cuda

namespace {

using cuda::bf16;
using cuda::DeviceBuffer;

std::int64_t dim(const Shape& s, const char* key) {
  auto it = s.find(key);
  if (it == s.end() || it->second < 0) throw std::invalid_argument(std::string("shape lacks a valid '") + key + "'");
  return it->second;
}

bool gemm_op(const std::string& op) {
  return op == "qkv_gemm" || op == "o_gemm" || op == "gate_up_gemm" || op == "down_gemm" || op == "lm_head_gemm";
}

class Run {
 public:
  Run(const MeasureRequest& req, const cudaDeviceProp& prop)
      : req_(req),
        timer_(req.warmup, req.repeats, prop.l2CacheSize),
        attention_(prop.multiProcessorCount),
        seed_(std::random_device{}()),
        rng_(seed_) {}

  void log(const std::string& line) const {
    if (req_.log) req_.log(line);
  }
  cuda::Timer& timer() { return timer_; }

  // ---- checks --------------------------------------------------------------
  void check_all(std::vector<KernelCheck>& checks) {
    log("validating kernels against their CPU references (seed " + std::to_string(seed_) + ")");
    cuda::check_gemm(gemm_, rng_, req_.dims, checks);
    cuda::check_attention(attention_, rng_, req_.dims, checks);
    cuda::check_elementwise(rng_, req_.dims, checks);
    for (const KernelCheck& c : checks) {
      std::ostringstream s;
      s << "  " << (c.passed ? "ok  " : "FAIL") << " " << c.kernel << " " << c.version << " [" << c.shape
        << "] max rel err " << c.max_rel_error << (c.all_written ? "" : " (outputs left unwritten)");
      log(s.str());
    }
    auto passed = [&checks](const std::string& kernel, const std::string& version_prefix) {
      bool any = false;
      for (const KernelCheck& c : checks) {
        if (c.kernel != kernel || c.version.rfind(version_prefix, 0) != 0) continue;
        if (!c.passed) return false;
        any = true;
      }
      return any;
    };
    auto pick = [&](const std::string& kernel, const std::vector<std::string>& prefer) -> std::string {
      for (const auto& v : prefer)
        if (passed(kernel, v)) return v;
      throw MeasureError("no version of kernel '" + kernel + "' passed validation; nothing can be timed");
    };
    const std::string g = pick("gemm", {"v2_cublaslt", "v1_cublas", "v3_wmma"});
    gemm_v_ = g == "v2_cublaslt" ? cuda::GemmVersion::kCublasLt
              : g == "v1_cublas" ? cuda::GemmVersion::kCublas
                                 : cuda::GemmVersion::kWmma;
    ours_ok_ = passed("gemm", "v3_wmma");
    decode_v_ = pick("decode_attention", {"v2_split_kv", "v1_paged"}) == "v2_split_kv" ? cuda::DecodeVersion::kSplitKv
                                                                                       : cuda::DecodeVersion::kPaged;
    prefill_v_ = pick("prefill_attention", {"v2_wmma_flash", "v1_paged_rows"}) == "v2_wmma_flash"
                     ? cuda::PrefillVersion::kWmmaFlash
                     : cuda::PrefillVersion::kPagedRows;
    for (const char* k : {"add_rmsnorm", "rope", "silu_gate", "kv_append"}) pick(k, {"v1"});
    copy_v_ = pick("copy", {"v1_memcpy", "v2_kernel"}) == "v1_memcpy" ? cuda::CopyVersion::kMemcpy
                                                                      : cuda::CopyVersion::kKernel;
  }

  // ---- ceilings ------------------------------------------------------------
  Ceilings ceilings(double free_gib) {
    Ceilings c;
    const KernelDims& d = req_.dims;
    {  // copy: 1 GiB (less on a small GPU), both versions, the better one
      const std::size_t bytes = free_gib > 8.0 ? (1ull << 30) : (256ull << 20);
      DeviceBuffer<unsigned char> src(bytes), dst(bytes);
      cudaCheck(cudaMemset(src.get(), 1, bytes));
      double best_us = 1e30;
      for (cuda::CopyVersion v : {cuda::CopyVersion::kMemcpy, cuda::CopyVersion::kKernel}) {
        const double us = median([&] { cuda::copy(v, src.get(), dst.get(), bytes); });
        best_us = std::min(best_us, us);
      }
      c.copy_gb_per_s = 2.0 * static_cast<double>(bytes) / (best_us * 1e-6) / 1e9;  // read + write
    }
    {  // large GEMM: cuBLAS (both interfaces, the better) and ours
      const int s = 8192;
      DeviceBuffer<bf16> x(static_cast<std::size_t>(s) * s), w(x.size()), y(x.size());
      cuda::fill_random(x.get(), x.size(), 1, 1.0f);
      cuda::fill_random(w.get(), w.size(), 2, 1.0f);
      const double flops = 2.0 * s * static_cast<double>(s) * s;
      double best_us = 1e30;
      for (cuda::GemmVersion v : {cuda::GemmVersion::kCublas, cuda::GemmVersion::kCublasLt}) {
        best_us = std::min(best_us, median([&] { gemm_.run(v, x.get(), w.get(), y.get(), s, s, s); }));
      }
      c.gemm_tflops = flops / (best_us * 1e-6) / 1e12;
      if (ours_ok_) {
        const double us = median([&] { gemm_.run(cuda::GemmVersion::kWmma, x.get(), w.get(), y.get(), s, s, s); });
        c.our_gemm_tflops = flops / (us * 1e-6) / 1e12;
      }
    }
    {  // the model's GEMMs: ours against cuBLAS at 4096 rows; weight streaming at one row
      std::vector<double> ratios;
      double best_stream = 0.0;
      std::map<std::string, std::pair<int, int>> nk;
      for (const ShapeToTime& s : req_.shapes)
        if (gemm_op(s.op) && s.op != "lm_head_gemm")
          nk[s.op] = {static_cast<int>(dim(s.shape, "n")), static_cast<int>(dim(s.shape, "k"))};
      for (const auto& [op, shape] : nk) {
        const int n = shape.first, k = shape.second, m = 4096;
        DeviceBuffer<bf16> x(static_cast<std::size_t>(m) * k), w(static_cast<std::size_t>(n) * k),
            y(static_cast<std::size_t>(m) * n);
        cuda::fill_random(x.get(), x.size(), 3, 1.0f);
        cuda::fill_random(w.get(), w.size(), 4, 1.0f);
        const double vendor = median([&] { gemm_.run(gemm_v_, x.get(), w.get(), y.get(), m, n, k); });
        if (ours_ok_) {
          const double ours = median([&] { gemm_.run(cuda::GemmVersion::kWmma, x.get(), w.get(), y.get(), m, n, k); });
          ratios.push_back(vendor / ours);
          log("  " + op + " at 4096 rows: cuBLAS " + fmt(vendor) + " us, ours " + fmt(ours) + " us");
        }
        const double one = median([&] { gemm_.run(gemm_v_, x.get(), w.get(), y.get(), 1, n, k); });
        best_stream = std::max(best_stream, static_cast<double>(n) * k * 2.0 / (one * 1e-6) / 1e9);
      }
      c.weight_stream_gb_per_s = best_stream;
      c.our_gemm_to_cublas = cuda::Timer::median(ratios);
    }
    {  // decode attention at batch 64 x 4096 (fewer tokens if memory is short)
      int batch = 64, context = 4096;
      const double kv_token_bytes = 2.0 * d.kv_heads * d.head_dim * 2.0;
      while (batch > 1 && batch * static_cast<double>(context) * kv_token_bytes > free_gib * 0.25 * (1ull << 30)) batch /= 2;
      Cache cache = make_cache(static_cast<std::int64_t>(batch) * ((context + 15) / 16));
      const double us = time_decode(cache, batch, context, nullptr);
      const double bytes = batch * static_cast<double>(context) * kv_token_bytes + 4.0 * batch * d.heads * d.head_dim;
      c.decode_attention_gb_per_s = bytes / (us * 1e-6) / 1e9;
      // Prefill attention: chunk 4096 after a 4096 prefix.
      const int chunk = 4096, prefix = 4096;
      Cache pc = make_cache((chunk + prefix + 15) / 16);
      const double pus = time_prefill(pc, chunk, prefix, nullptr);
      const double flops = 4.0 * d.heads * d.head_dim * chunk * (prefix + chunk / 2.0);
      c.attention_tflops = flops / (pus * 1e-6) / 1e12;
    }
    return c;
  }

  // ---- the grid ------------------------------------------------------------
  void time_grid(std::vector<RawTiming>& out) {
    std::vector<std::string> ops;
    for (const ShapeToTime& s : req_.shapes)
      if (std::find(ops.begin(), ops.end(), s.op) == ops.end()) ops.push_back(s.op);
    for (const std::string& op : ops) {
      std::vector<Shape> shapes;
      for (const ShapeToTime& s : req_.shapes)
        if (s.op == op) shapes.push_back(s.shape);
      const auto t0 = std::chrono::steady_clock::now();
      if (gemm_op(op)) {
        time_gemms(op, shapes, out);
      } else if (op == "decode_attention" || op == "prefill_attention") {
        time_attention(op, shapes, out);
      } else {
        time_elementwise(op, shapes, out);
      }
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      log("  " + op + ": " + std::to_string(shapes.size()) + " shapes in " + fmt(s) + " s");
    }
  }

 private:
  struct Cache {
    DeviceBuffer<bf16> k, v;
    std::vector<int32_t> perm;  // physical block of each logical block
    DeviceBuffer<int32_t> table;
  };

  static std::string fmt(double x) {
    std::ostringstream s;
    s.precision(4);
    s << x;
    return s.str();
  }

  template <class F>
  double median(F&& launch) {
    return cuda::Timer::median(timer_.run(launch));
  }

  RawTiming record(const std::string& op, const std::string& version, const Shape& shape,
                   const std::vector<double>& reps) const {
    RawTiming t;
    t.op = op;
    t.version = version;
    t.shape = shape;
    t.median_us = cuda::Timer::median(reps);
    if (req_.keep_repeats) t.repeats_us = reps;
    return t;
  }

  Cache make_cache(std::int64_t pages) {
    const KernelDims& d = req_.dims;
    Cache c;
    const std::size_t n = static_cast<std::size_t>(pages) * d.kv_heads * reference::kBlockSize * d.head_dim;
    c.k.resize(n);
    c.v.resize(n);
    cuda::fill_random(c.k.get(), n, 5, 1.0f);
    cuda::fill_random(c.v.get(), n, 6, 1.0f);
    c.perm.resize(static_cast<std::size_t>(pages));
    std::iota(c.perm.begin(), c.perm.end(), 0);
    std::shuffle(c.perm.begin(), c.perm.end(), rng_);  // blocks scattered as a long-running server's are
    c.table.upload(c.perm);
    return c;
  }

  // Decode over `batch` sequences of `context` tokens; returns the median us.
  double time_decode(Cache& cache, int batch, int context, std::vector<double>* reps_out) {
    const KernelDims& d = req_.dims;
    const int pages = (context + 15) / 16;
    const cuda::PagedKv kv{cache.k.get(), cache.v.get(), cache.table.get(), pages, d.kv_heads};
    DeviceBuffer<int32_t> lens;
    lens.upload(std::vector<int32_t>(static_cast<std::size_t>(batch), context));
    const std::size_t n = static_cast<std::size_t>(batch) * d.heads * d.head_dim;
    DeviceBuffer<bf16> q(n), o(n);
    cuda::fill_random(q.get(), n, 7, 1.0f);
    const auto reps = timer_.run([&] {
      attention_.decode(decode_v_, q.get(), kv, lens.get(), batch, context, d.heads, d.head_dim, o.get());
    });
    if (reps_out) *reps_out = reps;
    return cuda::Timer::median(reps);
  }

  double time_prefill(Cache& cache, int chunk, int prefix, std::vector<double>* reps_out) {
    const KernelDims& d = req_.dims;
    const cuda::PagedKv kv{cache.k.get(), cache.v.get(), cache.table.get(), 0, d.kv_heads};
    const std::size_t n = static_cast<std::size_t>(chunk) * d.heads * d.head_dim;
    DeviceBuffer<bf16> q(n), o(n);
    cuda::fill_random(q.get(), n, 8, 1.0f);
    const auto reps = timer_.run([&] {
      attention_.prefill(prefill_v_, q.get(), kv, prefix, chunk, d.heads, d.head_dim, o.get());
    });
    if (reps_out) *reps_out = reps;
    return cuda::Timer::median(reps);
  }

  void time_gemms(const std::string& op, const std::vector<Shape>& shapes, std::vector<RawTiming>& out) {
    std::int64_t max_m = 0, n = 0, k = 0;
    for (const Shape& s : shapes) {
      max_m = std::max(max_m, dim(s, "m"));
      n = dim(s, "n");
      k = dim(s, "k");
    }
    DeviceBuffer<bf16> x(static_cast<std::size_t>(max_m * k)), w(static_cast<std::size_t>(n * k)),
        y(static_cast<std::size_t>(max_m * n));
    cuda::fill_random(x.get(), x.size(), 9, 1.0f);
    cuda::fill_random(w.get(), w.size(), 10, 1.0f);
    for (const Shape& s : shapes) {
      if (dim(s, "n") != n || dim(s, "k") != k) throw std::invalid_argument(op + ": every shape must share n and k");
      const int m = static_cast<int>(dim(s, "m"));
      const auto reps = timer_.run([&] {
        gemm_.run(gemm_v_, x.get(), w.get(), y.get(), m, static_cast<int>(n), static_cast<int>(k));
      });
      out.push_back(record(op, cuda::gemm_version_name(gemm_v_), s, reps));
    }
  }

  void time_attention(const std::string& op, const std::vector<Shape>& shapes, std::vector<RawTiming>& out) {
    std::int64_t pages = 1;
    const bool decode = op == "decode_attention";
    for (const Shape& s : shapes) {
      pages = std::max(pages, decode ? dim(s, "batch") * ((dim(s, "context") + 15) / 16)
                                     : (dim(s, "chunk") + dim(s, "prefix") + 15) / 16);
    }
    Cache cache = make_cache(pages);
    for (const Shape& s : shapes) {
      std::vector<double> reps;
      if (decode) {
        time_decode(cache, static_cast<int>(dim(s, "batch")), static_cast<int>(dim(s, "context")), &reps);
        out.push_back(record(op, cuda::decode_version_name(decode_v_), s, reps));
      } else {
        time_prefill(cache, static_cast<int>(dim(s, "chunk")), static_cast<int>(dim(s, "prefix")), &reps);
        out.push_back(record(op, cuda::prefill_version_name(prefill_v_), s, reps));
      }
    }
  }

  void time_elementwise(const std::string& op, const std::vector<Shape>& shapes, std::vector<RawTiming>& out) {
    const KernelDims& d = req_.dims;
    if (op == "copy") {
      std::int64_t max_bytes = 16;
      for (const Shape& s : shapes) max_bytes = std::max(max_bytes, dim(s, "bytes"));
      DeviceBuffer<unsigned char> src(static_cast<std::size_t>(max_bytes)), dst(src.size());
      cudaCheck(cudaMemset(src.get(), 1, src.size()));
      for (const Shape& s : shapes) {
        const std::size_t bytes = static_cast<std::size_t>(dim(s, "bytes")) & ~std::size_t{15};
        const auto reps = timer_.run([&] { cuda::copy(copy_v_, src.get(), dst.get(), std::max<std::size_t>(bytes, 16)); });
        out.push_back(record(op, copy_v_ == cuda::CopyVersion::kMemcpy ? "v1_memcpy" : "v2_kernel", s, reps));
      }
      return;
    }
    std::int64_t max_t = 1;
    for (const Shape& s : shapes) max_t = std::max(max_t, dim(s, "tokens"));
    const std::size_t t = static_cast<std::size_t>(max_t);
    if (op == "add_rmsnorm") {
      DeviceBuffer<bf16> x(t * d.hidden), r(t * d.hidden), w(d.hidden), o(t * d.hidden);
      cuda::fill_random(x.get(), x.size(), 11, 0.01f);  // small: 28 launches of residual += x stay in range
      cuda::fill_random(r.get(), r.size(), 12, 1.0f);
      cuda::fill_random(w.get(), w.size(), 13, 1.0f);
      for (const Shape& s : shapes) {
        const int tokens = static_cast<int>(dim(s, "tokens"));
        const auto reps = timer_.run([&] { cuda::add_rmsnorm(x.get(), r.get(), w.get(), o.get(), tokens, d.hidden, d.rms_eps); });
        out.push_back(record(op, "v1", s, reps));
      }
    } else if (op == "rope") {
      const int max_pos = static_cast<int>(max_t);
      std::vector<float> table(static_cast<std::size_t>(max_pos) * d.head_dim);
      reference::rope_cos_sin_cache(max_pos, d.head_dim, d.rope_theta, table.data());
      std::vector<int32_t> pos(t);
      std::iota(pos.begin(), pos.end(), 0);
      DeviceBuffer<float> dtable;
      dtable.upload(table);
      DeviceBuffer<int32_t> dpos;
      dpos.upload(pos);
      DeviceBuffer<bf16> q(t * d.heads * d.head_dim), k(t * d.kv_heads * d.head_dim), qo(q.size()), ko(k.size());
      cuda::fill_random(q.get(), q.size(), 14, 1.0f);
      cuda::fill_random(k.get(), k.size(), 15, 1.0f);
      for (const Shape& s : shapes) {
        const int tokens = static_cast<int>(dim(s, "tokens"));
        const auto reps = timer_.run([&] {
          cuda::rope(q.get(), k.get(), dpos.get(), dtable.get(), qo.get(), ko.get(), tokens, d.heads, d.kv_heads, d.head_dim);
        });
        out.push_back(record(op, "v1", s, reps));
      }
    } else if (op == "silu_gate") {
      DeviceBuffer<bf16> gu(t * 2 * d.intermediate), o(t * d.intermediate);
      cuda::fill_random(gu.get(), gu.size(), 16, 4.0f);
      for (const Shape& s : shapes) {
        const int tokens = static_cast<int>(dim(s, "tokens"));
        const auto reps = timer_.run([&] { cuda::silu_gate(gu.get(), o.get(), tokens, d.intermediate); });
        out.push_back(record(op, "v1", s, reps));
      }
    } else if (op == "kv_append") {
      const std::int64_t pages = (max_t + 15) / 16;
      Cache cache = make_cache(pages);
      std::vector<int64_t> slots(t);
      for (std::size_t i = 0; i < t; ++i) slots[i] = static_cast<int64_t>(cache.perm[i / 16]) * 16 + static_cast<int64_t>(i % 16);
      DeviceBuffer<int64_t> dslots;
      dslots.upload(slots);
      DeviceBuffer<bf16> k(t * d.kv_heads * d.head_dim), v(k.size());
      cuda::fill_random(k.get(), k.size(), 17, 1.0f);
      cuda::fill_random(v.get(), v.size(), 18, 1.0f);
      for (const Shape& s : shapes) {
        const int tokens = static_cast<int>(dim(s, "tokens"));
        const auto reps = timer_.run([&] {
          cuda::kv_append(k.get(), v.get(), dslots.get(), cache.k.get(), cache.v.get(), tokens, d.kv_heads, d.head_dim);
        });
        out.push_back(record(op, "v1", s, reps));
      }
    } else {
      throw std::invalid_argument("measure: unknown operator '" + op + "'");
    }
  }

  const MeasureRequest& req_;
  cuda::Timer timer_;
  cuda::Gemm gemm_;
  cuda::Attention attention_;
  std::uint64_t seed_;
  std::mt19937_64 rng_;
  cuda::GemmVersion gemm_v_ = cuda::GemmVersion::kCublasLt;
  cuda::DecodeVersion decode_v_ = cuda::DecodeVersion::kSplitKv;
  cuda::PrefillVersion prefill_v_ = cuda::PrefillVersion::kWmmaFlash;
  cuda::CopyVersion copy_v_ = cuda::CopyVersion::kMemcpy;
  bool ours_ok_ = false;
};

}  // namespace

MeasureResult cuda_measure(const MeasureRequest& req) {
  const auto t0 = std::chrono::steady_clock::now();
  const GpuProbe probe = cuda_probe_gpu();
  if (!probe.available) throw NoGpuError(probe.message);
  if (req.repeats < 20) throw std::invalid_argument("measure: at least 20 repeats are needed for a median");
  if (req.warmup < 1) throw std::invalid_argument("measure: at least one warm-up launch is needed");

  cudaCheck(cudaSetDevice(0));
  cudaDeviceProp prop{};
  cudaCheck(cudaGetDeviceProperties(&prop, 0));
  MeasureResult result;
  result.device.name = prop.name;
  result.device.compute_capability = prop.major * 10 + prop.minor;
  result.device.sm_count = prop.multiProcessorCount;
  result.device.l2_bytes = prop.l2CacheSize;
  result.device.memory_gib = static_cast<double>(prop.totalGlobalMem) / (1ull << 30);
  cudaCheck(cudaDriverGetVersion(&result.device.driver_version));
  cudaCheck(cudaRuntimeGetVersion(&result.device.runtime_version));
  result.device.cublas_version = static_cast<int>(cublasLtGetVersion());

  Run run(req, prop);
  result.harness.warmup = req.warmup;
  result.harness.repeats = req.repeats;
  result.harness.l2_flush_bytes = run.timer().flush_bytes();
  run.check_all(result.checks);
  if (!req.checks_only) {
    std::size_t free_bytes = 0, total_bytes = 0;
    cudaCheck(cudaMemGetInfo(&free_bytes, &total_bytes));
    run.log("measuring the ceilings");
    result.ceilings = run.ceilings(static_cast<double>(free_bytes) / (1ull << 30));
    run.log("timing " + std::to_string(req.shapes.size()) + " shapes");
    run.time_grid(result.timings);
    // The launch floor: the fastest element-wise kernel at one token.
    double floor_us = 0.0;
    for (const RawTiming& t : result.timings) {
      auto it = t.shape.find("tokens");
      if (it == t.shape.end() || it->second != 1) continue;
      floor_us = floor_us == 0.0 ? t.median_us : std::min(floor_us, t.median_us);
    }
    result.ceilings.launch_floor_us = floor_us;
  }
  cudaCheck(cudaDeviceSynchronize());
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace capstan::calibration
