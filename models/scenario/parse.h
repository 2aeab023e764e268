#pragma once
// Internal to the scenario loader: one reader per section of the JSON
// document. Each fills defaults into the document it reads (so the document
// becomes canonical) and throws input::FieldError on the first problem.
#include <string>

#include <nlohmann/json.hpp>

#include "models/catalog/catalog.h"
#include "models/input/json_reader.h"
#include "models/scenario/scenario.h"

namespace capstan::scenario::detail {

// Limits that keep hostile input from allocating without bound.
inline constexpr std::size_t kMaxOrigins = 1000;
inline constexpr std::size_t kMaxSites = 1000;
inline constexpr std::size_t kMaxClasses = 100;
inline constexpr std::int64_t kMaxDistinctPrompts = 1'000'000;  // per class with a response cache
// Time-series cells (intervals x classes), each holding a latency histogram.
inline constexpr double kMaxSeriesCells = 50000;
inline constexpr std::size_t kMaxDeployments = 100;
inline constexpr std::size_t kMaxPoolsPerSite = 100;
inline constexpr std::size_t kMaxLinks = 20000;  // Dijkstra runs once per origin
inline constexpr double kMaxPoolGpus = 100000;
inline constexpr double kMaxTotalGpus = 1000000;
inline constexpr double kMaxReplayedRows = 2e8;  // rows a looped request trace sends in one run

// The whole document, cross-checks included. `base_dir` resolves relative
// profile paths ("" for in-memory documents).
Scenario parse_document(nlohmann::json& doc, const std::string& base_dir);

Distribution parse_distribution(nlohmann::json& value, const std::string& pointer);
Simulation parse_simulation(input::Object o);
Workload parse_workload(input::Object o);
std::vector<Deployment> parse_deployments(nlohmann::json& list, const std::string& pointer,
                                          const catalog::Catalog& catalog, const std::string& base_dir);
std::vector<InteractionClass> parse_classes(nlohmann::json& list, const std::string& pointer,
                                            const std::vector<Deployment>& deployments, const std::string& base_dir);
// Reads trace.path into trace.rows and trace.sha256; throws ScenarioError
// naming the trace file and the line.
void read_request_trace(RequestTrace& trace);
std::vector<Site> parse_sites(nlohmann::json& list, const std::string& pointer, const catalog::Catalog& catalog,
                              const std::vector<Deployment>& deployments, const std::string& base_dir);
// A pool's lifecycle fields (cold start, autoscaling, spot notice,
// interruptions, replacement), with the defaults of the site's cloud.
void parse_lifecycle(input::Object& o, Pool& p, const Deployment& d, const std::string& cloud,
                     const std::string& base_dir);
std::vector<Link> parse_links(input::Object network, const Scenario& scenario);
Routing parse_routing(input::Object o);
Cost parse_cost(input::Object o);

// Cross-checks that need the whole scenario: names unique across origins and
// sites, every origin reaching a site that serves each class it sends.
void check_reachability(const Scenario& scenario);
// Bounds the work of the fleet's changes, as --max-memory bounds memory: spot reclaims in the run, and an
// autoscaler's looks at its nodes.
void check_fleet_work(const Scenario& scenario);
inline constexpr double kMaxReclaims = 1e7;
inline constexpr double kMaxAutoscaleLooks = 5e9;

// The option that names `value`, for options listed in the order of its enum:
// how an enumerated field takes its default from the struct in scenario.h.
template <typename Enum>
const std::string& option_of(const std::vector<std::string>& options, Enum value) {
  return options.at(static_cast<std::size_t>(value));
}

// "expected a name not used before" when `name` is already in `seen` (name -> pointer).
void check_unique(std::map<std::string, std::string>& seen, const std::string& name, const std::string& pointer);

// While errors are collected (input::ErrorCollector): an item (a deployment,
// an origin, a site) that failed to read is marked by its "name", and an item
// whose `field` names a marked one is skipped, its errors following from that one's.
void mark_broken(const nlohmann::json& item);
bool refers_to_broken(const nlohmann::json& item, const char* field);

}  // namespace capstan::scenario::detail
