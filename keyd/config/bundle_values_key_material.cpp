// `keyd bundle` values: refusing anything that looks like key material, before any other check
// (and so before any message could quote it).
#include "bundle_values_checks.hpp"

#include "keyd/common/base64.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

namespace keyd::config::detail {

namespace {

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

bool contains_psk_header(std::string_view text) {
  constexpr std::string_view k_header = "/key/swarm/psk";
  if (text.size() < k_header.size()) return false;
  for (std::size_t i = 0; i + k_header.size() <= text.size(); ++i) {
    bool match = true;
    for (std::size_t j = 0; j < k_header.size() && match; ++j) {
      match = std::tolower(static_cast<unsigned char>(text[i + j])) == k_header[j];
    }
    if (match) return true;
  }
  return false;
}

// A whitespace-separated token of exactly 64 hex digits (optionally 0x-prefixed): a bare key.
bool has_bare_hex_key(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) != 0) ++i;
    std::size_t end = i;
    while (end < text.size() && std::isspace(static_cast<unsigned char>(text[end])) == 0) ++end;
    std::string_view token = text.substr(i, end - i);
    if (token.starts_with("0x") || token.starts_with("0X")) token.remove_prefix(2);
    if (token.size() == 64 && std::ranges::all_of(token, is_hex)) return true;
    i = end;
  }
  return false;
}

// Base64 (standard or URL alphabet, whitespace ignored, padding optional) of at least 16
// characters. nullopt when the text is not base64.
std::optional<Secret> decode_base64(std::string_view text) {
  const auto significant = std::ranges::count_if(
      text, [](char c) { return c != '=' && k_c_whitespace.find(c) == std::string_view::npos; });
  if (significant < 16) return std::nullopt;
  return base64_decode_lenient(text, {.url_alphabet = true, .skip = k_c_whitespace});
}

// Why a scalar looks like key material, or "" when it does not.
std::string key_material_shape(std::string_view text) {
  if (contains_psk_header(text)) return "it contains the swarm key header /key/swarm/psk";
  if (has_bare_hex_key(text)) return "it is 64 hex digits, a bare swarm key";
  if (const auto decoded = decode_base64(text)) {
    if (contains_psk_header(decoded->reveal_text())) return "it is base64 of a swarm key file";
    if (has_bare_hex_key(decoded->reveal_text())) return "it is base64 of a bare swarm key";
    std::string compact = std::string(text);
    std::erase_if(compact, [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
    if (decoded->size() == 32 && compact.size() == 44 && compact.ends_with('=')) {
      return "it is base64 of 32 bytes, a raw swarm key";
    }
  }
  return {};
}

}  // namespace

void scan_for_key_material(const YAML::Node& node, const std::string& path, schema::Problems& problems) {
  const auto refuse = [&](const YAML::Node& at, const std::string& where, const std::string& why) {
    problems.add(at.Mark(),
                 (where.empty() ? std::string("top level") : where) +
                     ": refusing a value that looks like key material (" + why +
                     "); values never hold keys: keyd creates and delivers the key itself (keyd rotate, keyd sync)");
  };
  if (node.IsScalar()) {
    if (auto why = key_material_shape(node.Scalar()); !why.empty()) refuse(node, path, why);
  } else if (node.IsSequence()) {
    std::size_t index = 0;
    for (const YAML::Node& item : node)
      scan_for_key_material(item, path + "[" + std::to_string(index++) + "]", problems);
  } else if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      const std::string name = key.IsScalar() ? key.Scalar() : std::string("?");
      if (!key.IsScalar()) {
        scan_for_key_material(key, path, problems);
      } else if (auto why = key_material_shape(name); !why.empty()) {
        refuse(key, path.empty() ? std::string("a key") : "a key in " + path, why);
        continue;  // never put the key's text into a path
      }
      scan_for_key_material(value, path.empty() ? name : path + "." + name, problems);
    }
  }
}

}  // namespace keyd::config::detail
