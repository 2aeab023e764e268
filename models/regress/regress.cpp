#include "models/regress/regress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <sstream>

#include <boost/math/distributions/students_t.hpp>

#include "capstan/version.h"
#include "models/api/api.h"
#include "models/input/json_reader.h"
#include "models/input/read_file.h"
#include "models/input/write_files.h"
#include "models/input_error.h"
#include "models/world/figures.h"
#include "sim/estimate.h"

namespace capstan::regress {

namespace js = capstan::input;
using nlohmann::json;

namespace {

constexpr std::uintmax_t kMaxBaselineBytes = 16u << 20;
// A baseline figure's values: a cost, a latency in ms or a share, far inside a double's range so that sums of
// squares over replications stay finite.
const js::Range kFigureRange{-1e15, 1e15};

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

double mean_of(const std::vector<double>& x) {
  return x.empty() ? 0.0 : std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
}

double variance_of(const std::vector<double>& x) {
  if (x.size() < 2) return 0.0;
  const double m = mean_of(x);
  double ss = 0.0;
  for (double v : x) ss += (v - m) * (v - m);
  return ss / static_cast<double>(x.size() - 1);
}

double two_sided_p(double t, double dof) {
  // Figures so spread that the statistic is not a number: no spread to judge by (a difference is significant).
  if (!std::isfinite(t) || !std::isfinite(dof) || dof <= 0) return t == 0.0 ? 1.0 : 0.0;
  const boost::math::students_t dist(dof);
  return std::min(1.0, 2.0 * boost::math::cdf(boost::math::complement(dist, std::abs(t))));
}

bool has_missing(const std::vector<double>& values) {
  return std::any_of(values.begin(), values.end(), [](double x) { return std::isnan(x); });
}

// No spread to judge by: any difference at all is significant.
double exact_p(double difference) { return difference == 0.0 ? 1.0 : 0.0; }

Comparison compare_runs(const Baseline& b, const api::RunOutput& now, const json& now_report, bool paired,
                        double level) {
  Comparison c;
  c.baseline_path = b.path;
  c.scenario = now_report["manifest"].value("scenario", "");
  c.level = level;
  c.test = paired ? "paired t" : "Welch t";
  std::map<std::string, const std::vector<double>*> current;
  for (const auto& [pointer, values] : now.replication_figures) {
    // A figure missing in a replication (a latency where nothing completed)
    // reads as missing: a baseline that had it has drifted.
    if (guarded(pointer) && !has_missing(values)) current.emplace(pointer, &values);
  }
  std::vector<double> p_values;
  for (const auto& [pointer, fig] : b.figures) {
    Row r;
    r.figure = pointer;
    r.kind = guarded(pointer).value_or(Kind::kCost);
    r.baseline = fig.mean;
    r.baseline_low = fig.ci_low;
    r.baseline_high = fig.ci_high;
    r.tolerance = b.tolerance.of(pointer, r.kind);
    const auto it = current.find(pointer);
    if (it == current.end()) {
      r.verdict = "missing";
      r.now = std::numeric_limits<double>::quiet_NaN();
      r.p_value = 0.0;
    } else {
      const auto& values = *it->second;
      const sim::Estimate e = sim::estimate(values);
      const world::FigureRange range = world::figure_range(pointer);
      r.now = e.mean;
      r.now_low = range.clip(e.low);
      r.now_high = range.clip(e.high);
      r.change = r.baseline != 0.0 ? (r.now - r.baseline) / std::abs(r.baseline)
                 : r.now == 0.0   ? 0.0
                                  : std::copysign(std::numeric_limits<double>::infinity(), r.now);
      r.p_value = paired ? paired_p_value(fig.replications, values) : welch_p_value(fig.replications, values);
      current.erase(it);
    }
    p_values.push_back(r.p_value);
    c.rows.push_back(r);
  }
  const std::vector<bool> significant = holm(p_values, level);
  for (std::size_t i = 0; i < c.rows.size(); ++i) {
    Row& r = c.rows[i];
    r.significant = significant[i];
    if (!r.verdict.empty()) continue;  // missing
    r.verdict = !r.significant ? "ok" : std::abs(r.change) > r.tolerance ? "drift" : "within tolerance";
  }
  for (const auto& [pointer, values] : current) {  // figures the baseline does not have
    Row r;
    r.figure = pointer;
    r.kind = *guarded(pointer);
    const sim::Estimate e = sim::estimate(*values);
    const world::FigureRange range = world::figure_range(pointer);
    r.now = e.mean;
    r.now_low = range.clip(e.low);
    r.now_high = range.clip(e.high);
    r.baseline = std::numeric_limits<double>::quiet_NaN();
    r.verdict = "new";
    c.rows.push_back(r);
  }
  c.drifted = std::any_of(c.rows.begin(), c.rows.end(),
                          [](const Row& r) { return r.verdict == "drift" || r.verdict == "missing"; });
  return c;
}

api::RunRequest request_for(const Baseline& b, const Options& o, bool with_extra) {
  api::RunRequest req;
  req.scenario_path = b.scenario_path();
  req.overrides = b.overrides;
  if (with_extra) req.overrides.insert(req.overrides.end(), o.overrides.begin(), o.overrides.end());
  req.seed = o.seed ? o.seed : b.seed;
  req.replications = b.replications;
  req.threads = o.threads;
  return req;
}

std::string percent(double change) {
  if (std::isnan(change)) return "";
  if (std::isinf(change)) return change > 0 ? "+inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.2f%%", 100.0 * change);
  return buf;
}

std::string number(double x) {
  if (std::isnan(x)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

std::string p_text(const Row& r) {
  if (r.verdict == "missing" || r.verdict == "new") return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, r.p_value < 1e-4 ? "%.1e" : "%.4f", r.p_value);
  return buf;
}

std::string headline(const Comparison& c) {
  std::string h = c.scenario + " (" + c.baseline_path + "): ";
  const auto drifts = std::count_if(c.rows.begin(), c.rows.end(),
                                    [](const Row& r) { return r.verdict == "drift" || r.verdict == "missing"; });
  h += c.drifted ? std::to_string(drifts) + " figure(s) drifted" : "no drift";
  return h + "; " + c.explanation;
}

}  // namespace

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kCost: return "cost";
    case Kind::kLatency: return "latency";
    case Kind::kAttainment: return "attainment";
  }
  return "cost";
}

