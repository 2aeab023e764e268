#include "models/calibration/roofline.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace capstan::calibration {

void validate_llm_dims(const catalog::LlmSpec& llm) {
  auto positive = [&llm](const char* field, double v) {
    if (!(v > 0.0)) {
      std::ostringstream m;
      m << "model '" << llm.name << "': " << field << " must be positive, found " << v;
      throw std::invalid_argument(m.str());
    }
  };
  positive("layers", llm.layers);
  positive("hidden", llm.hidden);
  positive("heads", llm.heads);
  positive("kv_heads", llm.kv_heads);
  positive("head_dim", llm.head_dim);
  if (llm.moe()) {
    // A mixture of experts may have no shared expert (intermediate 0).
    if (llm.intermediate < 0) positive("intermediate", llm.intermediate);
    positive("experts_per_token", llm.experts_per_token);
    positive("expert_intermediate", llm.expert_intermediate);
    if (llm.experts_per_token > llm.experts)
      throw std::invalid_argument("model '" + llm.name + "': experts_per_token must be at most experts");
  } else {
    positive("intermediate", llm.intermediate);
  }
  if (llm.mla()) {
    positive("qk_rope_head_dim", llm.qk_rope_head_dim);
    positive("qk_nope_head_dim", llm.qk_nope_head_dim);
    positive("v_head_dim", llm.v_head_dim);
    if (llm.q_lora_rank < 0) positive("q_lora_rank", llm.q_lora_rank);
  }
  if (!llm.moe() && llm.dense_layers != 0)
    throw std::invalid_argument("model '" + llm.name + "': dense_layers belong to a mixture of experts");
  if (llm.moe() && (llm.dense_layers < 0 || llm.dense_layers >= llm.layers ||
                    (llm.dense_layers > 0 && llm.dense_intermediate <= 0)))
    throw std::invalid_argument("model '" + llm.name +
                                "': dense_layers must lie in [0, layers) with a positive dense_intermediate");
  if (llm.attention_window < 0 || llm.window_layers < 0 || llm.window_layers > llm.layers ||
      (llm.window_layers > 0) != (llm.attention_window > 0))
    throw std::invalid_argument("model '" + llm.name +
                                "': attention_window and window_layers must both be 0, or positive with "
                                "window_layers at most layers");
  positive("bytes_per_param", llm.bytes_per_param);
  positive("activation_bytes", llm.activation_bytes);
  positive("kv_bytes", llm.kv_bytes);
  if (llm.classifier) {
    positive("num_labels", llm.num_labels);
  } else {
    positive("vocab", llm.vocab);
  }
}

void validate_kernel_figures(const catalog::GpuSpec& gpu) {
  const catalog::KernelFigures& k = gpu.kernels;
  auto fail = [&gpu](const std::string& what) {
    throw std::invalid_argument("GPU '" + gpu.name + "': " + what);
  };
  if (gpu.sm_count < 1) fail("sm_count must be at least 1");
  const std::pair<const char*, double> shares[] = {
      {"gemm flops_share", k.gemm_flops_share},
      {"gemm bandwidth_share", k.gemm_bandwidth_share},
      {"elementwise bandwidth_share", k.elementwise_bandwidth_share},
      {"prefill_attention flops_share", k.prefill_flops_share},
      {"prefill_attention kv_bandwidth_share", k.prefill_kv_bandwidth_share},
      {"decode_attention bandwidth_share", k.decode_bandwidth_share},
      {"interconnect share", k.interconnect_share}, {"interconnect large_share", k.interconnect_large_share}};
  for (const auto& [name, v] : shares) {
    if (!(v > 0.0 && v <= 1.5)) fail(std::string(name) + " must lie in (0, 1.5]");
  }
  if (k.has_fa3 && !(k.fa3_flops_share > 0.0 && k.fa3_flops_share <= 1.5))
    fail("prefill_attention_fa3 flops_share must lie in (0, 1.5]");
  const std::pair<const char*, double> fixed[] = {
      {"gemm floor_us", k.gemm_floor_us},           {"launch_floor_us", k.launch_floor_us},
      {"prefill_attention floor_us", k.prefill_floor_us},
      {"decode_attention floor_us", k.decode_floor_us},   {"decode_attention per_sequence_us", k.decode_per_sequence_us},
      {"prefill_attention_fa3 floor_us", k.fa3_floor_us}, {"interconnect floor_us", k.all_reduce_floor_us}};
  for (const auto& [name, v] : fixed) {
    if (!(v >= 0.0 && v < 1e6)) fail(std::string(name) + " must lie in [0, 1e6)");
  }
  if (!(k.all_reduce_large_message_bytes > 0.0)) fail("interconnect large_message_mib must be positive");
  if (!(k.gemm_transition_exponent >= 1.0 && k.gemm_transition_exponent <= 64.0))
    fail("gemm transition_exponent must lie in [1, 64]");
  if (k.gemm_tiles.empty()) fail("gemm tiles must name at least one tile");
  for (const auto& [rows, cols] : k.gemm_tiles) {
    if (rows < 1 || cols < 1) fail("gemm tiles must be positive");
  }
  if (k.prefill_tile_rows < 1) fail("prefill_attention tile_rows must be at least 1");
  if (!(k.prefill_saturating_tiles_per_sm > 0.0 && k.prefill_saturating_tiles_per_sm <= 1000.0))
    fail("prefill_attention saturating_tiles_per_sm must lie in (0, 1000]");
  if (!(k.prefill_kv_saturating_tiles_per_sm > 0.0 && k.prefill_kv_saturating_tiles_per_sm <= 1000.0))
    fail("prefill_attention kv_saturating_tiles_per_sm must lie in (0, 1000]");
}

