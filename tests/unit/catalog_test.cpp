// The built-in catalog: required entries, figures against their sources,
// lookups and scenario overrides.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "models/catalog/catalog.h"
#include "models/input/json_reader.h"

using capstan::catalog::Catalog;
using capstan::input::FieldError;
using nlohmann::json;

TEST_CASE("the built-in catalog holds the GPUs and models the issue names", "[catalog]") {
  const Catalog& c = Catalog::builtin();
  for (const char* gpu : {"h100", "h200", "a100-80gb", "l40s", "l4", "a10g"}) {
    INFO(gpu);
    const auto* g = c.gpu(gpu);
    REQUIRE(g);
    CHECK(g->memory_gib > 0);
    CHECK(g->bf16_tflops > 0);
    CHECK(g->hbm_tb_per_s > 0);
    CHECK(g->interconnect_gb_per_s > 0);
    CHECK(g->price.spot_usd_per_hour < g->price.on_demand_usd_per_hour);
    CHECK_FALSE(g->source.empty());
    CHECK_FALSE(g->price_note.empty());
    CHECK(g->price_by_region.size() >= 3);
  }
  for (const char* model : {"llama-3-8b", "llama-3-70b", "llama-3.2-1b", "llama-3.2-3b", "toxic-bert"}) {
    INFO(model);
    REQUIRE(c.llm(model));
    CHECK_FALSE(c.llm(model)->source.empty());
  }
  CHECK(c.llm("toxic-bert")->classifier);
  CHECK(c.llm("toxic-bert")->num_labels == 6);
}

TEST_CASE("catalog figures agree with the datasheets and the published configs", "[catalog]") {
  const Catalog& c = Catalog::builtin();
  const auto& h100 = *c.gpu("h100");
  CHECK(h100.bf16_tflops == 989);
  CHECK(h100.hbm_tb_per_s == 3.35);
  CHECK(c.gpu("h200")->hbm_tb_per_s == 4.8);
  CHECK(h100.price.on_demand_usd_per_hour == 3.00);
  CHECK(h100.price.spot_usd_per_hour == 2.25);
  CHECK(c.gpu("a10g")->price.on_demand_usd_per_hour == 1.01);
  // Parameter counts as published: 8.03B, 70.6B, 1.24B, 3.21B, about 110M.
  CHECK(c.llm("llama-3-8b")->parameters() == Approx(8.03e9).epsilon(0.005));
  CHECK(c.llm("llama-3-70b")->parameters() == Approx(70.55e9).epsilon(0.005));
  CHECK(c.llm("llama-3.2-1b")->parameters() == Approx(1.236e9).epsilon(0.01));
  CHECK(c.llm("llama-3.2-3b")->parameters() == Approx(3.213e9).epsilon(0.01));
  CHECK(c.llm("toxic-bert")->parameters() == Approx(109.5e6).epsilon(0.02));
  // Llama-3-8B: 128 KiB of KV cache per token (8 KV heads x 128 dims x 32 layers x 2 x 2 bytes), 16 GB of bf16 weights.
  CHECK(c.llm("llama-3-8b")->kv_bytes_per_token() == 131072.0);
  CHECK(c.llm("llama-3-8b")->weight_bytes() == Approx(16.06e9).epsilon(0.005));
}

TEST_CASE("catalog lookups are case-insensitive and names are canonical lowercase", "[catalog]") {
  const Catalog& c = Catalog::builtin();
  REQUIRE(c.gpu("H100"));
  CHECK(c.gpu("H100")->name == "h100");
  CHECK(c.llm("Llama-3-8B") == c.llm("llama-3-8b"));
  CHECK(c.gpu("h100-pcie") == nullptr);
  CHECK(c.llm("gpt-5") == nullptr);
  CHECK(c.has_region("US-East"));
  CHECK_FALSE(c.has_region("mars-1"));
  const auto names = c.gpu_names();
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(std::find(names.begin(), names.end(), "l40s") != names.end());
}

TEST_CASE("regional prices, with the default elsewhere", "[catalog]") {
  const auto& h100 = *Catalog::builtin().gpu("h100");
  CHECK(h100.price_in("eu-west").on_demand_usd_per_hour > h100.price_in("us-east").on_demand_usd_per_hour);
  CHECK(h100.price_in("nowhere").on_demand_usd_per_hour == h100.price.on_demand_usd_per_hour);
}

