// `keyd bundle` values: refusing anything that looks like key material, before any other check
// (and so before any message could quote it).
#include "bundle_values_checks.hpp"

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

// Strict base64 (standard or URL alphabet, whitespace ignored, padding optional). nullopt when
// the text is not base64.
std::optional<std::string> decode_base64(std::string_view text) {
  std::string compact;
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) == 0) compact += c;
  }
  while (!compact.empty() && compact.back() == '=') compact.pop_back();
  if (compact.size() < 16 || compact.size() % 4 == 1) return std::nullopt;
  std::string out;
  unsigned int buffer = 0;
  int bits = 0;
  for (const char c : compact) {
    int v = -1;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6U) | static_cast<unsigned int>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> static_cast<unsigned int>(bits)) & 0xFFU);
    }
  }
  return out;
}

// Why a scalar looks like key material, or "" when it does not.
std::string key_material_shape(std::string_view text) {
  if (contains_psk_header(text)) return "it contains the swarm key header /key/swarm/psk";
  if (has_bare_hex_key(text)) return "it is 64 hex digits, a bare swarm key";
  if (const auto decoded = decode_base64(text)) {
    if (contains_psk_header(*decoded)) return "it is base64 of a swarm key file";
    if (has_bare_hex_key(*decoded)) return "it is base64 of a bare swarm key";
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