std::optional<Kind> guarded(const std::string& p) {
  if (starts_with(p, "/cost/")) {
    const std::string rest = p.substr(6);
    if (rest == "total_usd" || rest == "per_user_hour_usd" || rest == "per_interaction_usd" ||
        rest == "per_million_tokens_usd" || starts_with(rest, "breakdown_usd/") || rest == "monthly/total_usd" ||
        rest == "monthly/per_1000_mau_usd" || starts_with(rest, "monthly/breakdown_usd/")) {
      return Kind::kCost;
    }
    return std::nullopt;
  }
  if (!starts_with(p, "/classes/")) return std::nullopt;
  const std::size_t name_end = p.find('/', 9);
  if (name_end == std::string::npos) return std::nullopt;
  const std::string rest = p.substr(name_end + 1);
  if (rest == "slo/attainment") return Kind::kAttainment;
  if (rest == "slo/percentile_ms") return Kind::kLatency;
  for (const char* metric : {"ttft", "tpot", "e2e"}) {
    for (const char* q : {"p50", "p95", "p99"}) {
      if (rest == std::string("latency_ms/") + metric + "/" + q) return Kind::kLatency;
    }
  }
  return std::nullopt;
}

double Tolerance::of(const std::string& pointer, Kind kind) const {
  const auto it = by_figure.find(pointer);
  if (it != by_figure.end()) return it->second;
  return kind == Kind::kCost ? cost : kind == Kind::kLatency ? latency : attainment;
}

std::string Baseline::scenario_path() const {
  const std::filesystem::path s(scenario);
  if (s.is_absolute()) return s.string();
  return (std::filesystem::path(path).parent_path() / s).lexically_normal().string();
}

