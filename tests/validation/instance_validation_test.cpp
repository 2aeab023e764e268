// Pools of instances: the catalog's instance types, the instance a pool
// picks (against a brute-force search of the catalog), nodes that carry
// several replicas, and billing by basis (on demand and spot by the second,
// reserved and owned for the pool's largest size whether used or not),
// each against a hand computation.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/catalog/catalog.h"
#include "models/cost/monthly.h"
#include "models/input_error.h"
#include "models/scenario/load.h"
#include "models/world/prepared.h"
#include "models/world/world.h"
#include "sim/replication.h"
#include "tests/support/figures.h"
#include "tests/support/one_pool_world.h"

using namespace capstan;
using nlohmann::json;

namespace {

using testing::figure;

// One pool of Llama-3.2-1B (or a larger model) at a site "site" of `cloud`.
json instance_world(const std::string& cloud, const std::string& gpu, int tensor_parallel, int gpus) {
  json doc = testing::one_pool_world("site", cloud);
  doc["deployments"][0]["gpu"] = gpu;
  doc["deployments"][0]["tensor_parallel"] = tensor_parallel;
  doc["sites"][0]["pools"][0]["gpus"] = gpus;
  return doc;
}

json& pool(json& doc) { return doc["sites"][0]["pools"][0]; }

scenario::Scenario load(const json& doc) { return scenario::load_json(doc, "instances.json"); }

std::vector<world::ReplicationResult> run(const json& doc, int replications) {
  const world::Prepared prepared(load(doc));
  return sim::run_replications<world::ReplicationResult>(
      replications, 0, [&](int r) { return world::simulate(prepared, 5, r); });
}

InputError refusal(const json& doc) {
  try {
    load(doc);
  } catch (const InputError& e) {
    return e;
  }
  FAIL("the scenario was accepted");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("every built-in instance names a catalog GPU, its cloud's spelling and ordered prices with sources",
          "[instances][catalog]") {
  const auto& c = catalog::Catalog::builtin();
  REQUIRE(c.instances().size() >= 30);
  for (const std::string cloud : {"aws", "gcp", "azure"}) {
    int of_cloud = 0;
    for (const auto& [name, in] : c.instances()) of_cloud += in.cloud == cloud;
    CHECK(of_cloud >= 5);
  }
  for (const auto& [name, in] : c.instances()) {
    INFO(name);
    CHECK(in.name == name);
    CHECK(catalog::canonical_name(in.api_name) == name);
    REQUIRE(c.gpu(in.gpu) != nullptr);
    CHECK(in.gpus >= 1);
    CHECK(!in.source.empty());
    CHECK(!in.price_note.empty());
    REQUIRE(in.price_in("us-east") != nullptr);
    for (const auto& [region, p] : in.prices) {
      INFO(region);
      CHECK(c.has_region(region));
      const double on_demand = p.at(catalog::Basis::kOnDemand);
      CHECK(on_demand > 0.0);
      // A discount is a discount: spot and commitments cost less than on demand, three years less than one.
      if (p.offers(catalog::Basis::kSpot)) CHECK(p.at(catalog::Basis::kSpot) < on_demand);
      if (p.offers(catalog::Basis::kReserved1y)) CHECK(p.at(catalog::Basis::kReserved1y) < on_demand);
      if (p.offers(catalog::Basis::kReserved3y)) CHECK(p.at(catalog::Basis::kReserved3y) < on_demand);
      if (p.offers(catalog::Basis::kReserved1y) && p.offers(catalog::Basis::kReserved3y)) {
        CHECK(p.at(catalog::Basis::kReserved3y) < p.at(catalog::Basis::kReserved1y));
      }
      CHECK_FALSE(p.offers(catalog::Basis::kOwned));
    }
  }
  // The machines the clouds sell: AWS H100s come in ones and eights, never fours.
  CHECK(c.instance("p5.48xlarge")->gpus == 8);
  CHECK(c.instance("P5.48XLARGE") == c.instance("p5.48xlarge"));
  CHECK(c.instance("standard_nd96isr_h100_v5")->api_name == "Standard_ND96isr_H100_v5");
  for (const auto& [name, in] : c.instances()) {
    if (in.cloud == "aws" && in.gpu == "h100") CHECK((in.gpus == 1 || in.gpus == 8));
  }
}

TEST_CASE("a pool that names no instance gets the cheapest per replica that fits, found by brute force",
          "[instances]") {
  const auto& c = catalog::Catalog::builtin();
  struct Case {
    std::string cloud, gpu, model, basis;
    int tensor_parallel;
  };
  const std::vector<Case> cases = {
      {"aws", "h100", "llama-3-70b", "on_demand", 4}, {"aws", "h100", "llama-3.2-1b", "on_demand", 1},
      {"aws", "h100", "llama-3-70b", "spot", 4},      {"gcp", "h100", "llama-3-70b", "on_demand", 2},
      {"gcp", "l4", "llama-3.2-1b", "spot", 1},        {"azure", "a100-80gb", "llama-3-70b", "on_demand", 2},
      {"aws", "l40s", "llama-3.2-1b", "reserved_1y", 1}, {"aws", "a100-80gb", "llama-3-70b", "reserved_3y", 8},
  };
  for (const Case& k : cases) {
    INFO(k.cloud << " " << k.gpu << " x" << k.tensor_parallel << " " << k.basis);
    json doc = instance_world(k.cloud, k.gpu, k.tensor_parallel, k.tensor_parallel);
    doc["deployments"][0]["model"] = k.model;
    pool(doc)["capacity"] = k.basis;
    if (k.basis == "spot") pool(doc)["interruptions"] = {{"model", "poisson"}, {"per_node_hour", 0.01}};
    const scenario::Scenario s = load(doc);
    const scenario::Pool& p = s.sites[0].pools[0];
    // Every instance of the cloud carrying the GPU with room for a replica, priced at the basis in us-east.
    const catalog::Basis basis = p.basis;
    double best = std::numeric_limits<double>::infinity();
    std::string best_name;
    int best_gpus = 0;
    for (const auto& [name, in] : c.instances()) {
      if (in.cloud != k.cloud || in.gpu != k.gpu || in.gpus < k.tensor_parallel) continue;
      const auto* price = in.price_in("us-east");
      if (!price || !price->offers(basis)) continue;
      const double per_replica = price->at(basis) / (in.gpus / k.tensor_parallel);
      if (per_replica < best || (per_replica == best && in.gpus < best_gpus)) {
        best = per_replica;
        best_name = name;
        best_gpus = in.gpus;
      }
    }
    REQUIRE(!best_name.empty());
    CHECK(p.instance == best_name);
    CHECK(p.instance_picked);
    CHECK(p.gpus_per_node == best_gpus);
    CHECK(p.replicas_per_node == best_gpus / k.tensor_parallel);
    CHECK(p.usd_per_node_hour == c.instance(best_name)->price_in("us-east")->at(basis));
    CHECK_THAT(p.instance_note, Catch::Matchers::Contains("cheapest"));
    // The pool asked for one replica's GPUs; it gets one whole node.
    CHECK(p.gpus == best_gpus);
    CHECK(p.most_nodes() == 1);
  }
}

TEST_CASE("a node of eight GPUs runs eight replicas and is interrupted, replaced and billed as one", "[instances]") {
  // 16 GPUs of p5.48xlarge-like L4s: g6.48xlarge (8x L4) at tensor_parallel 1 carries 8 replicas a node.
  json doc = instance_world("aws", "l4", 1, 16);
  pool(doc)["instance"] = "g6.48xlarge";
  const world::Prepared prepared(load(doc));
  const scenario::Pool& p = prepared.scenario.sites[0].pools[0];
  CHECK(p.gpus_per_node == 8);
  CHECK(p.replicas_per_node == 8);
  CHECK(p.most_nodes() == 2);
  CHECK(prepared.fleet_nodes == 2);
  CHECK(prepared.fleet_replicas == 16);
  CHECK(prepared.replicas.size() == 16);  // a fixed on-demand pool: no slots for replacements
  const double usd = catalog::Catalog::builtin().instance("g6.48xlarge")->price_in("us-east")->at(catalog::Basis::kOnDemand);
  CHECK(prepared.fleet_usd_per_hour[static_cast<int>(catalog::Basis::kOnDemand)] == Approx(2 * usd));
  for (const auto& r : run(doc, 2)) {
    CHECK(figure(r, "/pools/site~1gpu/gpu_hours") == Approx(16.0));
    CHECK(figure(r, "/cost/breakdown_usd/gpu_on_demand") == Approx(2 * usd).epsilon(1e-12));
    CHECK(figure(r, "/sites/site/replicas") == Approx(16.0));
  }
}

TEST_CASE("interruptions come per instance, and an instance lost takes all its replicas", "[instances]") {
  // Spot g5.12xlarge (4x A10G) at tensor_parallel 1: 4 replicas a node, 3 nodes, reclaimed at 2 per node-hour.
  json doc = instance_world("aws", "a10g", 1, 12);
  doc["simulation"]["duration_h"] = 4;
  pool(doc)["instance"] = "g5.12xlarge";
  pool(doc)["capacity"] = "spot";
  pool(doc)["notice_s"] = 30;
  pool(doc)["interruptions"] = {{"model", "poisson"}, {"per_node_hour", 2.0}};
  pool(doc)["replacement"] = {{"delay_s", 60}};
  const double spot =
      catalog::Catalog::builtin().instance("g5.12xlarge")->price_in("us-east")->at(catalog::Basis::kSpot);
  double interruptions = 0.0, node_hours = 0.0;
  for (const auto& r : run(doc, 6)) {
    CHECK(r.arrived == r.completed + r.dropped + r.lost + r.in_flight);
    const double gpu_hours = figure(r, "/pools/site~1gpu/gpu_hours");
    interruptions += figure(r, "/pools/site~1gpu/interruptions");
    node_hours += gpu_hours / 4.0;
    // Billed per instance-hour at the instance's spot price.
    CHECK(figure(r, "/cost/breakdown_usd/gpu_spot") == Approx(gpu_hours / 4.0 * spot).epsilon(1e-9));
  }
  // Poisson: interruptions / node-hours estimates the rate per node (not per replica, which would be 4x).
  // With about 2 x 3 x 4 x 6 = 144 expected, the count's standard deviation is 12: 4 sigma is 48.
  const double expected = 2.0 * node_hours;
  CHECK(std::abs(interruptions - expected) < 4.0 * std::sqrt(expected));
}

TEST_CASE("reserved and owned pools are billed for their largest size whether used or not", "[instances]") {
  // A reserved pool autoscaled between one and three nodes of 8x H100 pays for three, the whole measured window.
  json doc = instance_world("aws", "h100", 1, 8);
  doc["simulation"]["duration_h"] = 2;
  doc["simulation"]["warmup_h"] = 0.5;
  pool(doc)["instance"] = "p5.48xlarge";
  pool(doc)["capacity"] = "reserved_1y";
  pool(doc)["autoscale"] = {{"min_gpus", 8}, {"max_gpus", 24}, {"metric", "queue_per_replica"}, {"target", 4}};
  const double reserved =
      catalog::Catalog::builtin().instance("p5.48xlarge")->price_in("us-east")->at(catalog::Basis::kReserved1y);
  for (const auto& r : run(doc, 2)) {
    CHECK(figure(r, "/cost/breakdown_usd/gpu_reserved_1y") == Approx(3 * reserved * 1.5).epsilon(1e-12));
    CHECK(figure(r, "/cost/breakdown_usd/gpu_on_demand") == 0.0);
    CHECK(figure(r, "/pools/site~1gpu/gpu_hours") == Approx(3 * 8 * 1.5));
    // Light load: the autoscaler keeps one node up, but three are paid for.
    CHECK(figure(r, "/pools/site~1gpu/ready_gpus_mean") < 24.0);
  }
  // Own hardware: capital over its years plus power and colocation a month, in the scenario's catalog.
  json owned = instance_world("generic", "h100", 1, 16);
  owned["catalog"] = {{"instances",
                       {{"rack-h100",
                         {{"cloud", "generic"}, {"gpu", "h100"}, {"gpus", 8}, {"capital_usd", 300000},
                          {"amortisation_years", 4}, {"power_usd_per_month", 700}, {"colocation_usd_per_month", 1900},
                          {"source", "a test's own figures"}}}}}};
  pool(owned)["instance"] = "rack-h100";
  const scenario::Scenario s = load(owned);
  const auto& p = s.sites[0].pools[0];
  CHECK(p.basis == catalog::Basis::kOwned);
  const double hourly = 300000.0 / (4 * 8760.0) + (700.0 + 1900.0) * 12.0 / 8760.0;
  CHECK(p.usd_per_node_hour == Approx(hourly).epsilon(1e-12));
  for (const auto& r : run(owned, 1)) {
    CHECK(figure(r, "/cost/breakdown_usd/gpu_owned") == Approx(2 * hourly).epsilon(1e-12));
  }
}

TEST_CASE("an instance a pool names must be of its cloud, GPU and region, sold on its basis, in whole nodes",
          "[instances][errors]") {
  auto expect = [](json doc, const std::string& pointer, const std::string& fragment) {
    const InputError e = refusal(doc);
    INFO(e.what());
    CHECK(e.pointer() == pointer);
    CHECK_THAT(std::string(e.what()), Catch::Matchers::Contains(fragment));
  };
  json doc = instance_world("aws", "h100", 4, 8);
  doc["deployments"][0]["model"] = "llama-3-70b";
  pool(doc)["instance"] = "a3-highgpu-8g";
  expect(doc, "/sites/0/pools/0/instance", "an instance of the site's cloud \"aws\"");
  pool(doc)["instance"] = "p4de.24xlarge";
  expect(doc, "/sites/0/pools/0/instance", "an instance of h100 GPUs");
  pool(doc)["instance"] = "p5.4xlarge";
  expect(doc, "/sites/0/pools/0/instance", "at least tensor_parallel (4)");
  pool(doc)["instance"] = "p5.48xlarge";
  pool(doc)["gpus"] = 12;
  expect(doc, "/sites/0/pools/0/gpus", "a multiple of p5.48xlarge's 8 GPUs");
  pool(doc)["gpus"] = 8;
  pool(doc)["capacity"] = "owned";
  expect(doc, "/sites/0/pools/0/capacity", "owned is for generic instances");
  pool(doc)["instance"] = "p5e.48xlarge";
  doc["deployments"][0]["gpu"] = "h200";
  pool(doc)["capacity"] = "reserved_3y";
  expect(doc, "/sites/0/pools/0/capacity", "a basis p5e.48xlarge is sold on in us-east");
  doc["sites"][0]["region"] = "eu-central";
  expect(doc, "/sites/0/pools/0/instance", "prices in region \"eu-central\"");
  pool(doc)["instance"] = "p5.48xlargee";
  expect(doc, "/sites/0/pools/0/instance", "did you mean \"p5.48xlarge\"?");
  // A GPU the cloud does not rent at all: nothing to pick.
  json amd = instance_world("aws", "mi300x", 1, 1);
  expect(amd, "/sites/0/pools/0/deployment", "aws instance of the catalog can serve");
  // Bare GPUs on a generic site are on demand or spot only.
  json bare = instance_world("generic", "h100", 1, 1);
  pool(bare)["capacity"] = "reserved_1y";
  expect(bare, "/sites/0/pools/0/capacity", "needs an instance");
}

TEST_CASE("a month is each pool's bill at its kind of size over 730 hours, and requests' costs over its user-hours",
          "[instances][monthly]") {
  // Two fixed g6.48xlarge on demand, and a reserved p5.48xlarge pool autoscaled up to three nodes, at a flat
  // diurnal curve (every hour like the window), with 30 monthly active users per peak user.
  json doc = instance_world("aws", "l4", 1, 16);
  doc["simulation"]["duration_h"] = 1.5;
  doc["simulation"]["warmup_h"] = 0.5;
  doc["workload"]["monthly_active_users_per_peak"] = 30;
  pool(doc)["instance"] = "g6.48xlarge";
  const auto& c = catalog::Catalog::builtin();
  const double g6 = c.instance("g6.48xlarge")->price_in("us-east")->at(catalog::Basis::kOnDemand);
  for (const auto& r : run(doc, 2)) {
    CHECK(figure(r, "/cost/monthly/breakdown_usd/gpu_on_demand") == Approx(2 * g6 * 730).epsilon(1e-12));
    // The month's user-hours: peak_users x sum(diurnal) a day (200 x 24) x 730 / 24.
    CHECK(figure(r, "/cost/monthly/user_hours") == Approx(200.0 * 24 * 730 / 24).epsilon(1e-12));
    const double egress = figure(r, "/cost/breakdown_usd/network_egress");
    CHECK(egress > 0);
    CHECK(figure(r, "/cost/monthly/breakdown_usd/network_egress") ==
          Approx(egress / figure(r, "/users/user_hours") * 200.0 * 730).epsilon(1e-12));
    const double total = figure(r, "/cost/monthly/total_usd");
    CHECK(total == Approx(2 * g6 * 730 + figure(r, "/cost/monthly/breakdown_usd/network_egress")).epsilon(1e-12));
    CHECK(figure(r, "/cost/monthly/per_1000_mau_usd") == Approx(total / (30 * 200) * 1000).epsilon(1e-12));
    // The pools' own bills add up to the ledger's GPU categories.
    CHECK(figure(r, "/pools/site~1gpu/cost_usd") == Approx(figure(r, "/cost/breakdown_usd/gpu_on_demand")).epsilon(1e-12));
  }
  // A reserved pool: its largest size, every hour, whatever the autoscaler did in the window.
  json reserved = instance_world("aws", "h100", 1, 8);
  pool(reserved)["instance"] = "p5.48xlarge";
  pool(reserved)["capacity"] = "reserved_3y";
  pool(reserved)["autoscale"] = {{"min_gpus", 8}, {"max_gpus", 24}, {"metric", "queue_per_replica"}, {"target", 4}};
  const double p5 = c.instance("p5.48xlarge")->price_in("us-east")->at(catalog::Basis::kReserved3y);
  for (const auto& r : run(reserved, 1)) {
    CHECK(figure(r, "/cost/monthly/breakdown_usd/gpu_reserved_3y") == Approx(3 * p5 * 730).epsilon(1e-12));
    CHECK_FALSE(testing::has_figure(r, "/cost/monthly/per_1000_mau_usd"));
  }
}

TEST_CASE("a month pays staffed reviewers their schedule's hours, and the window's share matches the ledger",
          "[instances][monthly]") {
  json doc = instance_world("generic", "l4", 1, 2);
  doc["simulation"]["start_hour_utc"] = 1.5;
  doc["simulation"]["warmup_h"] = 0.25;
  doc["simulation"]["duration_h"] = 1.5;
  json reviewers = json::array();
  for (int h = 0; h < 24; ++h) reviewers.push_back(1 + h % 5);
  doc["classes"][0]["escalation_share"] = 0.02;
  doc["classes"][0]["review"] = {{"reviewers", reviewers}, {"utc_offset_h", -5}};
  const scenario::Scenario s = load(doc);
  // Measured from 01:45 to 03:00 UTC, 20:45 to 22:00 local: a quarter of hour 20 and all of hour 21.
  const double expected = (0.25 * (1 + 20 % 5) + 1.0 * (1 + 21 % 5)) * s.cost.reviewer_usd_per_hour;
  CHECK(cost::staffed_review_usd(s, 0.25 * 3600, 1.5 * 3600) == Approx(expected).epsilon(1e-12));
  double day = 0;
  for (int h = 0; h < 24; ++h) day += 1 + h % 5;
  for (const auto& r : run(doc, 1)) {
    // The ledger integrated the queue's staffing rates over the same window.
    CHECK(figure(r, "/cost/breakdown_usd/human_moderation") == Approx(expected).epsilon(1e-9));
    CHECK(figure(r, "/cost/monthly/breakdown_usd/human_moderation") ==
          Approx(day * s.cost.reviewer_usd_per_hour * 730 / 24).epsilon(1e-9));
  }
}
