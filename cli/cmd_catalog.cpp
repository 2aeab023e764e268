// `capstan catalog [gpus|models|engines|regions|clouds|instances]`: the compiled-in catalogs
// with their prices, figures and sources, as a table or as JSON.
// `capstan catalog import config.json`: a Hugging Face config as a catalog
// model entry, with the parameters it holds and runs per token.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "models/catalog/catalog.h"
#include "models/catalog/embedded.h"
#include "models/catalog/hf_config.h"

namespace capstan::cli {

namespace {

using nlohmann::ordered_json;

ordered_json document(const char* file) {
  for (const auto& f : catalog::embedded_files()) {
    if (std::string_view(f.name) == file) return ordered_json::parse(f.text);
  }
  throw std::logic_error(std::string("capstan: no compiled-in ") + file);
}

std::string cut(const std::string& s, std::size_t n) { return s.size() <= n ? s : s.substr(0, n - 3) + "..."; }

void print_gpus(const ordered_json& gpus) {
  std::printf("%-10s %8s %10s %8s %10s %9s  %s\n", "gpu", "mem GiB", "bf16 TF/s", "HBM TB/s", "$/h on-dem", "$/h spot",
              "source");
  for (const auto& [name, g] : gpus.items()) {
    std::printf("%-10s %8.1f %10.0f %8.2f %10.2f %9.2f  %s\n", name.c_str(), g["memory_gib"].get<double>(),
                g["bf16_tflops"].get<double>(), g["hbm_tb_per_s"].get<double>(),
                g["price"]["on_demand_usd_per_hour"].get<double>(), g["price"]["spot_usd_per_hour"].get<double>(),
                cut(g.value("source", ""), 90).c_str());
    if (g.contains("price_by_region")) {
      std::string regions;
      for (const auto& [region, p] : g["price_by_region"].items()) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "%s%s %.2f/%.2f", regions.empty() ? "" : ", ", region.c_str(),
                      p["on_demand_usd_per_hour"].get<double>(), p["spot_usd_per_hour"].get<double>());
        regions += buf;
      }
      std::printf("%-10s by region (on-demand/spot $/h): %s\n", "", regions.c_str());
    }
  }
}

void print_models(const ordered_json& models) {
  std::printf("%-22s %6s %6s %5s %4s %8s  %s\n", "model", "layers", "hidden", "heads", "kv", "context", "source");
  for (const auto& [name, m] : models.items()) {
    std::printf("%-22s %6d %6d %5d %4d %8d  %s\n", name.c_str(), m["layers"].get<int>(), m["hidden"].get<int>(),
                m["heads"].get<int>(), m["kv_heads"].get<int>(), m.value("max_context_tokens", 8192),
                cut(m.value("source", ""), 90).c_str());
  }
}

void print_regions(const ordered_json& regions) {
  for (const auto& [name, text] : regions.items()) std::printf("%-14s %s\n", name.c_str(), text.get<std::string>().c_str());
}

void print_clouds(const ordered_json& doc) {
  std::printf("%-8s %9s %8s  %s\n", "cloud", "notice s", "boot s", "source");
  for (const auto& [name, c] : doc["clouds"].items()) {
    std::printf("%-8s %9.0f %8.0f  %s\n", name.c_str(), c["spot_notice_s"].get<double>(), c["node_boot_s"].get<double>(),
                cut(c.value("source", ""), 90).c_str());
  }
  const auto& e = doc["engine"];
  std::printf("engine: weights read at %.3g GB/s, %.3g s to start; %s\n", e["weight_load_gb_per_s"].get<double>(),
              e["engine_start_s"].get<double>(), cut(e.value("source", ""), 200).c_str());
}

void print_engines(const ordered_json& doc) {
  std::printf("%-13s %-8s %10s %6s %7s %9s %8s %9s %9s\n", "engine", "version", "graphs tok", "mixed", "overlap",
              "launch us", "iter ms", "req ms", "stream us");
  for (const auto& [name, e] : doc["engines"].items()) {
    const auto& g = e["cuda_graphs"];
    const auto& h = e["host"];
    const auto& f = e["frontend"];
    std::printf("%-13s %-8s %10d %6s %7s %9.3g %8.3g %9.3g %9.3g\n", name.c_str(), e.value("version", "").c_str(),
                g["max_tokens"].get<int>(), g.value("mixed", false) ? "yes" : "no",
                h.value("overlap", false) ? "yes" : "no", h["launch_us"].get<double>(), h["iteration_ms"].get<double>(),
                f["request_ms"].get<double>(), f["stream_us"].get<double>());
  }
  std::printf("default: %s (engines.json has every figure's source)\n", doc["default"].get<std::string>().c_str());
}