void validate_engine(const catalog::EngineSpec& e) {
  const std::pair<const char*, double> figures[] = {{"host launch_us", e.launch_us},
                                                    {"host iteration_ms", e.iteration_ms},
                                                    {"host per_sequence_us", e.per_sequence_us},
                                                    {"frontend request_ms", e.request_ms},
                                                    {"frontend stream_us", e.stream_us}};
  for (const auto& [name, v] : figures) {
    if (!(v >= 0.0 && v < 1e6)) throw std::invalid_argument("engine '" + e.name + "': " + name + " must lie in [0, 1e6)");
  }
  if (e.cuda_graph_max_tokens < 0) throw std::invalid_argument("engine '" + e.name + "': cuda_graphs max_tokens must be >= 0");
}

RooflineModel::RooflineModel(catalog::LlmSpec llm, catalog::GpuSpec gpu, catalog::EngineSpec engine,
                             int tensor_parallel, double iteration_overhead_ms)
    : llm_(std::move(llm)), gpu_(std::move(gpu)), engine_(std::move(engine)), tp_(tensor_parallel) {
  if (tp_ < 1) throw std::invalid_argument("tensor_parallel must be >= 1");
  validate_llm_dims(llm_);
  if (!(gpu_.bf16_tflops > 0.0) || !(gpu_.hbm_tb_per_s > 0.0))
    throw std::invalid_argument("GPU '" + gpu_.name + "': bf16_tflops and hbm_tb_per_s must be positive");
  if (tp_ > 1 && !(gpu_.interconnect_gb_per_s > 0.0))
    throw std::invalid_argument("GPU '" + gpu_.name + "': tensor parallelism needs interconnect_gb_per_s > 0");
  if (!(iteration_overhead_ms >= 0.0)) throw std::invalid_argument("iteration overhead must be >= 0");
  validate_kernel_figures(gpu_);
  validate_engine(engine_);
  const catalog::KernelFigures& k = gpu_.kernels;
  // FA3 where the engine runs it on this architecture and the GPU has its figures.
  const bool fa3 = engine_.attention_on(gpu_.architecture) == "fa3" && k.has_fa3;
  attention_ = fa3 ? "fa3" : "fa2";
  prefill_flops_share_ = fa3 ? k.fa3_flops_share : k.prefill_flops_share;
  prefill_floor_s_ = (fa3 ? k.fa3_floor_us : k.prefill_floor_us) * 1e-6;
  overhead_s_ = (iteration_overhead_ms > 0.0 ? iteration_overhead_ms : engine_.iteration_ms) * 1e-3;
  per_sequence_s_ = engine_.per_sequence_us * 1e-6;
  launch_s_ = engine_.launch_us * 1e-6;
  peak_flops_ = gpu_.bf16_tflops * 1e12;
  // GEMMs on the tensor cores of the deployment's precision; attention stays in bf16.
  const std::string& math = llm_.gemm_precision;
  const double gemm_tflops = math == "fp8" ? gpu_.fp8_tflops : math == "fp4" ? gpu_.fp4_tflops : gpu_.bf16_tflops;
  if (math != "bf16" && math != "fp8" && math != "fp4")
    throw std::invalid_argument("model '" + llm_.name + "': gemm precision must be bf16, fp8 or fp4, found " + math);
  if (!(gemm_tflops > 0.0))
    throw std::invalid_argument("GPU '" + gpu_.name + "' has no " + math + " tensor cores (its " + math +
                                "_tflops is 0)");
  gemm_peak_flops_ = gemm_tflops * 1e12;
  hbm_bytes_per_s_ = gpu_.hbm_tb_per_s * 1e12;
  memo_slots_ = llm_.moe() ? kMoeMemoSlots : kDenseMemoSlots;
  const std::size_t slots = static_cast<std::size_t>(memo_slots_) * kGemmMemoRows;
  gemm_memo_ = std::shared_ptr<std::atomic<double>[]>(new std::atomic<double>[slots]);
  for (std::size_t i = 0; i < slots; ++i) gemm_memo_[i].store(-1.0, std::memory_order_relaxed);
}

