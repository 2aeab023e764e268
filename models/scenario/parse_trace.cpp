// Request traces: a CSV with a timestamp, prompt tokens and output tokens per
// row, read as untrusted input. The public Azure LLM inference traces
// (TIMESTAMP,ContextTokens,GeneratedTokens; timestamps such as
// "2023-11-16 18:15:46.6805900") are read as they are published.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "models/input/read_file.h"
#include "models/scenario/load.h"
#include "models/scenario/parse.h"
#include "models/scenario/sha256.h"

namespace capstan::scenario::detail {

namespace {

constexpr std::uintmax_t kMaxTraceFileBytes = 256u << 20;
constexpr std::size_t kMaxTraceRows = 10'000'000;
constexpr std::size_t kMaxTraceFields = 1000;
constexpr std::int64_t kMaxRowTokens = 10'000'000;

// The names each column goes by: the Azure trace's, then capstan's own.
constexpr std::array<std::array<const char*, 2>, 3> kColumns = {{{"TIMESTAMP", "timestamp_s"},
                                                                   {"ContextTokens", "prompt_tokens"},
                                                                   {"GeneratedTokens", "output_tokens"}}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t from = 0;
  while (true) {
    const std::size_t comma = line.find(',', from);
    out.push_back(trim(line.substr(from, comma == std::string_view::npos ? std::string_view::npos : comma - from)));
    if (comma == std::string_view::npos) return out;
    from = comma + 1;
  }
}

// A field as the error's "found": printable ASCII only, at most 40 characters.
std::string shown(std::string_view field) {
  std::string out;
  for (char c : field.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (field.size() > 40) out += "...";
  return "\"" + out + "\"";
}

bool digits(std::string_view s, std::size_t n, int& out) {
  if (s.size() < n) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

constexpr double kMaxTraceSeconds = 9e9;

// Days from 1970-01-01 to a civil date (proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// "YYYY-MM-DD HH:MM:SS[.fraction]" (or with a 'T'), or seconds as a number.
bool parse_time_ns(std::string_view s, std::int64_t& ns) {
  double seconds = 0.0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), seconds);
  if (ec == std::errc() && end == s.data() + s.size()) {
    // Nanoseconds in a signed 64-bit count: seconds up to 9e9 (about 285 years), none beyond.
    if (!std::isfinite(seconds) || seconds < 0 || seconds > kMaxTraceSeconds) return false;
    ns = static_cast<std::int64_t>(std::llround(seconds * 1e9));
    return true;
  }
  int y, mo, d, h, mi, sec;
  if (s.size() < 19 || !digits(s, 4, y) || s[4] != '-' || !digits(s.substr(5), 2, mo) || s[7] != '-' ||
      !digits(s.substr(8), 2, d) || (s[10] != ' ' && s[10] != 'T') || !digits(s.substr(11), 2, h) || s[13] != ':' ||
      !digits(s.substr(14), 2, mi) || s[16] != ':' || !digits(s.substr(17), 2, sec)) {
    return false;
  }
  // A real date (no February 30), from 1970 to 2261: its nanoseconds since 1970 fit a signed 64-bit count.
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1970 || y > 2261 || mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 60) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d < 1 || d > kDays[mo - 1] + (mo == 2 && leap ? 1 : 0)) return false;
  std::int64_t fraction_ns = 0;
  std::string_view rest = s.substr(19);
  if (!rest.empty()) {
    if (rest[0] != '.' || rest.size() < 2 || rest.size() > 10) return false;
    std::int64_t scale = 100'000'000;
    for (char c : rest.substr(1)) {
      if (c < '0' || c > '9') return false;
      fraction_ns += (c - '0') * scale;
      scale /= 10;
    }
  }
  ns = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60'000'000'000LL + sec * 1'000'000'000LL + fraction_ns;
  return true;
}

bool parse_tokens(std::string_view s, std::int64_t& n) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  return ec == std::errc() && end == s.data() + s.size() && n >= 0 && n <= kMaxRowTokens;
}

}  // namespace

