// `keyd bundle` values: the shapes single values must have (multiaddrs, CIDRs, labels, names,
// images, quantities, cron schedules) and the rule across sections on the listeners' ports.
#include "bundle_values_checks.hpp"

#include <algorithm>
#include <array>
#include <regex>
#include <set>
#include <sstream>

namespace keyd::config::detail {

using schema::Problems;
using schema::Where;

namespace {

// Each pattern is compiled on first use: as static objects they were compiled before main() by every
// keyd command, `keyd version` included (issue 18).
const std::regex& k_dns_label() {
  static const std::regex rx{"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"};
  return rx;
}
const std::regex& k_dns_subdomain() {
  static const std::regex rx{"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"};
  return rx;
}
const std::regex& k_quantity() {
  static const std::regex rx{"^[0-9]+(\\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti|P|Pi|E|Ei)?$"};
  return rx;
}
const std::regex& k_ip4() {
  static const std::regex rx{
    "^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$"};
  return rx;
}
const std::regex& k_ip6() {
  static const std::regex rx{"^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*$"};
  return rx;
}
const std::regex& k_dns_name() {
  static const std::regex rx{"^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$"};
  return rx;
}
// libp2p peer IDs: base58btc multihashes (Qm…, 12D3KooW…) or CIDv1 in base32 (b…) / base36 (k…).
const std::regex& k_peer_id() {
  static const std::regex rx{"^([1-9A-HJ-NP-Za-km-z]{40,64}|b[a-z2-7]{50,100}|k[0-9a-z]{50,100})$"};
  return rx;
}
const std::regex& k_label_name() {
  static const std::regex rx{
    "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"};
  return rx;
}
const std::regex& k_label_value() {
  static const std::regex rx{"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$"};
  return rx;
}
const std::regex& k_image() {
  static const std::regex rx{
    "^[a-z0-9]([-a-z0-9._/:]*[a-z0-9])?(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$"};
  return rx;
}
const std::regex& k_version() {
  static const std::regex rx{"^[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.-]+)?$"};
  return rx;
}
const std::regex& k_cron_field() {
  static const std::regex rx{"^[0-9A-Za-z*/,?-]+$"};
  return rx;
}
const std::regex& k_secret_key() {
  static const std::regex rx{"^[-._a-zA-Z0-9]+$"};
  return rx;
}

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

// What a multiaddr is for: a bootstrap peer, a swarm listener (TCP or WebSocket), the API or gateway (TCP).
enum class AddrKind { bootstrap, swarm, listen };

bool valid_host(const std::string& proto, const std::string& host, bool allow_dns) {
  if (proto == "ip4") return matches(host, k_ip4());
  if (proto == "ip6") return matches(host, k_ip6());
  return allow_dns && (proto == "dns" || proto == "dns4" || proto == "dns6") && matches(host, k_dns_name()) &&
         host.size() <= 253;
}

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
    if (next + 2 != parts.size() || parts[next] != "p2p" || !matches(parts[next + 1], k_peer_id())) return expected;
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
  if (matches(ip, k_ip4())) return n <= 32;
  return matches(ip, k_ip6()) && n <= 128;
}

}  // namespace

bool is_dns_label_40(const std::string& s) { return s.size() <= 40 && matches(s, k_dns_label()); }
bool is_dns_label(const std::string& s) { return s.size() <= 63 && matches(s, k_dns_label()); }
bool is_dns_subdomain(const std::string& s) { return s.size() <= 253 && matches(s, k_dns_subdomain()); }
bool is_quantity(const std::string& s) { return matches(s, k_quantity()); }
bool is_image(const std::string& s) {
  if (!matches(s, k_image())) return false;
  const auto colon = s.rfind(':');
  return s.find('@') != std::string::npos || s.substr(colon + 1) != "latest";
}
bool is_version(const std::string& s) { return matches(s, k_version()); }
bool is_secret_key(const std::string& s) { return s.size() <= 253 && matches(s, k_secret_key()); }
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
    if (!matches(field, k_cron_field())) return false;
    ++count;
  }
  return count == 5;
}
bool is_relative_path(const std::string& s) { return schema::relative_path_problem(s).empty(); }
bool is_name_token(const std::string& s) {
  return !s.empty() && s.size() <= 253 && std::ranges::all_of(s, [](char c) { return c > ' ' && c < 0x7f; });
}

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
    if (!key.IsScalar() || !matches(key.Scalar(), k_label_name()) || key.Scalar().size() > 316) {
      problems.add(key.Mark(), where.prefix() + "expected a label name ([prefix/]name), got " + schema::describe(key));
      continue;
    }
    const Where at = where.child(key.Scalar(), val.IsNull() ? key.Mark() : val.Mark());
    const std::string text = val.IsNull() ? std::string() : val.IsScalar() ? val.Scalar() : std::string("\x01");
    if (text.size() > 63 || !matches(text, k_label_value())) {
      problems.add(at.mark, at.prefix() + "expected a label value (at most 63 of A-Z a-z 0-9 - _ .), got " +
                                schema::describe(val));
      continue;
    }
    out.emplace(key.Scalar(), text);
  }
  return out;
}

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

std::optional<std::string> optional_checked(const YAML::Node& value, const Where& where, Problems& problems,
                                            bool (*check)(const std::string&), std::string_view what) {
  if (value.IsNull()) return std::nullopt;
  auto text = schema::scalar(value, where, problems);
  if (!text || text->empty()) return std::nullopt;
  if (!check(*text)) {
    problems.add(where.mark, where.prefix() + "expected " + std::string(what) + ", got '" + *text + "'");
    return std::nullopt;
  }
  return text;
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

namespace {
void listen_address(const YAML::Node& value, const Where& where, Problems& problems, std::string& out) {
  auto text = schema::non_empty_string(value, where, problems);
  if (!text) return;
  if (auto why = multiaddr_problem(*text, AddrKind::listen); !why.empty()) {
    problems.add(where.mark, where.prefix() + why + ", got '" + *text + "'");
    return;
  }
  out = std::move(*text);
}
}  // namespace

void parse_api_address(const YAML::Node& value, const Where& where, Problems& problems, BundleIpfs& out) {
  listen_address(value, where, problems, out.api_address);
}

void parse_gateway_address(const YAML::Node& value, const Where& where, Problems& problems, BundleIpfs& out) {
  listen_address(value, where, problems, out.gateway_address);
}

void parse_network_id(const YAML::Node& value, const Where& where, Problems& problems, BundleZeroTier& out) {
  if (auto text =
          optional_checked(value, where, problems, is_network_id, "a ZeroTier network ID (16 lowercase hex digits)")) {
    out.network_id = *text;
  }
}

void parse_node_selector(const YAML::Node& value, const Where& where, Problems& problems, BundleZeroTier& out) {
  out.node_selector = label_map(value, where, problems);
}

void parse_swarm_cidrs(const YAML::Node& value, const Where& where, Problems& problems, BundleNetworkPolicy& out) {
  out.swarm_cidrs = string_list(value, where, problems, [](const std::string& c) {
    return valid_cidr(c) ? std::string() : std::string("expected a CIDR such as 10.147.17.0/24");
  });
}

void parse_api_clients(const YAML::Node& value, const Where& where, Problems& problems, BundleNetworkPolicy& out) {
  out.api_clients = label_map(value, where, problems);
}

}  // namespace keyd::config::detail
