// `capstan init [FILE]`: a commented starting scenario from a few choices
// (metros, interaction classes, GPU kind, peak users), asked on a terminal or
// given as flags, validated before it is written. The classes are
// consumer_world's (docs/scenarios/consumer_world.md), the metros the
// catalog's regions; every choice not asked is a default the file's
// "$comment" fields explain.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "models/catalog/catalog.h"
#include "models/input/json_reader.h"
#include "models/input/write_files.h"
#include "models/input_error.h"
#include "models/scenario/load.h"

namespace capstan::cli {

namespace {

using nlohmann::ordered_json;

// A metro: where players are, the catalog region that serves it, its time
// zone. Last mile 30 ms: the FCC's Measuring Broadband America medians are
// fibre 24 ms and cable 32 ms (docs/scenario.md); the metro's cloud region
// 8 ms away, as consumer_world's US East (docs/scenarios/consumer_world.md).
struct Metro {
  const char* name;
  const char* region;
  int utc_offset_h;
};
const Metro kMetros[] = {{"us-east", "us-east", -5},    {"us-west", "us-west", -8}, {"london", "eu-west", 0},
                         {"frankfurt", "eu-central", 1}, {"tokyo", "ap-northeast", 9}};

// A class: consumer_world's figures for it (docs/scenarios/consumer_world.md).
struct ClassTemplate {
  const char* name;
  const char* model;
  const char* comment;
  ordered_json body;  // the class's fields but name and deployment
  ordered_json engine;  // the deployment's fields but name, model, gpu, tensor_parallel
};

std::vector<ClassTemplate> class_templates() {
  auto lognormal = [](double mean, double cv, double lo, double hi) {
    return ordered_json{{"dist", "lognormal"}, {"mean", mean}, {"cv", cv}, {"min_value", lo}, {"max_value", hi}};
  };
  auto slo = [](const char* metric, double ms) {
    return ordered_json{{"metric", metric}, {"threshold_ms", ms}, {"percentile", 95}};
  };
  return {
      {"dialogue", "llama-3-8b",
       "NPC conversation: 20 turns per user-hour, each a 1,000-token persona, the last 6 turns and ~40 new tokens, "
       "~150 tokens out; the first token within 200 ms at p95, network included.",
       {{"rate_per_user_hour", 20},
        {"prompt_tokens", lognormal(40, 0.5, 4, 200)},
        {"output_tokens", lognormal(150, 0.3, 20, 250)},
        {"history", {{"persona_tokens", 1000}, {"max_turns", 6}}},
        {"priority", 1},
        {"slo", slo("ttft", 200)}},
       {{"max_running_seqs", 64}, {"max_batch_tokens", 2048}, {"max_model_len_tokens", 4096}, {"prefix_caching", true}}},
      {"reactive", "llama-3.2-1b",
       "NPC behaviour decisions: 60 per user-hour, ~120 tokens in, 4 out, done within 50 ms at p95 network included; "
       "popular ones repeat, so a response cache answers them without a GPU.",
       {{"rate_per_user_hour", 60},
        {"prompt_tokens", lognormal(120, 0.3, 30, 400)},
        {"output_tokens", {{"dist", "constant"}, {"value", 4}}},
        {"priority", 0},
        {"slo", slo("e2e", 50)},
        {"response_cache",
         {{"distinct_prompts", 50000}, {"zipf_s", 0.9}, {"capacity_entries", 10000}, {"ttl_s", 600}, {"hit_ms", 1}}}},
       {{"max_running_seqs", 64}, {"max_batch_tokens", 1024}, {"max_model_len_tokens", 2048}, {"prefix_caching", true}}},
      {"content", "llama-3-70b",
       "Procedural content (quests, item text): 2 per user-hour, ~600 tokens in and out, done within 60 s at p95.",
       {{"rate_per_user_hour", 2},
        {"prompt_tokens", lognormal(600, 0.4, 100, 2000)},
        {"output_tokens", lognormal(600, 0.5, 100, 2000)},
        {"priority", 2},
        {"slo", slo("e2e", 60000)}},
       {{"max_running_seqs", 128}, {"max_batch_tokens", 4096}, {"max_model_len_tokens", 8192}, {"prefix_caching", true}}},
      {"moderation", "toxic-bert",
       "Chat moderation: 6 lines per user-hour, ~60 tokens each, a BERT classifier's label within 1 s at p95.",
       {{"rate_per_user_hour", 6}, {"prompt_tokens", lognormal(60, 0.6, 5, 500)}, {"priority", 1}, {"slo", slo("e2e", 1000)}},
       {{"max_running_seqs", 256}, {"max_batch_tokens", 8192}, {"max_model_len_tokens", 512}, {"prefix_caching", false}}},
  };
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t\r") + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// A bad choice: exit 2 naming the flag, what it takes and what it got.
[[noreturn]] void refuse(const std::string& flag, const std::string& expected, const std::string& found) {
  throw InputError(flag, "", expected, found);
}

struct Choices {
  std::vector<std::string> metros{"us-east", "london", "tokyo"};
  std::vector<std::string> classes{"dialogue", "reactive", "content", "moderation"};
  std::string gpu = "h100";
  double users = 10000;
  std::string name = "my_world";
};

// Asks on the terminal for what no flag gave; an empty answer keeps the default.
void ask(const std::string& question, std::string& answer) {
  std::cerr << question << " [" << answer << "]: " << std::flush;
  std::string line;
  if (std::getline(std::cin, line)) {
    line.erase(0, line.find_first_not_of(" \t"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty()) answer = line;
  }
}

std::string joined(const std::vector<std::string>& items, const char* separator = ",") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : separator) + i;
  return out;
}

// The metro of that name (a name already checked against kMetros).
const Metro& metro_named(const std::string& name) {
  return *std::find_if(std::begin(kMetros), std::end(kMetros), [&](const Metro& m) { return name == m.name; });
}

// `chosen` (--metros, --classes): at least one, each once, each among `known`.
void check_choices(const std::string& flag, const std::string& one, const std::string& many,
                   const std::vector<std::string>& chosen, const std::vector<std::string>& known) {
  if (chosen.empty()) refuse(flag, "at least one " + one, "none");
  for (const auto& x : chosen) {
    if (std::count(chosen.begin(), chosen.end(), x) > 1) refuse(flag, "each " + one + " once", "\"" + x + "\" twice");
    if (std::find(known.begin(), known.end(), x) == known.end()) {
      refuse(flag, many + " among " + joined(known, ", "), input::quoted_with_suggestion(x, known));
    }
  }
}

ordered_json build(const Choices& c, const std::map<std::string, int>& tensor_parallel) {
  const auto templates = class_templates();
  ordered_json doc;
  doc["$comment"] =
      "Written by capstan init: a starting point to edit, not a plan. Each pool holds two replicas; "
      "`capstan plan` sizes them (docs/plan.md). Every field is in docs/scenario.md; $comment fields are ignored.";
  doc["name"] = c.name;
  doc["description"] = "A virtual world (" + joined(c.classes, ", ") + ") for " + input::format_number(c.users) +
                       " peak concurrent users in " + joined(c.metros, ", ") + ", on " + c.gpu + " GPUs.";
  doc["simulation"] = {{"$comment",
                        "Two hours from 00:00 UTC, the first one warm-up; three replications give each figure a 95% "
                        "interval. Set start_hour_utc to a metro's evening to measure its peak."},
                       {"duration_h", 2},
                       {"warmup_h", 1},
                       {"start_hour_utc", 0},
                       {"seed", 1},
                       {"replications", 3}};
  ordered_json origins = ordered_json::array();
  const double share = 1.0 / static_cast<double>(c.metros.size());
  double given = 0.0;
  for (std::size_t i = 0; i < c.metros.size(); ++i) {
    const Metro& m = metro_named(c.metros[i]);
    // Equal shares that sum to exactly 1.
    const double s = i + 1 == c.metros.size() ? 1.0 - given : share;
    given += s;
    origins.push_back({{"name", "metro-" + c.metros[i]}, {"share", s}, {"utc_offset_h", m.utc_offset_h},
                       {"last_mile_rtt_ms", 30}});
  }
  doc["workload"] = {
      {"$comment",
       "peak_users are concurrent; each metro's users follow the diurnal curve (the share of the peak by local hour) "
       "in its own time zone. The curve is consumer_world's; last_mile_rtt_ms 30 is between the FCC's fibre (24 ms) "
       "and cable (32 ms) medians."},
      {"peak_users", c.users == std::floor(c.users) ? ordered_json(static_cast<long long>(c.users)) : ordered_json(c.users)},
      {"diurnal", {0.34, 0.24, 0.16, 0.11, 0.08, 0.07, 0.08, 0.11, 0.16, 0.22, 0.28, 0.34,
                   0.41, 0.46, 0.5,  0.54, 0.59, 0.67, 0.78, 0.9,  1.0,  0.96, 0.78, 0.52}},
      {"session", {{"duration_min", {{"dist", "weibull"}, {"shape", 0.5}, {"scale", 20}, {"max_value", 720}}}}},
      {"origins", origins}};
  ordered_json classes = ordered_json::array(), deployments = ordered_json::array();
  for (const auto& name : c.classes) {
    const ClassTemplate& t = *std::find_if(templates.begin(), templates.end(), [&](const auto& x) { return name == x.name; });
    ordered_json cls = {{"$comment", t.comment}, {"name", t.name}};
    for (const auto& [k, v] : t.body.items()) cls[k] = v;
    cls["deployment"] = std::string(t.name) + "-" + c.gpu;
    classes.push_back(cls);
    ordered_json d = {{"name", std::string(t.name) + "-" + c.gpu}, {"model", t.model}, {"gpu", c.gpu},
                      {"tensor_parallel", tensor_parallel.at(t.name)}};
    for (const auto& [k, v] : t.engine.items()) d[k] = v;
    deployments.push_back(d);
  }
  doc["classes"] = classes;
  deployments.front()["$comment"] =
      "One deployment per class: its model on the chosen GPU, tensor-parallel over the fewest GPUs it fits on "
      "(docs/serving.md).";
  doc["deployments"] = deployments;
  ordered_json sites = ordered_json::array(), links = ordered_json::array();
  for (const auto& metro : c.metros) {
    const Metro& m = metro_named(metro);
    ordered_json pools = ordered_json::array();
    for (const auto& d : deployments) {
      const int tp = d["tensor_parallel"].get<int>();
      pools.push_back({{"name", d["name"]}, {"deployment", d["name"]}, {"gpus", 2 * tp}});
    }
    pools.front()["$comment"] = "Two replicas of each deployment: size them with capstan plan.";
    sites.push_back({{"name", "cloud-" + metro}, {"kind", "cloud"}, {"region", m.region}, {"pools", pools}});
    links.push_back({{"a", "metro-" + metro}, {"b", "cloud-" + metro}, {"rtt_ms", 8}});
  }
  sites.front()["$comment"] =
      "One cloud site per metro in its region, on-demand. Edge sites (kind edge), spot pools, autoscaling: "
      "docs/fleet.md.";
  doc["sites"] = sites;
  doc["network"] = {{"$comment",
                     "Each metro 8 ms from its site. Links between sites let requests spill over (docs/scenario.md)."},
                    {"links", links}};
  doc["routing"] = {{"policy", "latency_budget"}};
  return doc;
}

}  // namespace

void add_init(CLI::App& app, int& exit_code) {
  static std::string out_path = "scenario.json";
  static std::string metros, classes, gpu, name, users;
  static bool force = false;
  auto* cmd = app.add_subcommand("init", "Write a commented starting scenario from a few choices (asked on a terminal)");
  cmd->add_option("file", out_path, "Where to write it")->capture_default_str();
  cmd->add_option("--metros", metros, "Comma-separated: us-east, us-west, london, frankfurt, tokyo");
  cmd->add_option("--classes", classes, "Comma-separated: dialogue, reactive, content, moderation");
  cmd->add_option("--gpu", gpu, "A GPU kind of the catalog (capstan catalog gpus)");
  cmd->add_option("--users", users, "Peak concurrent users");
  cmd->add_option("--name", name, "The scenario's name");
  cmd->add_flag("--force", force, "Replace the file if it exists");
  cmd->callback([&exit_code] {
    exit_code = guarded([] {
      Choices c;
      const bool terminal = isatty(STDIN_FILENO) != 0;
      std::string m = metros.empty() ? joined(c.metros) : metros, k = classes.empty() ? joined(c.classes) : classes;
      std::string g = gpu.empty() ? c.gpu : gpu, u = users.empty() ? "10000" : users;
      if (terminal) {
        if (metros.empty()) ask("metros (us-east, us-west, london, frankfurt, tokyo)", m);
        if (classes.empty()) ask("interaction classes (dialogue, reactive, content, moderation)", k);
        if (gpu.empty()) ask("GPU kind (capstan catalog gpus)", g);
        if (users.empty()) ask("peak concurrent users", u);
      }
      c.metros = split(m);
      c.classes = split(k);
      c.gpu = g;
      if (!name.empty()) c.name = name;
      std::vector<std::string> metro_names, class_names;
      for (const Metro& x : kMetros) metro_names.push_back(x.name);
      for (const auto& t : class_templates()) class_names.push_back(t.name);
      check_choices("--metros", "metro", "metros", c.metros, metro_names);
      check_choices("--classes", "class", "classes", c.classes, class_names);
      const auto& catalog = catalog::Catalog::builtin();
      if (!catalog.gpu(c.gpu)) {
        refuse("--gpu", "a GPU kind of the catalog", input::quoted_with_suggestion(c.gpu, catalog.gpu_names()));
      }
      char* end = nullptr;
      c.users = std::strtod(u.c_str(), &end);
      if (u.empty() || *end != '\0' || !(c.users >= 1 && c.users <= 5e7)) {
        refuse("--users", "a number of peak concurrent users in [1, 50000000]", "\"" + u + "\"");
      }
      if (!force && std::filesystem::exists(out_path)) {
        refuse(out_path, "a file that does not exist yet (--force replaces it)", "an existing file");
      }
      // Each deployment on the fewest GPUs its model fits on: the validator decides.
      std::map<std::string, int> tp;
      for (const auto& x : c.classes) tp[x] = 1;
      for (int attempt = 0;; ++attempt) {
        const ordered_json doc = build(c, tp);
        try {
          scenario::load_text(doc.dump(), out_path);
        } catch (const scenario::ScenarioError& e) {
          std::vector<Issue> issues{{e.pointer(), e.expected(), e.found()}};
          issues.insert(issues.end(), e.more().begin(), e.more().end());
          bool grew = false;
          for (const Issue& i : issues) {
            // "/deployments/N": the model does not fit its GPUs; twice the GPUs, up to 8.
            const std::string prefix = "/deployments/";
            if (i.pointer.rfind(prefix, 0) != 0 || i.pointer.find('/', prefix.size()) != std::string::npos) continue;
            const std::string cls = c.classes.at(std::stoul(i.pointer.substr(prefix.size())));
            if (tp[cls] >= 8) {
              refuse("--gpu", "a GPU that " + cls + "'s model fits on 8 of", c.gpu + ": " + i.found);
            }
            tp[cls] *= 2;
            grew = true;
          }
          if (!grew || attempt > 8) throw;
          continue;
        }
        input::write_files({{out_path, doc.dump(2) + "\n"}});
        std::cout << "wrote " << out_path << ": " << c.classes.size() << " class(es) in " << c.metros.size()
                  << " metro(s) on " << c.gpu << "; next: capstan run " << out_path << ", then capstan plan "
                  << out_path << "\n";
        return 0;
      }
    });
  });
}

}  // namespace capstan::cli