int RooflineModel::memo_slot(Operator op, bool dense_layer) const {
  if (dense_layer) {
    if (memo_slots_ < kMoeMemoSlots) return -1;
    return op == Operator::kGateUpGemm ? 8 : op == Operator::kDownGemm ? 9 : -1;
  }
  if (op <= Operator::kLmHeadGemm) return static_cast<int>(op);
  if (memo_slots_ < kMoeMemoSlots) return -1;
  switch (op) {
    case Operator::kRouterGemm: return 5;
    case Operator::kExpertGateUpGemm: return 6;
    case Operator::kExpertDownGemm: return 7;
    default: return -1;
  }
}

double RooflineModel::memoised(Operator op, double rows, bool dense_layer) const {
  const int slot = memo_slot(op, dense_layer);
  if (slot < 0 || !(rows >= 1.0 && rows < kGemmMemoRows) || rows != std::floor(rows)) return -1.0;
  std::atomic<double>& memo = gemm_memo_[static_cast<std::size_t>(slot) * kGemmMemoRows + static_cast<std::size_t>(rows)];
  double s = memo.load(std::memory_order_relaxed);
  if (s < 0.0) {
    s = is_expert_gemm(op) ? expert_gemm_seconds_uncached(op, rows) : gemm_seconds_uncached(op, rows, dense_layer);
    memo.store(s, std::memory_order_relaxed);
  }
  return s;
}

double RooflineModel::gemm_seconds(Operator op, double rows) const {
  const double s = memoised(op, rows);
  return s >= 0.0 ? s : gemm_seconds_uncached(op, rows);
}

double RooflineModel::dense_layer_gemm_seconds(Operator op, double rows) const {
  if (op != Operator::kGateUpGemm && op != Operator::kDownGemm)
    throw std::invalid_argument("operator '" + std::string(operator_name(op)) + "' is not a dense layer's MLP GEMM");
  if (llm_.dense_layers == 0) return 0.0;
  const double s = memoised(op, rows, true);
  return s >= 0.0 ? s : gemm_seconds_uncached(op, rows, true);
}

double RooflineModel::expert_gemm_seconds(Operator op, double tokens) const {
  if (!is_expert_gemm(op)) throw std::invalid_argument("operator '" + std::string(operator_name(op)) + "' is not an expert GEMM");
  if (!llm_.moe() || !(tokens > 0.0)) return 0.0;
  const double s = memoised(op, tokens);
  return s >= 0.0 ? s : expert_gemm_seconds_uncached(op, tokens);
}

double RooflineModel::expert_gemm_seconds_uncached(Operator op, double tokens) const {
  const GemmShape shape = gemm_shape(op, llm_, tp_);
  const WorkFormulas f{llm_, tp_};
  const double groups = f.expert_gemm_groups(tokens);
  return gemm_time(groups, f.expert_gemm_rows(tokens) / groups, static_cast<double>(shape.k),
                   static_cast<double>(shape.n), f.expert_gemm_bytes(op, tokens));
}

