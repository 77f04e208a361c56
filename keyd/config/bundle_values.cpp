// `keyd bundle` values: the key-material scan, then the schema tables and their value checks.
#include "keyd/config/bundle_values.hpp"

#include "schema.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace keyd::config {

namespace {

using schema::Field;
using schema::Problems;
using schema::Where;

// ------------------------------------------------------------------ key material
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

void scan_for_key_material(const YAML::Node& node, const std::string& path, Problems& problems) {
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

// ------------------------------------------------------------------ value shapes
const std::regex k_dns_label{"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"};
const std::regex k_dns_subdomain{"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"};
const std::regex k_quantity{"^[0-9]+(\\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti|P|Pi|E|Ei)?$"};
const std::regex k_ip4{
    "^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$"};
const std::regex k_ip6{"^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*$"};
const std::regex k_dns_name{"^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$"};
// libp2p peer IDs: base58btc multihashes (Qm…, 12D3KooW…) or CIDv1 in base32 (b…) / base36 (k…).
const std::regex k_peer_id{"^([1-9A-HJ-NP-Za-km-z]{40,64}|b[a-z2-7]{50,100}|k[0-9a-z]{50,100})$"};
const std::regex k_label_name{
    "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"};
const std::regex k_label_value{"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$"};
const std::regex k_image{
    "^[a-z0-9]([-a-z0-9._/:]*[a-z0-9])?(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$"};
const std::regex k_version{"^[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.-]+)?$"};
const std::regex k_cron_field{"^[0-9A-Za-z*/,?-]+$"};
const std::regex k_secret_key{"^[-._a-zA-Z0-9]+$"};

bool matches(const std::string& text, const std::regex& rx) { return std::regex_match(text, rx); }

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = text.find(separator, start);
    parts.emplace_back(text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

bool valid_port(const std::string& text) {
  if (text.empty() || text.size() > 5 || !std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  const int port = std::stoi(text);
  return port >= 1 && port <= 65535;
}

bool valid_host(const std::string& proto, const std::string& host, bool allow_dns) {
  if (proto == "ip4") return matches(host, k_ip4);
  if (proto == "ip6") return matches(host, k_ip6);
  return allow_dns && (proto == "dns" || proto == "dns4" || proto == "dns6") && matches(host, k_dns_name) &&
         host.size() <= 253;
}

enum class AddrKind { bootstrap, swarm, listen };

// "" when the multiaddr has the shape `kind` needs, else what is expected.
std::string multiaddr_problem(const std::string& addr, AddrKind kind) {
  static constexpr std::array k_expected = {
      "expected /ip4|ip6|dns|dns4|dns6/HOST/tcp/PORT[/ws]/p2p/PEER-ID (a private peer; a private network is TCP or "
      "WebSocket only)",
      "expected /ip4|ip6/HOST/tcp/PORT[/ws] (a private network is TCP or WebSocket only: no QUIC, WebTransport or "
      "WebRTC)",
      "expected /ip4|ip6/HOST/tcp/PORT"};
  const std::string expected = k_expected[static_cast<std::size_t>(kind)];
  const auto parts = split(addr, '/');
  // "", proto, host, "tcp", port, ...
  if (parts.size() < 5 || !parts[0].empty() || parts[3] != "tcp" || !valid_port(parts[4]) ||
      !valid_host(parts[1], parts[2], kind == AddrKind::bootstrap)) {
    return expected;
  }
  std::size_t next = 5;
  if (kind != AddrKind::listen && next < parts.size() && parts[next] == "ws") ++next;
  if (kind == AddrKind::bootstrap) {
    if (next + 2 != parts.size() || parts[next] != "p2p" || !matches(parts[next + 1], k_peer_id)) return expected;
    return {};
  }
  return next == parts.size() ? std::string() : expected;
}

bool valid_cidr(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) return false;
  const std::string ip = text.substr(0, slash);
  const std::string bits = text.substr(slash + 1);
  if (bits.empty() || bits.size() > 3 || !std::ranges::all_of(bits, [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  const int n = std::stoi(bits);
  if (matches(ip, k_ip4)) return n <= 32;
  return matches(ip, k_ip6) && n <= 128;
}

// ------------------------------------------------------------------ field parsers
// A non-empty string that must match a check; `what` names the expected shape.
template <auto Member>
void checked(const YAML::Node& value, const Where& where, Problems& problems, schema::Owner<Member>& out,
             bool (*check)(const std::string&), std::string_view what) {
  auto text = schema::non_empty_string(value, where, problems);
  if (!text) return;
  if (!check(*text)) {
    problems.add(where.mark, where.prefix() + "expected " + std::string(what) + ", got '" + *text + "'");
    return;
  }
  out.*Member = std::move(*text);
}

bool is_dns_label_40(const std::string& s) { return s.size() <= 40 && matches(s, k_dns_label); }
bool is_dns_label(const std::string& s) { return s.size() <= 63 && matches(s, k_dns_label); }
bool is_dns_subdomain(const std::string& s) { return s.size() <= 253 && matches(s, k_dns_subdomain); }
bool is_quantity(const std::string& s) { return matches(s, k_quantity); }
bool is_image(const std::string& s) {
  if (!matches(s, k_image)) return false;
  const auto colon = s.rfind(':');
  return s.find('@') != std::string::npos || s.substr(colon + 1) != "latest";
}
bool is_version(const std::string& s) { return matches(s, k_version); }
bool is_secret_key(const std::string& s) { return s.size() <= 253 && matches(s, k_secret_key); }
bool is_network_id(const std::string& s) {
  return s.size() == 16 &&
         std::ranges::all_of(s, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}
bool is_https_url(const std::string& s) {
  return s.starts_with("https://") && s.size() > 8 && s.find_first_of(" \t\n\"'") == std::string::npos;
}
bool is_cron(const std::string& s) {
  static const std::set<std::string, std::less<>> k_macros{"@yearly", "@annually", "@monthly", "@weekly",
                                                           "@daily",  "@midnight", "@hourly"};
  if (k_macros.contains(s)) return true;
  std::istringstream in(s);
  std::string field;
  int count = 0;
  while (in >> field) {
    if (!matches(field, k_cron_field)) return false;
    ++count;
  }
  return count == 5;
}
bool is_relative_path(const std::string& s) { return schema::relative_path_problem(s).empty(); }

constexpr std::string_view k_label_text = "a lowercase RFC 1123 label of at most 40 characters";

#define KEYD_CHECKED(member, check, what)                                          \
  [](const YAML::Node& v, const Where& w, Problems& p, schema::Owner<member>& o) { \
    checked<member>(v, w, p, o, check, what);                                      \
  }

// A quantity that may be empty (leaves the field out).
template <auto Member>
void quantity_field(const YAML::Node& value, const Where& where, Problems& problems, schema::Owner<Member>& out) {
  if (value.IsNull()) {
    out.*Member = std::string();
    return;
  }
  auto text = schema::scalar(value, where, problems);
  if (!text) return;
  if (!text->empty() && !is_quantity(*text)) {
    problems.add(where.mark,
                 where.prefix() + "expected a Kubernetes quantity such as 250m, 1, 512Mi or 10Gi, got '" + *text + "'");
    return;
  }
  out.*Member = std::move(*text);
}

// A list of strings, each checked with `problem` ("" when fine).
std::vector<std::string> string_list(const YAML::Node& value, const Where& where, Problems& problems,
                                     const std::function<std::string(const std::string&)>& problem) {
  std::vector<std::string> out;
  if (value.IsNull()) return out;
  if (!value.IsSequence()) {
    problems.add(where.mark, where.prefix() + "expected a list, got " + schema::describe(value));
    return out;
  }
  std::set<std::string> seen;
  std::size_t index = 0;
  for (const YAML::Node& item : value) {
    const Where at{where.path + "[" + std::to_string(index++) + "]", item.Mark()};
    auto text = schema::non_empty_string(item, at, problems);
    if (!text) continue;
    if (auto why = problem(*text); !why.empty()) {
      problems.add(at.mark, at.prefix() + why + ", got '" + *text + "'");
    } else if (!seen.insert(*text).second) {
      problems.add(at.mark, at.prefix() + "duplicate '" + *text + "'");
    } else {
      out.push_back(std::move(*text));
    }
  }
  return out;
}

// A map of Kubernetes labels (node selectors, pod selectors).
std::map<std::string, std::string> label_map(const YAML::Node& value, const Where& where, Problems& problems) {
  std::map<std::string, std::string> out;
  if (value.IsNull()) return out;
  if (!value.IsMap()) {
    problems.add(where.mark, where.prefix() + "expected a map of labels, got " + schema::describe(value));
    return out;
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node val = it->second;
    if (!key.IsScalar() || !matches(key.Scalar(), k_label_name) || key.Scalar().size() > 316) {
      problems.add(key.Mark(), where.prefix() + "expected a label name ([prefix/]name), got " + schema::describe(key));
      continue;
    }
    const Where at = where.child(key.Scalar(), val.IsNull() ? key.Mark() : val.Mark());
    const std::string text = val.IsNull() ? std::string() : val.IsScalar() ? val.Scalar() : std::string("\x01");
    if (text.size() > 63 || !matches(text, k_label_value)) {
      problems.add(at.mark, at.prefix() + "expected a label value (at most 63 of A-Z a-z 0-9 - _ .), got " +
                                schema::describe(val));
      continue;
    }
    out.emplace(key.Scalar(), text);
  }
  return out;
}

// ------------------------------------------------------------------ tables
void parse_routing(const YAML::Node& value, const Where& where, Problems& problems, BundleIpfs& out) {
  static constexpr std::array<schema::Choice, 4> k_choices{
      {{"none", true}, {"dht", true}, {"dhtclient", true}, {"dhtserver", true}}};
  if (auto text = schema::choice(value, where, problems, k_choices, "routing type")) out.routing = *text;
}

void parse_bootstrap(const YAML::Node& value, const Where& where, Problems& problems, BundleIpfs& out) {
  out.bootstrap = string_list(value, where, problems,
                              [](const std::string& a) { return multiaddr_problem(a, AddrKind::bootstrap); });
}

void parse_swarm_addresses(const YAML::Node& value, const Where& where, Problems& problems, BundleIpfs& out) {
  if (value.IsNull() || (value.IsSequence() && value.size() == 0)) {
    problems.add(where.mark, where.prefix() + "must list at least one address");
    return;
  }
  out.swarm_addresses =
      string_list(value, where, problems, [](const std::string& a) { return multiaddr_problem(a, AddrKind::swarm); });
}

template <auto Member>
void listen_address(const YAML::Node& value, const Where& where, Problems& problems, BundleIpfs& out) {
  auto text = schema::non_empty_string(value, where, problems);
  if (!text) return;
  if (auto why = multiaddr_problem(*text, AddrKind::listen); !why.empty()) {
    problems.add(where.mark, where.prefix() + why + ", got '" + *text + "'");
    return;
  }
  out.*Member = std::move(*text);
}

inline constexpr std::array k_quantity_fields{
    Field<BundleQuantities>{"cpu", false, quantity_field<&BundleQuantities::cpu>},
    Field<BundleQuantities>{"memory", false, quantity_field<&BundleQuantities::memory>},
};
inline constexpr std::array k_resources_fields{
    Field<BundleResources>{"requests", false, schema::map_field<&BundleResources::requests, k_quantity_fields>},
    Field<BundleResources>{"limits", false, schema::map_field<&BundleResources::limits, k_quantity_fields>},
};

void parse_storage(const YAML::Node& value, const Where& where, Problems& problems, BundleIpfs& out) {
  static constexpr std::array k_fields{
      Field<BundleIpfs>{"size", false,
                        KEYD_CHECKED(&BundleIpfs::storage_size, is_quantity, "a Kubernetes quantity such as 10Gi")},
      Field<BundleIpfs>{"class", false, schema::optional_string_field<&BundleIpfs::storage_class>},
  };
  schema::parse_map(value, where, problems, k_fields, out);
  if (!out.storage_class.empty() && !is_dns_subdomain(out.storage_class)) {
    problems.add(where.mark, where.prefix() + "class: expected a StorageClass name, got '" + out.storage_class + "'");
  }
}

void parse_resources(const YAML::Node& value, const Where& where, Problems& problems, BundleIpfs& out) {
  schema::parse_map(value, where, problems, k_resources_fields, out.resources);
}

inline constexpr std::array k_ipfs_fields{
    Field<BundleIpfs>{
        "image", false,
        KEYD_CHECKED(&BundleIpfs::image, is_image, "a pinned image (name:tag, not latest, or name@sha256:…)")},
    Field<BundleIpfs>{"replicas", false, schema::int_field<&BundleIpfs::replicas, 1, 100>},
    Field<BundleIpfs>{"storage", false, parse_storage},
    Field<BundleIpfs>{"resources", false, parse_resources},
    Field<BundleIpfs>{"bootstrap", false, parse_bootstrap},
    Field<BundleIpfs>{"swarm_addresses", false, parse_swarm_addresses},
    Field<BundleIpfs>{"api_address", false, listen_address<&BundleIpfs::api_address>},
    Field<BundleIpfs>{"gateway_address", false, listen_address<&BundleIpfs::gateway_address>},
    Field<BundleIpfs>{"routing", false, parse_routing},
};

void parse_node_selector(const YAML::Node& value, const Where& where, Problems& problems, BundleZeroTier& out) {
  out.node_selector = label_map(value, where, problems);
}

void parse_network_id(const YAML::Node& value, const Where& where, Problems& problems, BundleZeroTier& out) {
  if (value.IsNull()) return;
  auto text = schema::scalar(value, where, problems);
  if (!text || text->empty()) return;
  if (!is_network_id(*text)) {
    problems.add(where.mark,
                 where.prefix() + "expected a ZeroTier network ID (16 lowercase hex digits), got '" + *text + "'");
    return;
  }
  out.network_id = std::move(*text);
}

inline constexpr std::array k_zerotier_fields{
    Field<BundleZeroTier>{"network_id", false, parse_network_id},
    Field<BundleZeroTier>{"host_network", false, schema::bool_field<&BundleZeroTier::host_network>},
    Field<BundleZeroTier>{"node_selector", false, parse_node_selector},
};

void parse_delivery_mode(const YAML::Node& value, const Where& where, Problems& problems, BundleKeyDelivery& out) {
  auto text = schema::non_empty_string(value, where, problems);
  if (!text) return;
  if (*text == "agent") {
    problems.add(where.mark, where.prefix() +
                                 "key delivery 'agent' (a keyd agent init container, no Secret) is not available yet; "
                                 "use 'secret'");
  } else if (*text != "secret") {
    problems.add(where.mark, where.prefix() + "unknown key delivery '" + *text + "' (expected: secret, agent)");
  } else {
    out.mode = *text;
  }
}

inline constexpr std::array k_delivery_fields{
    Field<BundleKeyDelivery>{"mode", false, parse_delivery_mode},
    Field<BundleKeyDelivery>{"secret", false,
                             KEYD_CHECKED(&BundleKeyDelivery::secret, is_dns_subdomain, "a Secret name")},
    Field<BundleKeyDelivery>{
        "key", false, KEYD_CHECKED(&BundleKeyDelivery::key, is_secret_key, "a Secret data key ([-._a-zA-Z0-9]+)")},
};

void parse_auth_method(const YAML::Node& value, const Where& where, Problems& problems, BundleVault& out) {
  static constexpr std::array<schema::Choice, 3> k_choices{{{"kubernetes", true}, {"approle", true}, {"token", true}}};
  if (auto text = schema::choice(value, where, problems, k_choices, "auth method")) out.auth_method = *text;
}

inline constexpr std::array k_vault_fields{
    Field<BundleVault>{"address", false, KEYD_CHECKED(&BundleVault::address, is_https_url, "an https:// URL")},
    Field<BundleVault>{"mount", false,
                       KEYD_CHECKED(&BundleVault::mount, is_relative_path, "a relative path such as secret")},
    Field<BundleVault>{"auth_method", false, parse_auth_method},
    Field<BundleVault>{"role", false, schema::optional_string_field<&BundleVault::role>},
    Field<BundleVault>{"credentials_secret", false, schema::optional_string_field<&BundleVault::credentials_secret>},
    Field<BundleVault>{"ca_secret", false, schema::optional_string_field<&BundleVault::ca_secret>},
};

void parse_vault(const YAML::Node& value, const Where& where, Problems& problems, BundleKeyd& out) {
  BundleVault& v = out.vault;
  if (!schema::parse_map(value, where, problems, k_vault_fields, v)) return;
  const auto at = [&](std::string_view key) { return schema::key_mark(value, key).value_or(where.mark); };
  for (const auto& [key, name] :
       {std::pair{"credentials_secret", &v.credentials_secret}, std::pair{"ca_secret", &v.ca_secret}}) {
    if (!name->empty() && !is_dns_subdomain(*name)) {
      problems.add(at(key), where.child(key, where.mark).prefix() + "expected a Secret name, got '" + *name + "'");
    }
  }
  if (v.auth_method == "kubernetes") {
    if (v.role.empty())
      problems.add(at("role"), where.child("role", where.mark).prefix() + "required with auth_method kubernetes");
    if (!v.credentials_secret.empty()) {
      problems.add(at("credentials_secret"),
                   where.child("credentials_secret", where.mark).prefix() +
                       "only for auth_method approle or token (kubernetes uses keyd's service account)");
    }
  } else if (v.credentials_secret.empty()) {
    problems.add(at("credentials_secret"), where.child("credentials_secret", where.mark).prefix() +
                                               "required with auth_method " + v.auth_method +
                                               " (the name of a Secret holding " +
                                               (v.auth_method == "approle" ? "role-id and secret-id" : "token") + ")");
  }
}

void parse_keyd_mode(const YAML::Node& value, const Where& where, Problems& problems, BundleKeyd& out) {
  static constexpr std::array<schema::Choice, 2> k_choices{{{"cronjob", true}, {"daemon", true}}};
  if (auto text = schema::choice(value, where, problems, k_choices, "keyd mode")) out.mode = *text;
}

void parse_strategy(const YAML::Node& value, const Where& where, Problems& problems, BundleKeyd& out) {
  static constexpr std::array<schema::Choice, 3> k_choices{{{"rolling", true}, {"recreate", true}, {"none", true}}};
  if (auto text = schema::choice(value, where, problems, k_choices, "strategy")) out.strategy = *text;
}

void parse_rollout_timeout(const YAML::Node& value, const Where& where, Problems& problems, BundleKeyd& out) {
  if (schema::duration(value, where, problems, std::chrono::seconds(1), std::chrono::hours(24)))
    out.rollout_timeout = value.Scalar();
}

inline constexpr std::array k_keyd_fields{
    Field<BundleKeyd>{
        "image", false,
        KEYD_CHECKED(&BundleKeyd::image, is_image, "a pinned image (name:tag, not latest, or name@sha256:…)")},
    Field<BundleKeyd>{"mode", false, parse_keyd_mode},
    Field<BundleKeyd>{"schedule", false,
                      KEYD_CHECKED(&BundleKeyd::schedule, is_cron, "a 5-field cron schedule or @daily, @weekly, …")},
    Field<BundleKeyd>{"swarm", false, KEYD_CHECKED(&BundleKeyd::swarm, is_dns_label, "a lowercase RFC 1123 label")},
    Field<BundleKeyd>{
        "path", false,
        KEYD_CHECKED(&BundleKeyd::path, is_relative_path, "a relative store path such as ipfs-overlay/swarm-key")},
    Field<BundleKeyd>{"strategy", false, parse_strategy},
    Field<BundleKeyd>{"rollout_timeout", false, parse_rollout_timeout},
    Field<BundleKeyd>{"audit_storage", false,
                      KEYD_CHECKED(&BundleKeyd::audit_storage, is_quantity, "a Kubernetes quantity such as 1Gi")},
    Field<BundleKeyd>{"vault", false, parse_vault},
};

void parse_swarm_cidrs(const YAML::Node& value, const Where& where, Problems& problems, BundleNetworkPolicy& out) {
  out.swarm_cidrs = string_list(value, where, problems, [](const std::string& c) {
    return valid_cidr(c) ? std::string() : std::string("expected a CIDR such as 10.147.17.0/24");
  });
}

void parse_api_clients(const YAML::Node& value, const Where& where, Problems& problems, BundleNetworkPolicy& out) {
  out.api_clients = label_map(value, where, problems);
}

inline constexpr std::array k_policy_fields{
    Field<BundleNetworkPolicy>{"enabled", false, schema::bool_field<&BundleNetworkPolicy::enabled>},
    Field<BundleNetworkPolicy>{"swarm_cidrs", false, parse_swarm_cidrs},
    Field<BundleNetworkPolicy>{"api_clients", false, parse_api_clients},
};

inline constexpr std::array k_values_fields{
    Field<BundleValues>{"namespace", false,
                        KEYD_CHECKED(&BundleValues::namespace_name, is_dns_label, "a lowercase RFC 1123 label")},
    Field<BundleValues>{"name", false, KEYD_CHECKED(&BundleValues::name, is_dns_label_40, k_label_text)},
    Field<BundleValues>{"version", false,
                        KEYD_CHECKED(&BundleValues::version, is_version, "a semantic version such as 1.0.0")},
    Field<BundleValues>{"ipfs", false, schema::map_field<&BundleValues::ipfs, k_ipfs_fields>},
    Field<BundleValues>{"zerotier", false, schema::map_field<&BundleValues::zerotier, k_zerotier_fields>},
    Field<BundleValues>{"key_delivery", false, schema::map_field<&BundleValues::key_delivery, k_delivery_fields>},
    Field<BundleValues>{"keyd", false, schema::map_field<&BundleValues::keyd, k_keyd_fields>},
    Field<BundleValues>{"network_policy", false, schema::map_field<&BundleValues::network_policy, k_policy_fields>},
};

#undef KEYD_CHECKED

// Rules across sections: the three listeners need distinct ports.
void check_ports(const YAML::Node& root, const BundleValues& v, Problems& problems) {
  const int api = multiaddr_tcp_port(v.ipfs.api_address);
  const int gateway = multiaddr_tcp_port(v.ipfs.gateway_address);
  const YAML::Mark mark = root["ipfs"] ? root["ipfs"].Mark() : root.Mark();
  if (api == gateway)
    problems.add(mark, "ipfs: api_address and gateway_address use the same port " + std::to_string(api));
  for (const auto& swarm : v.ipfs.swarm_addresses) {
    const int port = multiaddr_tcp_port(swarm);
    if (port == api || port == gateway) {
      problems.add(mark, "ipfs: swarm address '" + swarm + "' uses port " + std::to_string(port) +
                             ", which the API or the gateway uses");
    }
  }
}

}  // namespace

Result<BundleValues> parse_bundle_values(std::string_view yaml_text, std::string_view source_name) {
  Problems problems{std::string(source_name)};
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    problems.add(e.mark, e.msg);
    return fail(problems.to_error());
  }
  BundleValues values;
  values.source = std::string(source_name);
  if (documents.empty() || documents.front().IsNull()) return values;
  for (const auto& document : documents) scan_for_key_material(document, "", problems);
  if (!problems.empty()) return fail(problems.to_error());  // before any message could quote a value
  if (documents.size() > 1) {
    problems.add(documents[1].Mark(), "expected one YAML document, found " + std::to_string(documents.size()));
  }
  const YAML::Node& root = documents.front();
  schema::parse_map(root, Where{"", root.Mark()}, problems, k_values_fields, values);
  if (problems.empty() && root.IsMap()) check_ports(root, values, problems);
  if (!problems.empty()) return fail(problems.to_error());
  return values;
}

Result<BundleValues> load_bundle_values(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      return fail(ErrorCode::invalid_config, "values file " + path.string() + ": not found");
    return fail(ErrorCode::invalid_config, "values file " + path.string() + ": cannot be read");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(ErrorCode::invalid_config, "values file " + path.string() + ": read error");
  return parse_bundle_values(text.str(), path.string());
}

}  // namespace keyd::config