std::vector<std::string> find_baselines(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return out;
  constexpr std::string_view kSuffix = ".baseline.json";
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_regular_file(ec) && name.size() > kSuffix.size() &&
        name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0) {
      out.push_back(it->path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

Baseline read_baseline(const std::string& path) {
  const std::string text = input::read_file_or_throw<InputError>(path, kMaxBaselineBytes);
  json doc = input::parse_file_text<InputError>(text, path);
  Baseline b;
  b.path = path;
  try {
    js::ConstObject o(doc, "",
                      {"scenario", "seed", "replications", "overrides", "level", "tolerance", "manifest", "figures"});
    b.scenario = o.string("scenario", std::nullopt, 4096);
    if (b.scenario.empty()) js::fail(o.ptr("scenario"), "a scenario file's path", "\"\"");
    if (o.has("seed")) b.seed = o.uint64("seed");
    if (o.has("replications")) b.replications = static_cast<int>(o.integer("replications", 1, 10000));
    const json& overrides = o.array("overrides", 0, 1000, false);
    for (std::size_t i = 0; i < overrides.size(); ++i) {
      if (!overrides[i].is_string()) js::fail(js::child(o.ptr("overrides"), i), "a \"key.path=value\" string", js::describe(overrides[i]));
      b.overrides.push_back(overrides[i].get<std::string>());
    }
    b.level = o.number("level", js::Range{0.0, 0.5, true, false}, b.level);
    if (o.has("tolerance")) {
      js::ConstObject t = o.object("tolerance", {"cost", "latency", "attainment", "by_figure"}, false);
      const Tolerance defaults;
      b.tolerance.cost = t.number("cost", js::non_negative(100.0), defaults.cost);
      b.tolerance.latency = t.number("latency", js::non_negative(100.0), defaults.latency);
      b.tolerance.attainment = t.number("attainment", js::non_negative(100.0), defaults.attainment);
      if (t.has("by_figure")) {
        const json& by = t.raw("by_figure");
        if (!by.is_object()) js::fail(t.ptr("by_figure"), "an object {figure pointer: tolerance}", js::describe(by));
        for (const auto& [pointer, value] : by.items()) {
          const std::string at = js::child(t.ptr("by_figure"), pointer);
          if (!guarded(pointer)) js::fail(at, "the JSON pointer of a guarded figure (docs/ci.md)", "\"" + pointer + "\"");
          b.tolerance.by_figure[pointer] = js::number_at(value, at, js::non_negative(100.0));
        }
      }
    }
    if (o.has("manifest")) {
      b.manifest = o.raw("manifest");
      if (!b.manifest.is_object()) js::fail(o.ptr("manifest"), "an object", js::describe(b.manifest));
    }
    if (o.has("figures")) {
      const json& figs = o.raw("figures");
      if (!figs.is_object()) js::fail(o.ptr("figures"), "an object {figure pointer: figure}", js::describe(figs));
      for (const auto& [pointer, value] : figs.items()) {
        const std::string at = js::child(o.ptr("figures"), pointer);
        if (!guarded(pointer)) js::fail(at, "the JSON pointer of a guarded figure (docs/ci.md)", "\"" + pointer + "\"");
        js::ConstObject f(value, at, {"mean", "ci95", "replications"});
        BaselineFigure fig;
        fig.mean = f.number("mean", kFigureRange);
        const json& ci = f.array("ci95", 2, 2, true);
        fig.ci_low = js::number_at(ci[0], js::child(f.ptr("ci95"), 0), kFigureRange);
        fig.ci_high = js::number_at(ci[1], js::child(f.ptr("ci95"), 1), kFigureRange);
        const json& reps = f.array("replications", 1, 10000, true);
        for (std::size_t i = 0; i < reps.size(); ++i) {
          fig.replications.push_back(js::number_at(reps[i], js::child(f.ptr("replications"), i), kFigureRange));
        }
        b.figures.emplace_back(pointer, std::move(fig));
      }
    }
  } catch (const js::FieldError& e) {
    throw InputError(path, e.pointer, e.expected, e.found);
  }
  return b;
}

std::string baseline_json(const Baseline& b) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::object();
  doc["scenario"] = b.scenario;
  if (b.seed) doc["seed"] = *b.seed;
  if (b.replications) doc["replications"] = *b.replications;
  doc["overrides"] = b.overrides;
  doc["level"] = b.level;
  doc["tolerance"] = {{"cost", b.tolerance.cost}, {"latency", b.tolerance.latency},
                      {"attainment", b.tolerance.attainment}, {"by_figure", b.tolerance.by_figure}};
  if (!b.manifest.is_null()) doc["manifest"] = b.manifest;
  nlohmann::ordered_json figs = nlohmann::ordered_json::object();
  for (const auto& [pointer, f] : b.figures) {
    figs[pointer] = {{"mean", f.mean}, {"ci95", {f.ci_low, f.ci_high}}, {"replications", f.replications}};
  }
  doc["figures"] = std::move(figs);
  return doc.dump(2) + "\n";
}

void write_baseline(const Baseline& b) {
  input::write_files({{b.path, baseline_json(b)}});
}

double paired_p_value(const std::vector<double>& before, const std::vector<double>& after) {
  std::vector<double> d(before.size());
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = after[i] - before[i];
  const double m = mean_of(d);
  const double v = variance_of(d);
  if (d.size() < 2 || v == 0.0) return exact_p(m);
  return two_sided_p(m / std::sqrt(v / static_cast<double>(d.size())), static_cast<double>(d.size() - 1));
}

double welch_p_value(const std::vector<double>& before, const std::vector<double>& after) {
  const double n1 = static_cast<double>(before.size()), n2 = static_cast<double>(after.size());
  const double diff = mean_of(after) - mean_of(before);
  const double a = variance_of(before) / n1, b = variance_of(after) / n2;
  if (before.size() < 2 || after.size() < 2 || a + b == 0.0) return exact_p(diff);
  const double dof = (a + b) * (a + b) / (a * a / (n1 - 1) + b * b / (n2 - 1));
  return two_sided_p(diff / std::sqrt(a + b), dof);
}

std::vector<bool> holm(const std::vector<double>& p, double level) {
  std::vector<std::size_t> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return p[x] < p[y]; });
  std::vector<bool> out(p.size(), false);
  const auto m = static_cast<double>(p.size());
  for (std::size_t k = 0; k < order.size(); ++k) {
    if (p[order[k]] > level / (m - static_cast<double>(k))) break;
    out[order[k]] = true;
  }
  return out;
}

