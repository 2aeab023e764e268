#pragma once
// How much of a GPU's datasheet peaks real kernels reach: the roofline
// model's efficiencies. Defaults are figures measured on an H100 SXM and
// published (see the sources below); a calibration
// profile of a GPU replaces them with what was measured on that GPU.
#include <string>

namespace capstan::calibration {

// Source: cuBLAS bf16 dense GEMM at 8192^3 on H100 SXM reaches about
// 795 TFLOP/s of the 989 TFLOP/s datasheet peak (published cuBLAS benchmarks of H100 SXM).
inline constexpr double kDefaultGemmFlopsEfficiency = 795.0 / 989.0;
// Source: small-batch linear layers stream weights at about 2.5-2.7 TB/s of
// the H100's 3.35 TB/s HBM3 datasheet figure (published small-batch decode measurements); the middle, 2.6.
inline constexpr double kDefaultBandwidthEfficiency = 2.6 / 3.35;
// Source: per-kernel floor of about 4 us for element-wise kernels (CUDA launch and tail overhead).
inline constexpr double kDefaultLaunchFloorUs = 4.0;
// No published figure in our sources for attention kernels' share of peak
// FLOP/s: until a profile measures it, prefill attention is priced at the
// GEMM efficiency (an optimistic assumption for FlashAttention-style kernels).
inline constexpr double kDefaultAttentionFlopsEfficiency = kDefaultGemmFlopsEfficiency;
// No measured figure for all-reduce either: the catalog's per-direction
// interconnect bandwidth is taken as reached (optimistic for small messages,
// whose cost the launch floor partly covers).
inline constexpr double kDefaultInterconnectEfficiency = 1.0;

// Default per-iteration overhead (scheduler, sampling, host-side work not
// hidden behind the GPU). 0.3 ms is chosen so that the roofline reproduces
// the one published batch-1 figure in our sources: Llama-2-7B on one H100,
// about 7 ms per output token (NVIDIA NeMo inference benchmarks). With the defaults above the
// roofline gives ~6.5 ms of GPU work (13.5 GB of weights at 2.6 TB/s plus
// ~320 launch floors), so ~0.3-0.5 ms remains for the host. Larger values (a
// few ms) belong to frameworks without CUDA graphs; a scenario can say so.
inline constexpr double kDefaultIterationOverheadMs = 0.3;

struct RooflineEfficiency {
  double gemm_flops = kDefaultGemmFlopsEfficiency;            // of bf16_tflops
  double attention_flops = kDefaultAttentionFlopsEfficiency;  // of bf16_tflops
  double bandwidth = kDefaultBandwidthEfficiency;             // of hbm_tb_per_s
  double interconnect = kDefaultInterconnectEfficiency;       // of interconnect_gb_per_s
  double launch_floor_us = kDefaultLaunchFloorUs;             // per kernel launch
  // "datasheet" for the defaults, else the profile they were measured in.
  std::string source = "datasheet (H100 SXM efficiencies, published figures)";
};

}  // namespace capstan::calibration