TEST_CASE("overrides replace fields of an entry or add entries", "[catalog]") {
  const Catalog& base = Catalog::builtin();
  const json overrides = {
      {"regions", {{"on-prem", "our own data centre"}}},
      {"gpus",
       {{"H100", {{"memory_gib", 60}, {"price_by_region", {{"on-prem", {{"on_demand_usd_per_hour", 1.2}, {"spot_usd_per_hour", 0}}}}}}},
        {"our-accelerator",
         {{"memory_gib", 192},
          {"bf16_tflops", 1307},
          {"hbm_tb_per_s", 5.3},
          {"interconnect_gb_per_s", 448},
          {"sm_count", 304},
          {"price", {{"on_demand_usd_per_hour", 3.5}, {"spot_usd_per_hour", 2.0}}},
          {"source", "our vendor's datasheet"}}}}},
      {"models", {{"llama-3-8b", {{"bytes_per_param", 1}}}}}};
  const Catalog c = base.with_overrides(overrides, "/catalog");
  CHECK(c.gpu("h100")->memory_gib == 60);
  CHECK(c.gpu("h100")->bf16_tflops == 989);  // untouched fields stay
  CHECK(c.gpu("h100")->price_in("on-prem").on_demand_usd_per_hour == 1.2);
  REQUIRE(c.gpu("our-accelerator"));
  CHECK(c.gpu("our-accelerator")->memory_gib == 192);
  CHECK(c.llm("llama-3-8b")->weight_bytes() == Approx(8.03e9).epsilon(0.005));  // fp8
  CHECK(base.gpu("h100")->memory_gib == 79.6);  // the built-in catalog is unchanged
  CHECK(base.gpu("our-accelerator") == nullptr);
  CHECK(base.gpu("mi300x")->memory_gib == 191.7);
}

TEST_CASE("bad catalog overrides fail at their pointer", "[catalog]") {
  const Catalog& base = Catalog::builtin();
  auto pointer_of = [&](const json& overrides) {
    try {
      base.with_overrides(overrides, "/catalog");
    } catch (const FieldError& e) {
      return e.pointer;
    }
    return std::string("no error");
  };
  CHECK(pointer_of({{"gpus", {{"h100", {{"memory_gb", 60}}}}}}) == "/catalog/gpus/h100/memory_gb");
  CHECK(pointer_of({{"gpus", {{"h100", {{"memory_gib", -1}}}}}}) == "/catalog/gpus/h100/memory_gib");
  CHECK(pointer_of({{"gpus", {{"new-gpu", {{"memory_gib", 10}}}}}}) == "/catalog/gpus/new-gpu/bf16_tflops");
  CHECK(pointer_of({{"models", {{"llama-3-8b", {{"kv_heads", 7}}}}}}) == "/catalog/models/llama-3-8b/kv_heads");
  CHECK(pointer_of({{"gpus", {{"h100", {{"price_by_region", {{"us-eats", {{"on_demand_usd_per_hour", 1}, {"spot_usd_per_hour", 1}}}}}}}}}}) ==
        "/catalog/gpus/h100/price_by_region/us-eats");
  CHECK(pointer_of({{"gpu", json::object()}}) == "/catalog/gpu");
  CHECK(pointer_of({{"gpus", {{"h100", {{"kernels", {{"gemm", {{"flops_share", 2.0}}}}}}}}}}) ==
        "/catalog/gpus/h100/kernels/gemm/flops_share");
  CHECK(pointer_of({{"gpus", {{"h100", {{"kernels", {{"decode", json::object()}}}}}}}}) ==
        "/catalog/gpus/h100/kernels/decode");
  CHECK(pointer_of({{"gpus", {{"h100", {{"kernels", {{"gemm", {{"tiles", {{64}}}}}}}}}}}}) ==
        "/catalog/gpus/h100/kernels/gemm/tiles/0");
  CHECK(pointer_of({{"gpus", {{"h100", {{"sm_count", 0}}}}}}) == "/catalog/gpus/h100/sm_count");
  // A dense model has no expert fields; a mixture of experts routes to at most its experts.
  CHECK(pointer_of({{"models", {{"llama-3-8b", {{"experts_per_token", 2}}}}}}) ==
        "/catalog/models/llama-3-8b/experts_per_token");
  CHECK(pointer_of({{"models", {{"mixtral-8x7b", {{"experts_per_token", 9}}}}}}) ==
        "/catalog/models/mixtral-8x7b/experts_per_token");
  CHECK(pointer_of({{"models", {{"mixtral-8x7b", {{"expert_intermediate", 0}}}}}}) ==
        "/catalog/models/mixtral-8x7b/expert_intermediate");
  CHECK(pointer_of({{"gpus", {{"h100", {{"kernels", {{"interconnect", {{"large_share", 2}}}}}}}}}}) ==
        "/catalog/gpus/h100/kernels/interconnect/large_share");
  CHECK(pointer_of({{"gpus", {{"h100", {{"kernels", {{"interconnect", {{"large_message_mib", 0}}}}}}}}}}) ==
        "/catalog/gpus/h100/kernels/interconnect/large_message_mib");
}