Comparison compare(const Baseline& b, const Options& o) {
  if (b.figures.empty()) {
    throw InputError(b.path, "/figures", "a baseline with figures (make them with capstan regress --update)", "none");
  }
  const api::RunRequest req = request_for(b, o, true);
  const api::RunOutput now = api::run(req);
  const json report = json::parse(now.report_json);
  const auto& m = report["manifest"];
  const std::size_t n_base = b.figures.front().second.replications.size();
  const bool paired = !o.seed && m.value("replications", 0) == static_cast<int>(n_base) &&
                      (!b.manifest.is_object() || b.manifest.value("seed", std::uint64_t{0}) == m.value("seed", std::uint64_t{0}));
  Comparison c = compare_runs(b, now, report, paired, o.level.value_or(b.level));
  const std::string base_sha = b.manifest.is_object() ? b.manifest.value("scenario_sha256", "") : "";
  const std::string now_sha = m.value("scenario_sha256", "");
  const std::string base_version = b.manifest.is_object() ? b.manifest.value("capstan_version", "") : "";
  const std::string now_version = m.value("capstan_version", "");
  std::ostringstream why;
  if (base_sha != now_sha) {
    c.cause = "scenario";
    why << "scenario edit: its sha256 went from " << base_sha.substr(0, 12) << " to " << now_sha.substr(0, 12);
    if (!o.overrides.empty()) why << " (with the --set overrides)";
  } else if (c.drifted) {
    c.cause = "model";
    why << "model drift: the scenario is unchanged (sha256 " << now_sha.substr(0, 12) << "), capstan changed";
    if (base_version != now_version) why << " (" << base_version << " to " << now_version << ")";
  } else {
    c.cause = "none";
    why << "the scenario is unchanged (sha256 " << now_sha.substr(0, 12) << ")";
  }
  if (o.seed) why << "; re-run with seed " << *o.seed;
  c.explanation = why.str();
  return c;
}

Baseline update(Baseline b, const Options& o) {
  b.overrides.insert(b.overrides.end(), o.overrides.begin(), o.overrides.end());
  const api::RunOutput now = api::run(request_for(b, o, false));
  const json report = json::parse(now.report_json);
  const auto& m = report["manifest"];
  b.seed = m["seed"].get<std::uint64_t>();
  b.replications = m["replications"].get<int>();
  b.manifest = {{"capstan_version", m["capstan_version"]},
                {"scenario", m["scenario"]},
                {"scenario_sha256", m["scenario_sha256"]},
                {"seed", m["seed"]},
                {"replications", m["replications"]},
                {"service_time_model", m["service_time_model"]},
                {"service_time_profiles", m["service_time_profiles"]}};
  b.figures.clear();
  for (const auto& [pointer, values] : now.replication_figures) {
    // A latency missing from any replication (nothing completed) guards nothing: left out.
    if (!guarded(pointer) || has_missing(values)) continue;
    const sim::Estimate e = sim::estimate(values);
    const world::FigureRange range = world::figure_range(pointer);
    b.figures.emplace_back(pointer, BaselineFigure{e.mean, range.clip(e.low), range.clip(e.high), values});
  }
  return b;
}

std::string format_table(const std::vector<Comparison>& comparisons) {
  std::ostringstream out;
  for (const auto& c : comparisons) {
    out << headline(c) << "\n";
    out << "  " << c.test << " at level " << number(c.level) << " (Holm over " << c.rows.size() << " figures)\n";
    char line[512];
    std::snprintf(line, sizeof line, "  %-52s %14s %14s %10s %9s %6s  %s\n", "figure", "baseline", "now", "change",
                  "p", "tol", "verdict");
    out << line;
    for (const auto& r : c.rows) {
      std::snprintf(line, sizeof line, "  %-52s %14s %14s %10s %9s %5.1f%%  %s\n", r.figure.c_str(),
                    number(r.baseline).c_str(), number(r.now).c_str(), percent(r.change).c_str(), p_text(r).c_str(),
                    100.0 * r.tolerance, r.verdict.c_str());
      out << line;
    }
    out << "\n";
  }
  return out.str();
}