double RooflineModel::gemm_seconds_uncached(Operator op, double rows, bool dense_layer) const {
  if (!(rows > 0.0)) return 0.0;
  if (llm_.mla() && op == Operator::kQkvGemm) {  // the launches latent attention's projections take
    GemmShape shapes[3];
    const WorkFormulas f{llm_, tp_};
    double s = 0.0;
    for (int i = 0, n = mla_qkv_shapes(llm_, tp_, shapes); i < n; ++i)
      s += gemm_time(1.0, rows, static_cast<double>(shapes[i].k), static_cast<double>(shapes[i].n),
                     f.shape_bytes(shapes[i], rows));
    return s;
  }
  const GemmShape shape = gemm_shape(op, llm_, tp_, dense_layer);
  return gemm_time(1.0, rows, static_cast<double>(shape.k), static_cast<double>(shape.n),
                   WorkFormulas{llm_, tp_}.gemm_bytes(op, rows, dense_layer));
}

double RooflineModel::gemm_time(double groups, double rows, double depth, double n, double bytes) const {
  const catalog::KernelFigures& k = gpu_.kernels;
  const double sms = gpu_.sm_count;
  const double sm_flops = gemm_peak_flops_ * k.gemm_flops_share / sms;
  double compute = std::numeric_limits<double>::infinity();
  for (const auto& [tile_rows, tile_cols] : k.gemm_tiles) {
    const double tiles = groups * std::ceil(rows / tile_rows) * std::ceil(n / tile_cols);
    const double waves = std::ceil(tiles / sms);
    compute = std::min(compute, waves * 2.0 * tile_rows * tile_cols * depth / sm_flops);
  }
  const double memory = bytes / (hbm_bytes_per_s_ * k.gemm_bandwidth_share);
  const double p = k.gemm_transition_exponent;
  // (c^p + m^p)^(1/p), scaled by the larger term so that neither overflows:
  // big * (1 + (small/big)^p)^(1/p), the larger term's ratio being exactly 1.
  const double big = std::max(compute, memory), small = std::min(compute, memory);
  const double blend = big * std::pow(1.0 + std::pow(small / big, p), 1.0 / p);
  return k.gemm_floor_us * 1e-6 + blend;
}

double RooflineModel::elementwise_seconds(double bytes) const {
  const catalog::KernelFigures& k = gpu_.kernels;
  return k.launch_floor_us * 1e-6 + bytes / (hbm_bytes_per_s_ * k.elementwise_bandwidth_share);
}

double all_reduce_seconds(const catalog::KernelFigures& k, double link_gb_per_s, int tp, double wire_bytes) {
  if (tp <= 1) return 0.0;
  const double link = std::max(link_gb_per_s, 1e-9) * 1e9;
  const double large_wire = 2.0 * (tp - 1) / tp * k.all_reduce_large_message_bytes;  // inf stays inf
  const double own = std::min(wire_bytes, large_wire), past = std::max(0.0, wire_bytes - large_wire);
  return k.all_reduce_floor_us * 1e-6 + own / (link * k.interconnect_share) +
         past / (link * k.interconnect_large_share);
}

double RooflineModel::all_to_all_seconds(double bytes) const {
  // DeepEP's intranode dispatch and combine kernels move 153-158 GB/s over
  // the H800's NVLink of about 160 GB/s in practice (deepseek-ai/DeepEP,
  // README): the link's large-message rate, as NCCL's rings reach it, with
  // the engines' all-reduce floor.
  if (tp_ <= 1) return 0.0;
  const catalog::KernelFigures& k = gpu_.kernels;
  const double link = std::max(gpu_.interconnect_gb_per_s, 1e-9) * 1e9;
  return k.all_reduce_floor_us * 1e-6 + bytes / (link * k.interconnect_large_share);
}

double RooflineModel::all_reduce_seconds(double wire_bytes) const {
  return calibration::all_reduce_seconds(gpu_.kernels, gpu_.interconnect_gb_per_s, tp_, wire_bytes);
}

double RooflineModel::prefill_attention_seconds(std::span<const PrefillChunk> prefills, double window) const {
  const catalog::KernelFigures& k = gpu_.kernels;
  const WorkFormulas f{llm_, tp_};
  double flops = 0.0, bytes = 0.0, row_tiles = 0.0;
  for (const PrefillChunk& c : prefills) {
    if (c.chunk_tokens <= 0) continue;
    const double chunk = static_cast<double>(c.chunk_tokens), prefix = static_cast<double>(std::max<std::int64_t>(0, c.prefix_tokens));
    flops += f.prefill_flops(chunk, prefix, window);
    bytes += f.prefill_bytes(chunk, prefix, window);
    row_tiles += std::ceil(chunk / k.prefill_tile_rows);
  }
  // Data-parallel attention: each GPU prefills its share of the chunks.
  const double share = f.token_share();
  flops *= share;
  bytes *= share;
  row_tiles *= share;
  if (row_tiles == 0.0) return 0.0;
  // Too few tiles to fill the SMs compute and stream K and V at
  // proportionally lower rates.
  const double tiles = f.heads() * row_tiles, sms = gpu_.sm_count;
  const double compute = peak_flops_ * prefill_flops_share_ * std::min(1.0, tiles / (k.prefill_saturating_tiles_per_sm * sms));
  const double stream =
      hbm_bytes_per_s_ * k.prefill_kv_bandwidth_share * std::min(1.0, tiles / (k.prefill_kv_saturating_tiles_per_sm * sms));
  return prefill_floor_s_ + std::max(flops / compute, bytes / stream);
}

