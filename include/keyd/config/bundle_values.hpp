// The values of `keyd bundle`: what the rendered ipfs-overlay manifests are made from. YAML text
// parsed by a pure function that reports every problem with "<source>:<line>:<column>: <message>",
// like the configuration. The defaults below are the ones documented in configs/bundle-values.yaml
// (a test parses that file and compares). Values never hold key material: any scalar that looks
// like a swarm key is refused, naming its path and line, never echoing it.
#pragma once

#include "keyd/common/address.hpp"
#include "keyd/common/result.hpp"
#include "keyd/config/config.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::config {

// Kubernetes resource quantities; an empty string leaves the field out.
struct BundleQuantities {
  std::string cpu;
  std::string memory;
  bool operator==(const BundleQuantities&) const = default;
};

struct BundleResources {
  BundleQuantities requests{"250m", "512Mi"};
  BundleQuantities limits{"", "2Gi"};
  bool operator==(const BundleResources&) const = default;
};

// The Kubo nodes (StatefulSet) and the settings applied to their repository on every start.
struct BundleIpfs {
  std::string image = "ipfs/kubo:v0.32.1";  // pinned: name:tag (not latest) or name@sha256:…
  int replicas = 3;
  std::string storage_size = "10Gi";
  std::string storage_class;  // empty: the cluster's default StorageClass
  BundleResources resources;
  std::vector<std::string> bootstrap;  // private peers: /ip4|ip6|dns|dns4|dns6/HOST/tcp/PORT[/ws]/p2p/ID
  std::vector<std::string> swarm_addresses{"/ip4/0.0.0.0/tcp/4001", "/ip6/::/tcp/4001"};  // TCP (+/ws) only
  std::string api_address = "/ip4/0.0.0.0/tcp/5001";
  std::string gateway_address = "/ip4/0.0.0.0/tcp/8080";
  std::string routing = "none";  // none | dht | dhtclient | dhtserver
  bool operator==(const BundleIpfs&) const = default;
};

// Binding the swarm to the ZeroTier interface that zerotier-k8s-link provisions on member nodes.
struct BundleZeroTier {
  std::string network_id;     // 16 hex digits, informational (module manifest); empty: not used
  bool host_network = false;  // pods share the node's network, so the ZeroTier interface is theirs
  std::map<std::string, std::string> node_selector;  // schedule only onto ZeroTier member nodes
  bool operator==(const BundleZeroTier&) const = default;
};

// key_delivery.agent: the `keyd agent --once` init container of mode agent. It logs in to Vault
// with Kubernetes auth as the pods' service account (<name>-node) through a projected token.
struct BundleAgent {
  std::string vault_address;              // empty: keyd.vault.address (the same Vault, same KV path)
  std::string auth_mount = "kubernetes";  // Vault's Kubernetes auth mount
  std::string role = "keyd-reader";       // the Vault role bound to service account <name>-node
  std::string audience = "vault";         // the projected token's audience (the role's `audience`)
  bool operator==(const BundleAgent&) const = default;
};

struct BundleKeyDelivery {
  std::string mode = "secret";  // secret (keyd syncs a Secret) | agent (a keyd agent init container, no Secret)
  std::string secret = "ipfs-swarm-key";  // secret mode only
  std::string key = "swarm.key";          // secret mode only
  BundleAgent agent;                      // agent mode only
  bool operator==(const BundleKeyDelivery&) const = default;
};

// keyd's store in the cluster: Vault KV v2. Credentials are referenced (a Secret's name, the pod's
// service account), never given as values.
struct BundleVault {
  std::string address = "https://vault.vault.svc:8200";
  std::string mount = "secret";
  VaultAuthMethod auth_method = VaultAuthMethod::kubernetes;
  std::string role = "keyd";       // kubernetes: the Vault role bound to keyd's service account
  std::string credentials_secret;  // approle: Secret with role-id and secret-id; token: Secret with token
  std::string ca_secret;           // Secret with ca.crt for Vault's TLS; empty: system CAs
  bool operator==(const BundleVault&) const = default;
};

