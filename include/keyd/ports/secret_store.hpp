// SecretStore: a versioned key/value store with check-and-set, modelled on Vault KV v2.
// Implemented by the embedded file store and (later) Vault and poly-secret-mcp.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/common/secret.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::ports {

// What one version holds; field names match the Vault KV v2 data keys
// ("swarm.key", "fingerprint", "issued_by", "reason") so other consumers read it unchanged.
struct VersionData {
  Secret key_text;          // the canonical swarm.key file text
  std::string fingerprint;  // Kubo fingerprint, 32 lowercase hex
  std::string issued_by;    // actor that wrote this version
  std::string reason;       // rotate, import, rollback, initial, ...
  // "<seq>:<sha256 hex>" of the audit entry appended just before this version was written (its
  // intent), so that a rewritten audit log is detected (audit verify --config). Empty in versions
  // written before keyd stored it, and when the audit log cannot anchor.
  std::string audit_anchor{};
};

struct VersionInfo {
  int version = 0;
  std::string created_time;  // RFC 3339, UTC
  bool deleted = false;      // soft-deleted (data unreadable, can be undeleted in Vault)
  bool destroyed = false;    // permanently destroyed
};

struct StoredVersion {
  VersionInfo info;
  VersionData data;
};

struct PathMetadata {
  int current_version = 0;
  int oldest_version = 0;
  int max_versions = 0;
  std::string created_time;
  std::string updated_time;
  std::vector<VersionInfo> versions;  // ascending by version, only those still kept
};

// poly-secret-mcp (the mcp backend) offers neither versioned reads nor check-and-set.
struct StoreCapabilities {
  // read() of a version other than the current one. false: history lists past versions without data.
  bool past_versions = true;
  // write() checks cas atomically. false: cas is checked before writing and the result verified
  // after, so a conflict may be reported after a version was written (its message says so).
  bool check_and_set = true;
  // false: keyd never writes here (the read-only daemon backend); its versions are audited by the
  // keyd that wrote them, so this keyd's audit trail does not account for them.
  bool writes = true;
  // Calls may run at once from several threads (the daemon's `concurrency` workers). false: the
  // daemon serialises every call (SerialisedStore), as the MCP child's one pipe needs.
  bool concurrent = false;
};

class SecretStore {
 public:
  virtual ~SecretStore() = default;

  // Short human description for messages, e.g. "file store .keyd/store". Never a credential.
  [[nodiscard]] virtual std::string describe() const = 0;

  // What the store can do; the default is everything (the file and Vault stores).
  [[nodiscard]] virtual StoreCapabilities capabilities() const { return {}; }

  // not_found when the path was never written.
  [[nodiscard]] virtual Result<PathMetadata> metadata(std::string_view path) = 0;

  // The given version, or the current one. not_found when the path or version does not exist;
  // a deleted or destroyed version is not_found with a message that says which.
  [[nodiscard]] virtual Result<StoredVersion> read(std::string_view path, std::optional<int> version) = 0;

  // Write a new version. cas is the version the caller read as current (0 for a new path); on a
  // mismatch nothing is written and the result is conflict. Returns the new version number.
  [[nodiscard]] virtual Result<int> write(std::string_view path, const VersionData& data, int cas) = 0;
};

}  // namespace keyd::ports