// A price cell: "-" where the cloud does not sell that basis there.
std::string price_cell(const ordered_json& prices, const char* basis) {
  if (!prices.contains(basis)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", prices[basis].get<double>());
  return buf;
}

void print_instances(const ordered_json& instances) {
  std::printf("%-26s %-7s %-10s %4s %5s %8s %-6s %7s  %-40s  %s\n", "instance", "cloud", "gpu", "gpus", "vcpus",
              "mem GiB", "link", "net Gb/s", "$/h on-demand/spot/1y/3y (region)", "regions");
  for (const auto& [name, in] : instances.items()) {
    std::string first, regions;
    if (in.contains("prices")) {
      for (const auto& [region, p] : in["prices"].items()) {
        if (first.empty()) {
          first = price_cell(p, "on_demand") + "/" + price_cell(p, "spot") + "/" + price_cell(p, "reserved_1y") + "/" +
                  price_cell(p, "reserved_3y") + " (" + region + ")";
        }
        regions += (regions.empty() ? "" : ",") + region;
      }
    } else {
      first = "owned";
    }
    std::printf("%-26s %-7s %-10s %4d %5.0f %8.0f %-6s %7.0f  %-40s  %s\n", in.value("api_name", name).c_str(),
                in["cloud"].get<std::string>().c_str(), in["gpu"].get<std::string>().c_str(), in["gpus"].get<int>(),
                in.value("vcpus", 0.0), in.value("memory_gib", 0.0), in.value("gpu_interconnect", "pcie").c_str(),
                in.value("network_gbps", 0.0), first.c_str(), regions.c_str());
  }
  std::printf("(instances.json holds every figure's source and how each price was sampled; 0: not stated)\n");
}

}  // namespace

void add_catalog(CLI::App& app, int& exit_code) {
  static std::string what = "all";
  static std::string format = "table";
  auto* cmd = app.add_subcommand("catalog", "List the built-in GPUs, models, engines, regions, clouds and instance types with prices and sources");
  cmd->add_option("what", what, "gpus, models, engines, regions, clouds, instances or all")
      ->check(CLI::IsMember({"all", "gpus", "models", "engines", "regions", "clouds", "instances"}))
      ->capture_default_str();
  cmd->add_option("--format", format, "table or json")->check(CLI::IsMember({"table", "json"}))->capture_default_str();
  cmd->callback([cmd, &exit_code] {
    if (cmd->got_subcommand("import")) return;  // its own callback answered
    exit_code = guarded([] {
      const ordered_json gpus_doc = document("gpus.json");
      const ordered_json models_doc = document("models.json");
      const ordered_json clouds_doc = document("clouds.json");
      const ordered_json engines_doc = document("engines.json");
      const ordered_json instances_doc = document("instances.json");
      ordered_json out = ordered_json::object();
      if (what == "all" || what == "gpus") out["gpus"] = gpus_doc["gpus"];
      if (what == "all" || what == "models") out["models"] = models_doc["models"];
      if (what == "all" || what == "engines") out["engines"] = engines_doc;
      if (what == "all" || what == "regions") out["regions"] = gpus_doc["regions"];
      if (what == "all" || what == "clouds") out["clouds"] = clouds_doc;
      if (what == "all" || what == "instances") out["instances"] = instances_doc["instances"];
      if (format == "json") {
        std::cout << (what == "all" ? out : out.begin().value()).dump(2) << "\n";
        return 0;
      }
      bool first = true;
      for (const auto& [kind, entries] : out.items()) {
        if (!first) std::printf("\n");
        first = false;
        if (kind == "gpus") print_gpus(entries);
        if (kind == "models") print_models(entries);
        if (kind == "engines") print_engines(entries);
        if (kind == "regions") print_regions(entries);
        if (kind == "clouds") print_clouds(entries);
        if (kind == "instances") print_instances(entries);
      }
      std::fflush(stdout);
      return 0;
    });
  });

  static std::string config_path;
  auto* import = cmd->add_subcommand(
      "import", "Print a Hugging Face config.json as a catalog model entry (for a scenario's catalog.models), "
                "with total_parameters and active_parameters");
  import->add_option("config", config_path, "the model's config.json")->required();
  import->callback([&exit_code] {
    exit_code = guarded([] {
      nlohmann::json entry = catalog::model_entry_from_hf_config_file(config_path);
      // Read back through the catalog: the entry is valid as printed, and the
      // parameters are the ones capstan prices.
      const catalog::Catalog c =
          catalog::Catalog::builtin().with_overrides({{"models", {{"imported", entry}}}}, "/catalog");
      const catalog::LlmSpec& m = *c.llm("imported");
      entry["total_parameters"] = m.parameters();
      entry["active_parameters"] = m.active_parameters();
      std::cout << entry.dump(2) << "\n";
      return 0;
    });
  });
}

}  // namespace capstan::cli