// keyd.daemon: what `keyd daemon` (keyd.mode daemon) is told: how often it checks, when it rotates.
// Kept as the text given (validated Go-style durations, a domain::RotationWindow), for rendering.
struct BundleDaemon {
  std::string sync_interval = "30s";  // 1s..24h
  std::string max_age = "720h";       // rotate when the current key is this old (1h..10 years)
  std::string window;                 // empty: any time; else e.g. "Mon-Fri 02:00-04:00" (UTC)
  bool service_monitor = false;       // a ServiceMonitor (Prometheus Operator) scraping keyd's /metrics
  // Deployment replicas (1..5). The Lease picks the one that rotates; every replica serves key reads.
  // The audit goes to stdout with its head in Vault (audit.sink stdout), so replicas share no volume;
  // with more than one, a PodDisruptionBudget keeps one running through a node drain.
  int replicas = 2;
  bool operator==(const BundleDaemon&) const = default;
};

struct BundleKeyd {
  std::string image = "ghcr.io/flatracoon/keyd:0.1.0";
  std::string mode = "cronjob";                 // cronjob (keyd rotate on a schedule) | daemon (a Deployment)
  std::string schedule = "0 3 * * 1";           // cronjob: standard 5-field cron, in the controller's time zone
  std::string swarm = "ipfs-overlay";           // swarm name in keyd's config
  std::string path = "ipfs-overlay/swarm-key";  // store path (Vault: <mount>/data/<path>)
  std::string strategy = "rolling";             // rolling | recreate | none
  std::string rollout_timeout = "10m";
  std::string audit_storage = "1Gi";  // cronjob: PersistentVolumeClaim for keyd's hash-chained audit trail
  BundleVault vault;
  BundleDaemon daemon;  // mode daemon only
  bool operator==(const BundleKeyd&) const = default;
};

struct BundleNetworkPolicy {
  bool enabled = true;
  std::vector<std::string> swarm_cidrs;            // who may reach the swarm port; empty: anyone
  std::map<std::string, std::string> api_clients;  // labels of pods (same namespace) allowed on API and gateway
  bool operator==(const BundleNetworkPolicy&) const = default;
};

struct BundleValues {
  std::string source;  // where the values came from, for messages
  std::string namespace_name = "ipfs-system";
  std::string name = "ipfs";      // StatefulSet, Services, ConfigMap prefix, pod label app.kubernetes.io/name
  std::string version = "1.0.0";  // the module's version in ipfs-overlay.manifest.json
  BundleIpfs ipfs;
  BundleZeroTier zerotier;
  BundleKeyDelivery key_delivery;
  BundleKeyd keyd;
  BundleNetworkPolicy network_policy;
  bool operator==(const BundleValues&) const = default;
};

// Parse values YAML. An empty document gives the defaults. Unknown keys, wrong types and invalid
// values are invalid_config errors, all reported at once; a value that looks like key material
// (the /key/swarm/psk header, a bare 64-hex value, base64 of either) is refused first, by path and
// line only.
[[nodiscard]] Result<BundleValues> parse_bundle_values(std::string_view yaml_text, std::string_view source_name);

// Read and parse a file. not_found → invalid_config naming the path.
[[nodiscard]] Result<BundleValues> load_bundle_values(const std::filesystem::path& path);

// The port of a validated multiaddr's /tcp/ component ("/ip4/0.0.0.0/tcp/4001" → 4001), 0 without one.
[[nodiscard]] inline int multiaddr_tcp_port(std::string_view multiaddr) {
  const auto at = multiaddr.find("/tcp/");
  if (at == std::string_view::npos) return 0;
  int port = 0;
  for (const char c : multiaddr.substr(at + 5)) {
    if (c < '0' || c > '9') break;
    port = port * 10 + (c - '0');
  }
  return port;
}

// True when a validated multiaddr's host is a loopback address (/ip4/127.x.y.z, /ip6/::1): the
// one loopback check, in keyd/common/address.hpp, named here too for the bundle's callers.
using keyd::multiaddr_is_loopback;

}  // namespace keyd::config
