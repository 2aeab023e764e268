#pragma once
// Plain values as bytes and back, for results that cross a process boundary
// (a replication run on a Dask worker): fixed-width native words, strings
// with their length before them. Bit for bit on machines of one byte order;
// take() throws std::runtime_error rather than read past the end.
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace capstan::sim::bytes {

template <class T>
void put(std::string& out, T v) {
  static_assert(std::is_trivially_copyable_v<T>);
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

inline void put_string(std::string& out, std::string_view v) {
  put(out, static_cast<std::uint64_t>(v.size()));
  out += v;
}

template <class T>
T take(std::string_view& in) {
  static_assert(std::is_trivially_copyable_v<T>);
  T v;
  if (in.size() < sizeof v) throw std::runtime_error("result bytes are truncated");
  std::memcpy(&v, in.data(), sizeof v);
  in.remove_prefix(sizeof v);
  return v;
}

inline std::string take_string(std::string_view& in) {
  const auto n = take<std::uint64_t>(in);
  if (n > in.size()) throw std::runtime_error("result bytes are truncated");
  std::string v(in.substr(0, n));
  in.remove_prefix(n);
  return v;
}

}  // namespace capstan::sim::bytes