IterationCost RooflineModel::decode_attention_cost(double seqs) const {
  IterationCost c;
  if (!(seqs > 0.0)) return c;
  const catalog::KernelFigures& k = gpu_.kernels;
  const WorkFormulas f{llm_, tp_};
  const double bw = hbm_bytes_per_s_ * k.decode_bandwidth_share;
  c.fixed_s = (k.decode_floor_us + k.decode_per_sequence_us * seqs) * 1e-6 + f.decode_bytes(seqs, 0.0) / bw;
  c.per_context_token_s =
      std::max(f.decode_flops(1.0) / (peak_flops_ * prefill_flops_share_), f.decode_bytes(0.0, 1.0) / bw);
  return c;
}

double RooflineModel::overhead_seconds(double sequences) const { return overhead_s_ + per_sequence_s_ * sequences; }

std::array<IterationCost, kOperatorCount> RooflineModel::breakdown(std::int64_t decode_seqs,
                                                                   std::span<const PrefillChunk> prefills) const {
  return breakdown_of(iteration_work(llm_, tp_, decode_seqs, prefills), prefills);
}

std::array<IterationCost, kOperatorCount> RooflineModel::breakdown_of(const IterationWork& work,
                                                                      std::span<const PrefillChunk> prefills) const {
  std::array<IterationCost, kOperatorCount> out{};
  for (const OperatorWork& w : work) {
    if (w.count <= 0.0) continue;
    IterationCost& c = out[static_cast<std::size_t>(w.op)];
    if (is_expert_gemm(w.op)) {
      c.fixed_s = w.count * expert_gemm_seconds(w.op, w.rows);
    } else if (is_gemm(w.op) && llm_.dense_layers > 0 &&
               (w.op == Operator::kGateUpGemm || w.op == Operator::kDownGemm)) {
      // The shared expert's in the expert layers, the dense MLP's in the others.
      const double shared = llm_.intermediate > 0 ? llm_.moe_layers() : 0.0;
      c.fixed_s = (shared > 0.0 ? shared * gemm_seconds(w.op, w.rows) : 0.0) +
                  llm_.dense_layers * dense_layer_gemm_seconds(w.op, w.rows);
    } else if (is_gemm(w.op)) {
      c.fixed_s = w.count * gemm_seconds(w.op, w.rows);
    } else if (w.op == Operator::kDecodeAttention) {
      // Every layer launches; the windowed ones read at most their window of each sequence.
      // With data-parallel attention a GPU runs its share of the sequences
      // and of the batch's context.
      const IterationCost d = decode_attention_cost(w.rows);
      const double share = WorkFormulas{llm_, tp_}.token_share();
      const double full = llm_.full_attention_layers();
      c.fixed_s = w.count * d.fixed_s;
      c.per_context_token_s = full * d.per_context_token_s * share;
      if (llm_.windowed()) {
        c.per_window_token_s = (w.count - full) * d.per_context_token_s * share;
        c.window_cap_tokens = std::llround(w.rows / share) * llm_.attention_window;
      }
    } else if (w.op == Operator::kPrefillAttention) {
      const double full = llm_.full_attention_layers();
      c.fixed_s = full * prefill_attention_seconds(prefills);
      if (llm_.windowed()) c.fixed_s += (w.count - full) * prefill_attention_seconds(prefills, llm_.attention_window);
    } else if (w.op == Operator::kAllReduce) {
      c.fixed_s = w.count * all_reduce_seconds(w.bytes);
    } else if (w.op == Operator::kAllToAll) {
      c.fixed_s = w.count * all_to_all_seconds(w.bytes);
    } else if (w.op == Operator::kAddRmsNorm) {
      // operators.h counts the four passes of a fused kernel; unfused, the
      // residual add (read two, write one) and the RMSNorm (read one, write
      // one) are two launches and five passes.
      c.fixed_s = engine_.fused_add_rms_norm
                      ? w.count * elementwise_seconds(w.bytes)
                      : w.count * (elementwise_seconds(w.bytes * 3.0 / 4.0) + elementwise_seconds(w.bytes * 2.0 / 4.0));
    } else if (w.op == Operator::kSiluGate) {
      // Fused: read gate and up, write the product. Unfused: SiLU (read one,
      // write one), then the product (read two, write one).
      c.fixed_s = engine_.fused_silu_mul
                      ? w.count * elementwise_seconds(w.bytes)
                      : w.count * (elementwise_seconds(w.bytes * 2.0 / 3.0) + elementwise_seconds(w.bytes));
    } else if ((w.op == Operator::kRope || w.op == Operator::kKvAppend) && engine_.rope_in_attention) {
      // Inside the attention kernel: the bytes move, no launch of their own.
      c.fixed_s = w.count * (elementwise_seconds(w.bytes) - gpu_.kernels.launch_floor_us * 1e-6);
    } else {
      c.fixed_s = w.count * elementwise_seconds(w.bytes);
    }
  }
  return out;
}

