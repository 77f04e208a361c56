// parse_scan_allowlist: the fingerprints `keyd scan` may ignore, each with its reason.
#include "hex_digits.hpp"
#include "keyd/domain/scan.hpp"

#include <algorithm>

namespace keyd::domain {

namespace {

constexpr std::size_t k_fingerprint_digits = 32;

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

}  // namespace

Result<std::set<std::string>> parse_scan_allowlist(std::string_view text) {
  std::set<std::string> fingerprints;
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    const auto newline = text.find('\n');
    const std::string_view line = trim(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    if (line.empty() || line.front() == '#') continue;
    const auto hash = line.find('#');
    const std::string_view value = trim(line.substr(0, hash));
    const std::string_view reason = hash == std::string_view::npos ? std::string_view{} : trim(line.substr(hash + 1));
    const auto where = "line " + std::to_string(number);
    if (value.size() != k_fingerprint_digits ||
        !std::ranges::all_of(value, [](char c) { return detail::is_hex_digit(static_cast<std::uint8_t>(c)); })) {
      return fail(ErrorCode::invalid_input, where + ": expected a fingerprint of 32 hex digits");
    }
    if (reason.empty()) {
      return fail(ErrorCode::invalid_input,
                  where + ": the fingerprint needs a reason after it (\"# why it may appear\")");
    }
    std::string fingerprint(value);
    std::ranges::transform(fingerprint, fingerprint.begin(),
                           [](char c) { return c >= 'A' && c <= 'F' ? static_cast<char>(c - 'A' + 'a') : c; });
    fingerprints.insert(std::move(fingerprint));
  }
  return fingerprints;
}

}  // namespace keyd::domain