void read_request_trace(RequestTrace& trace) {
  const std::string& path = trace.path;
  const std::string text = input::read_file_or_throw<ScenarioError>(path, kMaxTraceFileBytes);
  trace.sha256 = sha256_hex(text);
  std::string_view rest(text);
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);  // a UTF-8 byte-order mark

  auto rows = std::make_shared<std::vector<TraceRow>>();
  std::array<std::size_t, 3> at{};  // column of timestamp, prompt, output
  // Optional: rows with the same prefix_id share their first prefix_tokens tokens.
  constexpr std::size_t kNone = SIZE_MAX;
  std::size_t prefix_id_at = kNone, prefix_tokens_at = kNone;
  std::size_t fields = 0;
  bool header = true;
  std::int64_t first_ns = 0, last_ns = 0;
  for (std::size_t line_no = 1; !rest.empty(); ++line_no) {
    const std::size_t nl = rest.find('\n');
    const std::string_view line = trim(rest.substr(0, nl));
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    if (line.empty()) continue;
    const std::string where = "line " + std::to_string(line_no);
    // A line of more fields than any trace has is refused before it is split (a header of a million commas).
    const auto commas = static_cast<std::size_t>(std::count(line.begin(), line.end(), ','));
    if (commas >= kMaxTraceFields) {
      throw ScenarioError(path, where, "at most " + std::to_string(kMaxTraceFields) + " comma-separated fields",
                          std::to_string(commas + 1));
    }
    const auto cells = split(line);
    if (header) {
      fields = cells.size();
      for (std::size_t c = 0; c < kColumns.size(); ++c) {
        const auto it = std::find_if(cells.begin(), cells.end(), [&](std::string_view cell) {
          return cell == kColumns[c][0] || cell == kColumns[c][1];
        });
        if (it == cells.end()) {
          throw ScenarioError(path, where,
                              "a CSV header naming TIMESTAMP, ContextTokens and GeneratedTokens (or timestamp_s, "
                              "prompt_tokens and output_tokens)",
                              std::string("a header without ") + kColumns[c][0]);
        }
        at[c] = static_cast<std::size_t>(it - cells.begin());
      }
      for (std::size_t c = 0; c < cells.size(); ++c) {
        if (cells[c] == "prefix_id") prefix_id_at = c;
        if (cells[c] == "prefix_tokens") prefix_tokens_at = c;
      }
      if ((prefix_id_at == kNone) != (prefix_tokens_at == kNone)) {
        throw ScenarioError(path, where, "prefix_id and prefix_tokens columns together, or neither",
                            std::string("only ") + (prefix_id_at == kNone ? "prefix_tokens" : "prefix_id"));
      }
      header = false;
      continue;
    }
    if (cells.size() != fields) {
      throw ScenarioError(path, where, std::to_string(fields) + " comma-separated fields, as the header",
                          std::to_string(cells.size()));
    }
    if (rows->size() >= kMaxTraceRows) {
      throw ScenarioError(path, where, "at most " + std::to_string(kMaxTraceRows) + " rows", "more");
    }
    std::int64_t ns = 0;
    if (!parse_time_ns(cells[at[0]], ns)) {
      throw ScenarioError(path, where,
                          "a timestamp such as 2023-11-16 18:15:46.6805900 (a real date from 1970 to 2261), or "
                          "seconds in [0, 9000000000]",
                          shown(cells[at[0]]));
    }
    if (rows->empty()) first_ns = last_ns = ns;
    if (ns < last_ns) {
      throw ScenarioError(path, where, "timestamps in order (not before the previous row's)", shown(cells[at[0]]));
    }
    last_ns = ns;
    std::int64_t tokens[2];
    for (int k = 0; k < 2; ++k) {
      if (!parse_tokens(cells[at[k + 1]], tokens[k])) {
        throw ScenarioError(path, where,
                            std::string("a whole number of ") + (k == 0 ? "prompt" : "output") + " tokens in [0, " +
                                std::to_string(kMaxRowTokens) + "]",
                            shown(cells[at[k + 1]]));
      }
    }
    // A request carries at least one token each way (some published rows record 0).
    TraceRow row{ns - first_ns, static_cast<std::int32_t>(std::max<std::int64_t>(1, tokens[0])),
                 static_cast<std::int32_t>(std::max<std::int64_t>(1, tokens[1]))};
    if (prefix_id_at != kNone && !cells[prefix_id_at].empty()) {
      std::int64_t id = 0, shared = 0;
      if (!parse_tokens(cells[prefix_id_at], id)) {
        throw ScenarioError(path, where, "a prefix_id: a whole number in [0, " + std::to_string(kMaxRowTokens) + "], or empty",
                            shown(cells[prefix_id_at]));
      }
      if (!parse_tokens(cells[prefix_tokens_at], shared) || shared > row.prompt_tokens) {
        throw ScenarioError(path, where,
                            "prefix_tokens: a whole number of tokens up to the row's prompt tokens (" +
                                std::to_string(row.prompt_tokens) + ")",
                            shown(cells[prefix_tokens_at]));
      }
      row.prefix_id = id;
      row.prefix_tokens = static_cast<std::int32_t>(shared);
    }
    rows->push_back(row);
  }
  if (header) throw ScenarioError(path, "line 1", "a CSV header and at least one row", "an empty file");
  if (rows->empty()) throw ScenarioError(path, "", "at least one row after the header", "none");
  trace.rows = std::move(rows);
}

}  // namespace capstan::scenario::detail