TEST_CASE("every catalog GPU has its kernel figures, with sources", "[catalog]") {
  const Catalog& c = Catalog::builtin();
  for (const std::string& name : c.gpu_names()) {
    INFO(name);
    const auto& g = *c.gpu(name);
    CHECK(g.sm_count > 0);
    for (const char* group : {"gemm", "elementwise", "prefill_attention", "decode_attention", "interconnect"}) {
      INFO(group);
      REQUIRE(g.kernels.sources.count(group));
      CHECK(g.kernels.sources.at(group).size() > 20);
    }
  }
  // Not H100's everywhere: the A100's GEMM and attention shares are its own.
  CHECK(c.gpu("a100-80gb")->kernels.gemm_flops_share != c.gpu("h100")->kernels.gemm_flops_share);
  CHECK(c.gpu("a100-80gb")->kernels.prefill_flops_share != c.gpu("h100")->kernels.prefill_flops_share);
}

TEST_CASE("a GPU's kernel figures merge group by group over the defaults", "[catalog]") {
  const Catalog& base = Catalog::builtin();
  const json overrides = {
      {"gpus",
       {{"h100", {{"kernels", {{"gemm", {{"flops_share", 0.5}}}}}}},
        {"new-gpu",
         {{"memory_gib", 48}, {"bf16_tflops", 200}, {"hbm_tb_per_s", 1}, {"interconnect_gb_per_s", 32},
          {"sm_count", 100}, {"kernels", {{"elementwise", {{"launch_floor_us", 2.0}}}}},
          {"price", {{"on_demand_usd_per_hour", 1}, {"spot_usd_per_hour", 0.5}}}, {"source", "test"}}}}}};
  const Catalog c = base.with_overrides(overrides, "/catalog");
  const auto& h100 = c.gpu("h100")->kernels;
  CHECK(h100.gemm_flops_share == 0.5);
  CHECK(h100.gemm_bandwidth_share == base.gpu("h100")->kernels.gemm_bandwidth_share);  // the rest of the group stays
  CHECK(h100.decode_floor_us == base.gpu("h100")->kernels.decode_floor_us);
  // The built-in all-reduce: its own floor, NCCL's share past 8 MiB.
  const auto& k = base.gpu("h100")->kernels;
  CHECK(k.all_reduce_floor_us != k.launch_floor_us);
  CHECK(k.all_reduce_large_message_bytes == 8.0 * 1024 * 1024);
  CHECK(k.interconnect_large_share > k.interconnect_share);
  // A new GPU takes default_kernels' groups, and its own where it gives them.
  const auto& fresh = c.gpu("new-gpu")->kernels;
  CHECK(fresh.launch_floor_us == 2.0);
  CHECK(fresh.elementwise_bandwidth_share == base.gpu("h100")->kernels.elementwise_bandwidth_share);
  CHECK(!fresh.has_fa3);  // no FlashAttention-3 figures unless the GPU gives them
  CHECK(c.gpu("new-gpu")->architecture == "other");
  CHECK(fresh.prefill_tile_rows == 128);
  CHECK(c.gpu("new-gpu")->sm_count == 100);
}
