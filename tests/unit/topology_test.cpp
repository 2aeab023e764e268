// Network topology: shortest round trips, last mile, transit hops, ordering.
#include <catch2/catch.hpp>

#include <cmath>

#include "models/network/topology.h"

using capstan::network::Topology;
using capstan::scenario::Link;
using capstan::scenario::Origin;

namespace {

Origin origin(const char* name, double last_mile_rtt_ms) {
  Origin o;
  o.name = name;
  o.last_mile_rtt_ms = last_mile_rtt_ms;
  return o;
}

}  // namespace

TEST_CASE("round trips follow the shortest path and add the last mile", "[topology]") {
  //   A --20-- S1 --5-- S2 --7-- B        C --3-- A        S3 unlinked
  //   A --------30------ S2
  const std::vector<Origin> origins = {origin("A", 10), origin("B", 5), origin("C", 0)};
  const std::vector<std::string> sites = {"S1", "S2", "S3"};
  const std::vector<Link> links = {{"A", "S1", 20}, {"S1", "S2", 5}, {"A", "S2", 30}, {"B", "S2", 7}, {"C", "A", 3}};
  const Topology t(origins, sites, links);
  REQUIRE(t.origin_count() == 3);
  REQUIRE(t.site_count() == 3);
  CHECK(t.rtt_ms(0, 0) == 30.0);            // 10 + 20
  CHECK(t.rtt_ms(0, 1) == 35.0);            // 10 + min(30, 20 + 5)
  CHECK(t.rtt_ms(1, 1) == 12.0);            // 5 + 7
  CHECK(t.rtt_ms(1, 0) == 17.0);            // 5 + 7 + 5
  CHECK(t.rtt_ms(2, 0) == 23.0);            // through origin A: 0 + 3 + 20
  CHECK(t.rtt_ms(2, 1) == 28.0);            // 0 + 3 + 20 + 5
  CHECK(std::isinf(t.rtt_ms(0, 2)));
  CHECK_FALSE(t.reachable(1, 2));
  CHECK(t.sites_by_rtt(0) == std::vector<std::size_t>{0, 1});
  CHECK(t.sites_by_rtt(1) == std::vector<std::size_t>{1, 0});
}

TEST_CASE("an isolated origin reaches nothing", "[topology]") {
  const Topology t({origin("A", 10), origin("lonely", 10)}, {"S"}, {{"A", "S", 1}});
  CHECK(t.reachable(0, 0));
  CHECK(t.sites_by_rtt(1).empty());
  CHECK(std::isinf(t.rtt_ms(1, 0)));
}

TEST_CASE("ties keep site order; unknown nodes are refused", "[topology]") {
  const Topology t({origin("A", 0)}, {"S1", "S2"}, {{"A", "S2", 4}, {"A", "S1", 4}});
  CHECK(t.sites_by_rtt(0) == std::vector<std::size_t>{0, 1});
  CHECK_THROWS_AS(Topology({origin("A", 0)}, {"S"}, {{"A", "X", 1}}), std::invalid_argument);
  CHECK_THROWS_AS(Topology({origin("A", 0)}, {"S"}, {{"A", "S", -1}}), std::invalid_argument);
}

#include "models/scenario/load.h"

TEST_CASE("the consumer world's metros reach their edge sites first", "[topology]") {
  const auto s = capstan::scenario::load_file(std::string(CAPSTAN_SOURCE_DIR) + "/scenarios/consumer_world.json");
  const Topology t(s);
  auto site_index = [&](const std::string& name) {
    for (std::size_t i = 0; i < s.sites.size(); ++i) {
      if (s.sites[i].name == name) return i;
    }
    FAIL("no site " << name);
    return std::size_t{0};
  };
  // metro-tokyo (last mile 24) -> edge-tokyo (3): 27 ms; to cloud-us-east over the Pacific: 24 + 3 + 166.
  CHECK(t.rtt_ms(2, site_index("edge-tokyo")) == 27.0);
  CHECK(t.rtt_ms(2, site_index("cloud-us-east")) == 193.0);
  CHECK(t.sites_by_rtt(2).front() == site_index("edge-tokyo"));
  // metro-london -> cloud-us-east: through edge-london to cloud-eu-west (3 + 2) beats the direct link (6),
  // then the Atlantic: 28 + 5 + 75.
  CHECK(t.rtt_ms(1, site_index("cloud-us-east")) == 108.0);
  // metro-london -> edge-tokyo crosses the Atlantic and the Pacific: 28 + 5 + 75 + 166.
  CHECK(t.rtt_ms(1, site_index("edge-tokyo")) == 274.0);
}
