#pragma once
// The one timing harness for every kernel (llm.c's dev/cuda habit):
//   - `warmup` untimed launches first (they also build cuBLASLt plans and
//     grow workspaces, so no allocation or planning lands in a timed launch);
//   - before each timed repeat, L2 is flushed by writing a buffer twice the
//     size of L2, so every repeat starts from HBM as a serving iteration's
//     weights and KV cache do;
//   - each repeat is timed alone with a pair of CUDA events on the default
//     stream; the flush is enqueued before the start event, and it runs long
//     enough (tens of us) that the host has enqueued the kernel before the GPU
//     reaches the start event, so host launch latency is not counted;
//   - the median of the repeats is the figure kept.
#include <algorithm>
#include <vector>

#include "models/calibration/cuda/common.cuh"

namespace capstan::calibration::cuda {

class Timer {
 public:
  // Throws MeasureError on CUDA failure, std::invalid_argument for repeats < 20.
  Timer(int warmup, int repeats, std::int64_t l2_bytes);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Runs `launch` warmup + repeats times; returns each timed repeat in us.
  template <class Launch>
  std::vector<double> run(Launch&& launch) {
    for (int i = 0; i < warmup_; ++i) launch();
    cudaCheck(cudaDeviceSynchronize());
    std::vector<double> us;
    us.reserve(static_cast<std::size_t>(repeats_));
    for (int r = 0; r < repeats_; ++r) {
      flush_l2(r);
      cudaCheck(cudaEventRecord(start_));
      launch();
      cudaCheck(cudaEventRecord(stop_));
      cudaCheck(cudaEventSynchronize(stop_));
      float ms = 0.0f;
      cudaCheck(cudaEventElapsedTime(&ms, start_, stop_));
      us.push_back(static_cast<double>(ms) * 1e3);
    }
    return us;
  }

  static double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  }

  int warmup() const { return warmup_; }
  int repeats() const { return repeats_; }
  std::int64_t flush_bytes() const { return static_cast<std::int64_t>(flush_.size()); }

 private:
  void flush_l2(int r) { cudaCheck(cudaMemsetAsync(flush_.get(), r & 0xff, flush_.size())); }
  int warmup_;
  int repeats_;
  DeviceBuffer<unsigned char> flush_;
  cudaEvent_t start_ = nullptr;
  cudaEvent_t stop_ = nullptr;
};

}  // namespace capstan::calibration::cuda