double RooflineModel::launches(std::int64_t decode_seqs, std::span<const PrefillChunk> prefills) const {
  return launches_of(iteration_work(llm_, tp_, decode_seqs, prefills));
}

double RooflineModel::launches_of(const IterationWork& work) const {
  double n = 0.0;
  for (const OperatorWork& w : work) {
    if (w.count <= 0.0) continue;
    double per = 1.0;
    if (w.op == Operator::kAddRmsNorm && !engine_.fused_add_rms_norm) per = 2.0;
    if (w.op == Operator::kSiluGate && !engine_.fused_silu_mul) per = 2.0;
    if ((w.op == Operator::kRope || w.op == Operator::kKvAppend) && engine_.rope_in_attention) per = 0.0;
    n += w.count * per;
  }
  return n;
}

bool RooflineModel::replays_graph(std::int64_t decode_seqs, std::span<const PrefillChunk> prefills) const {
  if (!prefills.empty() && !engine_.cuda_graph_mixed) return false;
  std::int64_t tokens = decode_seqs;
  for (const PrefillChunk& c : prefills) tokens += std::max<std::int64_t>(0, c.chunk_tokens);
  return tokens <= engine_.cuda_graph_max_tokens;
}

IterationCost RooflineModel::iteration(std::int64_t decode_seqs, std::span<const PrefillChunk> prefills) const {
  IterationCost total;
  if (decode_seqs == 0 && prefills.empty()) return total;  // nothing runs, nothing to pay
  const IterationWork work = iteration_work(llm_, tp_, decode_seqs, prefills);
  for (const IterationCost& c : breakdown_of(work, prefills)) {
    total.fixed_s += c.fixed_s;
    total.per_context_token_s += c.per_context_token_s;
    total.per_window_token_s += c.per_window_token_s;
    total.window_cap_tokens = std::max(total.window_cap_tokens, c.window_cap_tokens);
  }
  // Launches run ahead of the GPU: only what exceeds its work shows.
  const double launch_s = replays_graph(decode_seqs, prefills) ? 0.0 : launches_of(work) * launch_s_;
  total.fixed_s += std::max(0.0, launch_s - total.fixed_s);
  const double scheduling_s = overhead_seconds(static_cast<double>(decode_seqs) + static_cast<double>(prefills.size()));
  total.fixed_s += engine_.overlap ? std::max(0.0, scheduling_s - total.fixed_s) : scheduling_s;
  return total;
}

std::string RooflineModel::provenance() const {
  std::ostringstream s;
  s << "roofline of " << gpu_.name << " (" << gpu_.bf16_tflops << " TFLOP/s, " << gpu_.hbm_tb_per_s << " TB/s, "
    << gpu_.sm_count << " SMs) with the catalog's kernel figures for it, running "
    << engine_.name << (engine_.version.empty() ? "" : " " + engine_.version) << "'s kernels ("
    << attention_ << " prefill attention, " << (engine_.cuda_graph_max_tokens > 0 ? "CUDA graphs" : "eager") << ")";
  return s.str();
}

}  // namespace capstan::calibration
