#pragma once
// SHA-256 (FIPS 180-4) of a byte string, for the scenario hash in reports.
// Small and dependency-free; not constant-time, not for secrets.
#include <string>
#include <string_view>

namespace capstan::scenario {

// Lowercase hexadecimal digest, 64 characters.
std::string sha256_hex(std::string_view bytes);

}  // namespace capstan::scenario
