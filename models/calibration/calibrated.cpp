#include "models/calibration/calibrated.h"

#include <sstream>
#include <stdexcept>
#include <utility>

#include "models/calibration/roofline.h"

namespace capstan::calibration {

namespace {

template <class T>
void require_same(const std::string& path, const std::string& field, const T& ours, const T& profiles,
                  const std::string& model) {
  if (ours == profiles) return;
  std::ostringstream expected, found;
  expected << ours << " (" << field << " of model '" << model << "')";
  found << profiles;
  throw ProfileError(path, "/model/" + field, expected.str(), found.str());
}

}  // namespace

CalibratedModel::CalibratedModel(Profile profile, std::string profile_path, catalog::LlmSpec llm, int tensor_parallel,
                                 const catalog::GpuSpec& gpu, double iteration_overhead_ms,
                                 double per_sequence_overhead_us)
    : profile_(std::move(profile)), path_(std::move(profile_path)), llm_(std::move(llm)), tp_(tensor_parallel) {
  const catalog::LlmSpec& m = profile_.model;
  const std::string& n = llm_.name;
  require_same(path_, "layers", llm_.layers, m.layers, n);
  require_same(path_, "hidden", llm_.hidden, m.hidden, n);
  require_same(path_, "heads", llm_.heads, m.heads, n);
  require_same(path_, "kv_heads", llm_.kv_heads, m.kv_heads, n);
  require_same(path_, "head_dim", llm_.head_dim, m.head_dim, n);
  require_same(path_, "intermediate", llm_.intermediate, m.intermediate, n);
  require_same(path_, "classifier", llm_.classifier, m.classifier, n);
  if (llm_.classifier) {
    require_same(path_, "num_labels", llm_.num_labels, m.num_labels, n);
  } else {
    require_same(path_, "vocab", llm_.vocab, m.vocab, n);
  }
  require_same(path_, "bytes_per_param", llm_.bytes_per_param, m.bytes_per_param, n);
  // Profiles time dense models (capstan calibrate measures no expert GEMMs): a
  // mixture of experts runs on the roofline.
  require_same(path_, "experts", llm_.experts, m.experts, n);
  // With full attention in every layer: windowed models run on the roofline.
  require_same(path_, "attention_window", llm_.attention_window, m.attention_window, n);
  require_same(path_, "window_layers", llm_.window_layers, m.window_layers, n);
  // And in bf16: a deployment served in another precision runs on the roofline.
  require_same(path_, "activation_bytes", llm_.activation_bytes, m.activation_bytes, n);
  require_same(path_, "kv_bytes", llm_.kv_bytes, m.kv_bytes, n);
  if (llm_.gemm_precision != m.gemm_precision) {
    throw ProfileError(path_, "/model", "a deployment served in " + m.gemm_precision + " (the profile's precision)",
                       "GEMMs in " + llm_.gemm_precision);
  }
  if (tp_ != profile_.tensor_parallel) {
    throw ProfileError(path_, "/tensor_parallel", std::to_string(tp_) + " (the deployment's tensor parallelism)",
                       std::to_string(profile_.tensor_parallel));
  }
  if (tp_ > 1 && !(gpu.interconnect_gb_per_s > 0.0))
    throw std::invalid_argument("tensor parallelism needs a positive interconnect bandwidth");
  if (!(iteration_overhead_ms >= 0.0) || !(per_sequence_overhead_us >= 0.0))
    throw std::invalid_argument("iteration overhead must be >= 0");
  for (Operator op : fitted_operators()) {
    auto it = profile_.fits.find(op);
    if (it == profile_.fits.end())
      throw ProfileError(path_, "/fit/" + std::string(operator_name(op)), "a fitted cost", "nothing");
    fits_[static_cast<std::size_t>(op)] = it->second;
  }
  kernels_ = gpu.kernels;
  link_gb_per_s_ = gpu.interconnect_gb_per_s;
  overhead_s_ = (iteration_overhead_ms > 0.0 ? iteration_overhead_ms : profile_.iteration_overhead_ms) * 1e-3;
  per_sequence_s_ = per_sequence_overhead_us * 1e-6;
}

IterationCost CalibratedModel::iteration(std::int64_t decode_seqs, std::span<const PrefillChunk> prefills) const {
  IterationCost total;
  if (decode_seqs == 0 && prefills.empty()) return total;
  const IterationWork work = iteration_work(llm_, tp_, decode_seqs, prefills);
  for (const OperatorWork& w : work) {
    if (w.count <= 0.0) continue;
    double launch_s = 0.0;
    if (w.op == Operator::kAllReduce) {
      launch_s = all_reduce_seconds(kernels_, link_gb_per_s_, tp_, w.bytes);
    } else {
      const OperatorFit& f = fits_[static_cast<std::size_t>(w.op)];
      if (w.op == Operator::kDecodeAttention) {
        launch_s = f.cost.seconds(w.flops, w.bytes);  // the tables are never used here
        total.per_context_token_s +=
            w.count * (f.cost.s_per_flop * w.flops_per_context_token + f.cost.s_per_byte * w.bytes_per_context_token);
      } else {
        launch_s = f.seconds(w.rows, w.flops, w.bytes);
      }
    }
    total.fixed_s += w.count * launch_s;
  }
  total.fixed_s += overhead_s_ + per_sequence_s_ * (static_cast<double>(decode_seqs) + static_cast<double>(prefills.size()));
  return total;
}

std::string CalibratedModel::provenance() const {
  std::ostringstream s;
  s << "calibration profile " << path_ << " (" << profile_.device.name << ", sm_" << profile_.device.compute_capability
    << ", driver " << profile_.device.driver_version << ", " << profile_.created_utc << ")";
  return s.str();
}

}  // namespace capstan::calibration
