// `capstan demo mmc`: the engine on an M/M/c queue, simulated figures next
// to Erlang C, with 95% confidence intervals over replications.
#include <cstdio>
#include <vector>

#include "cli/commands.h"
#include "models/queueing/closed_form.h"
#include "models/queueing/station.h"
#include "sim/estimate.h"
#include "sim/replication.h"

namespace capstan::cli {

namespace {
struct DemoOptions {
  int servers = 8;
  double utilisation = 0.85;
  double mean_service_s = 0.1;
  double hours = 2.0;
  int replications = 8;
  int threads = 0;
  std::uint64_t seed = 1;
};

int run_demo(const DemoOptions& o) {
  queueing::StationConfig config;
  config.servers = o.servers;
  config.mean_service_s = o.mean_service_s;
  config.arrival_rate_per_s = o.utilisation * o.servers / o.mean_service_s;
  const sim::Time horizon = sim::from_seconds(o.hours * 3600.0);
  const sim::Time warmup = horizon / 10;
  const auto runs = sim::run_replications<queueing::StationFigures>(o.replications, o.threads, [&](int r) {
    return queueing::simulate_station(config, o.seed, r, warmup, horizon);
  });
  auto column = [&](auto field) {
    std::vector<double> v;
    for (const auto& f : runs) v.push_back(field(f));
    return sim::estimate(v);
  };
  const auto exact = queueing::mmc(config.arrival_rate_per_s, o.mean_service_s, o.servers);
  std::printf("M/M/%d queue: lambda %.2f/s, mean service %.3f s, rho %.3f; %d replications of %.1f h (10%% warm-up)\n\n",
              o.servers, config.arrival_rate_per_s, o.mean_service_s, exact.utilisation, o.replications, o.hours);
  std::printf("%-26s %12s %26s %12s\n", "figure", "simulated", "95% interval", "closed form");
  auto row = [](const char* name, const sim::Estimate& e, double closed) {
    const bool inside = closed >= e.low && closed <= e.high;
    std::printf("%-26s %12.5f   [%10.5f, %10.5f] %12.5f %s\n", name, e.mean, e.low, e.high, closed,
                inside ? "" : "(outside)");
  };
  row("P(wait) (Erlang C)", column([](const auto& f) { return f.probability_wait; }), exact.probability_wait);
  row("mean wait Wq (s)", column([](const auto& f) { return f.mean_wait_s; }), exact.mean_wait_s);
  row("mean sojourn W (s)", column([](const auto& f) { return f.mean_sojourn_s; }), exact.mean_sojourn_s);
  row("mean in system L", column([](const auto& f) { return f.mean_in_system; }), exact.mean_in_system);
  row("throughput (1/s)", column([](const auto& f) { return f.throughput_per_s; }), config.arrival_rate_per_s);
  return 0;
}
}  // namespace

void add_demo(CLI::App& app, int& exit_code) {
  auto* demo = app.add_subcommand("demo", "Engine demonstrations against closed forms");
  demo->require_subcommand(1);
  auto* mmc = demo->add_subcommand("mmc", "Simulate an M/M/c queue and compare with Erlang C");
  static DemoOptions o;
  mmc->add_option("--servers", o.servers, "Servers c")->check(CLI::Range(1, 1024));
  mmc->add_option("--utilisation", o.utilisation, "Offered load per server rho")->check(CLI::Range(0.01, 0.99));
  mmc->add_option("--mean-service-s", o.mean_service_s, "Mean service time (s)")->check(CLI::PositiveNumber);
  mmc->add_option("--hours", o.hours, "Simulated hours per replication")->check(CLI::Range(0.01, 1000.0));
  mmc->add_option("--replications", o.replications, "Independent replications")->check(CLI::Range(2, 10000));
  mmc->add_option("--threads", o.threads, "Threads (0: all cores)")->check(CLI::NonNegativeNumber);
  mmc->add_option("--seed", o.seed, "Master seed")->check(seed_check());
  mmc->callback([&exit_code] { exit_code = run_demo(o); });
}

}  // namespace capstan::cli