namespace {

// "$1,234" (whole dollars, thousands separated), with a sign when asked.
std::string dollars(double x, bool sign = false) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", std::fabs(x));
  std::string digits = buf, grouped;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return std::string(x < 0 ? "-" : sign ? "+" : "") + "$" + grouped;
}

void markdown_rows(std::ostringstream& out, const std::vector<const Row*>& rows) {
  out << "| figure | baseline | now | change | p | tolerance | verdict |\n|---|---:|---:|---:|---:|---:|---|\n";
  for (const Row* r : rows) {
    const std::string mark = r->verdict == "drift" || r->verdict == "missing" ? "**" : "";
    char tol[16];
    std::snprintf(tol, sizeof tol, "%.1f%%", 100.0 * r->tolerance);
    out << "| `" << r->figure << "` | " << number(r->baseline) << " | " << number(r->now) << " | "
        << percent(r->change) << " | " << p_text(*r) << " | " << tol << " | " << mark << r->verdict << mark << " |\n";
  }
}

}  // namespace

// A pull-request comment a reviewer reads in ten seconds: the monthly bill's
// change first, then only what drifted; the rest folded.
std::string format_markdown(const std::vector<Comparison>& comparisons) {
  std::ostringstream out;
  const bool any = std::any_of(comparisons.begin(), comparisons.end(), [](const Comparison& c) { return c.drifted; });
  out << "### capstan forecast check: " << (any ? "drift" : "no drift") << "\n\n";
  for (const auto& c : comparisons) {
    const auto monthly = std::find_if(c.rows.begin(), c.rows.end(),
                                      [](const Row& r) { return r.figure == "/cost/monthly/total_usd"; });
    out << "**" << c.scenario << "**";
    if (monthly != c.rows.end() && std::isfinite(monthly->baseline) && std::isfinite(monthly->now)) {
      out << ": " << dollars(monthly->now - monthly->baseline, true) << " a month (" << dollars(monthly->baseline)
          << " to " << dollars(monthly->now) << ", " << percent(monthly->change) << ")";
    }
    out << "; " << (c.drifted ? "drifted" : "no drift") << ": " << c.explanation << ". `" << c.baseline_path << "`, "
        << c.test << " at level " << number(c.level) << ", Holm-corrected over " << c.rows.size() << " figures.\n\n";
    std::vector<const Row*> drifted, rest;
    for (const auto& r : c.rows) (r.verdict == "drift" || r.verdict == "missing" ? drifted : rest).push_back(&r);
    if (!drifted.empty()) {
      markdown_rows(out, drifted);
      out << "\n";
    }
    if (!rest.empty()) {
      out << "<details><summary>" << rest.size() << (drifted.empty() ? " figures" : " other figures")
          << ", none drifted</summary>\n\n";
      markdown_rows(out, rest);
      out << "\n</details>\n\n";
    }
  }
  return out.str();
}

json to_json(const std::vector<Comparison>& comparisons) {
  json out = json::array();
  auto finite_or_null = [](double x) { return std::isfinite(x) ? json(x) : json(nullptr); };
  for (const auto& c : comparisons) {
    json rows = json::array();
    for (const auto& r : c.rows) {
      rows.push_back({{"figure", r.figure},
                      {"kind", kind_name(r.kind)},
                      {"baseline", finite_or_null(r.baseline)},
                      {"baseline_ci95", {finite_or_null(r.baseline_low), finite_or_null(r.baseline_high)}},
                      {"now", finite_or_null(r.now)},
                      {"now_ci95", {finite_or_null(r.now_low), finite_or_null(r.now_high)}},
                      {"change", finite_or_null(r.change)},
                      {"p_value", r.p_value},
                      {"significant", r.significant},
                      {"tolerance", r.tolerance},
                      {"verdict", r.verdict}});
    }
    out.push_back({{"baseline", c.baseline_path},
                   {"scenario", c.scenario},
                   {"drifted", c.drifted},
                   {"cause", c.cause},
                   {"explanation", c.explanation},
                   {"test", c.test},
                   {"level", c.level},
                   {"figures", std::move(rows)}});
  }
  return out;
}

}  // namespace capstan::regress
