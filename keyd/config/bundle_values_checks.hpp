// Internals of the `keyd bundle` values (private to keyd/config): the key-material scan
// (bundle_values_key_material.cpp), and the shape checks of single values — multiaddrs, CIDRs,
// labels, names, images, quantities — with the network values' field parsers
// (bundle_values_checks.cpp). The schema tables that use them
// are in bundle_values.cpp.
#pragma once

#include "keyd/config/bundle_values.hpp"
#include "schema.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::config::detail {

// Reports every scalar (value or map key) under `node` that looks like a swarm key — the
// /key/swarm/psk header, 64 hex digits, base64 of a key file, of bare hex or of 32 bytes — by
// path and line only, never quoting it. `path` is the dotted path of `node` ("" at the top).
void scan_for_key_material(const YAML::Node& node, const std::string& path, schema::Problems& problems);

// Single-value shapes, for the tables' "expected X, got 'Y'".
[[nodiscard]] bool is_dns_label_40(const std::string& s);
[[nodiscard]] bool is_dns_label(const std::string& s);
[[nodiscard]] bool is_dns_subdomain(const std::string& s);
[[nodiscard]] bool is_quantity(const std::string& s);
[[nodiscard]] bool is_image(const std::string& s);  // pinned: name:tag (not latest) or name@sha256:<64 hex>
[[nodiscard]] bool is_version(const std::string& s);
[[nodiscard]] bool is_secret_key(const std::string& s);
[[nodiscard]] bool is_network_id(const std::string& s);
[[nodiscard]] bool is_https_url(const std::string& s);
[[nodiscard]] bool is_cron(const std::string& s);
[[nodiscard]] bool is_relative_path(const std::string& s);
[[nodiscard]] bool is_name_token(const std::string& s);  // printable, no whitespace: a Vault role, an audience

// A list of distinct non-empty strings, each checked with `problem` ("" when fine).
[[nodiscard]] std::vector<std::string> string_list(const YAML::Node& value, const schema::Where& where,
                                                   schema::Problems& problems,
                                                   const std::function<std::string(const std::string&)>& problem);

// A map of Kubernetes labels (node selectors, pod selectors).
[[nodiscard]] std::map<std::string, std::string> label_map(const YAML::Node& value, const schema::Where& where,
                                                           schema::Problems& problems);

// An optional string: nullopt when empty or null (nothing reported) or when `check` fails
// (reported as "expected <what>, got '…'").
[[nodiscard]] std::optional<std::string> optional_checked(const YAML::Node& value, const schema::Where& where,
                                                          schema::Problems& problems, bool (*check)(const std::string&),
                                                          std::string_view what);

// Field parsers of the network values: multiaddrs (the bootstrap peers: /ip4|ip6|dns|dns4|dns6/
// HOST/tcp/PORT[/ws]/p2p/PEER-ID; swarm listeners: TCP or WebSocket only; API and gateway: TCP),
// the ZeroTier network ID, node selectors, the NetworkPolicy's CIDRs and client labels.
void parse_bootstrap(const YAML::Node& value, const schema::Where& where, schema::Problems& problems, BundleIpfs& out);
void parse_swarm_addresses(const YAML::Node& value, const schema::Where& where, schema::Problems& problems,
                           BundleIpfs& out);
void parse_api_address(const YAML::Node& value, const schema::Where& where, schema::Problems& problems,
                       BundleIpfs& out);
void parse_gateway_address(const YAML::Node& value, const schema::Where& where, schema::Problems& problems,
                           BundleIpfs& out);
void parse_network_id(const YAML::Node& value, const schema::Where& where, schema::Problems& problems,
                      BundleZeroTier& out);
void parse_node_selector(const YAML::Node& value, const schema::Where& where, schema::Problems& problems,
                         BundleZeroTier& out);
void parse_swarm_cidrs(const YAML::Node& value, const schema::Where& where, schema::Problems& problems,
                       BundleNetworkPolicy& out);
void parse_api_clients(const YAML::Node& value, const schema::Where& where, schema::Problems& problems,
                       BundleNetworkPolicy& out);

// Rules across sections: the swarm, API and gateway listeners use distinct ports.
void check_ports(const YAML::Node& root, const BundleValues& v, schema::Problems& problems);

}  // namespace keyd::config::detail
