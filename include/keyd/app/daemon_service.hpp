// DaemonService: the reconciler made safe to share between the daemon's loop thread and the API's
// worker threads, with leadership. The loop calls tick(); the API reads a published copy of the
// state (never waiting behind a long delivery) and serialises rotate and sync with the loop, swarm
// by swarm (a pass lets them in between swarms, and ends early on request_stop()). The key read goes
// to the store itself (not a cache), outside the loop's lock, and is audited. Nothing here knows
// HTTP: routing, grants checks, JSON and the metrics text are keyd/server's DaemonApi.
#pragma once

#include "keyd/app/daemon.hpp"
#include "keyd/common/fair_mutex.hpp"
#include "keyd/ports/leadership.hpp"

#include <atomic>
#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace keyd::app {

// One swarm's store path and its grants: who may GET /v1/swarms/{name}/key, and who may POST
// …/rotate and …/sync.
struct KeyReaders {
  std::string swarm;
  std::string path;                      // store path
  std::vector<std::string> readers;      // Caller::name values (swarms[].key_readers); empty: nobody
  std::vector<std::string> operators{};  // Caller::name values (swarms[].operators); empty: nobody
};

// What the key endpoint reads and audits with. Called from the API's worker threads while the
// reconciler runs: the store must be safe for that (wrap it in a SerialisedStore).
struct KeyAccess {
  ports::SecretStore& store;
  ports::AuditLog& audit;
  std::vector<KeyReaders> swarms;
};

// A SecretStore whose calls run one at a time unless the store says it is safe for concurrent calls
// (capabilities().concurrent: the file store, Vault), so the reconciler's workers and the API's
// threads can share adapters that are not thread-safe (the MCP child's pipes). Each call is bounded
// by the adapter's own timeouts, so a waiting key read is too.
class SerialisedStore final : public ports::SecretStore {
 public:
  explicit SerialisedStore(ports::SecretStore& inner)
      : m_inner(inner), m_concurrent(inner.capabilities().concurrent) {}
  [[nodiscard]] std::string describe() const override { return m_inner.describe(); }
  [[nodiscard]] ports::StoreCapabilities capabilities() const override { return m_inner.capabilities(); }
  [[nodiscard]] Result<ports::PathMetadata> metadata(std::string_view path) override;
  [[nodiscard]] Result<ports::StoredVersion> read(std::string_view path, std::optional<int> version) override;
  [[nodiscard]] Result<int> write(std::string_view path, const ports::VersionData& data, int cas) override;

 private:
  // A lock on m_mutex, or none when the store takes concurrent calls.
  [[nodiscard]] std::unique_lock<std::mutex> turn();

  ports::SecretStore& m_inner;
  const bool m_concurrent;
  std::mutex m_mutex;
};

// The swarms' published states and the elector's last round, taken together.
struct DaemonView {
  std::vector<SwarmState> swarms;
  ports::LeadershipStatus leadership;
};

// Why read_key served no key. `error` is the audited error.
struct KeyReadFailure {
  enum class Kind { no_key, store_unavailable, audit_failed } kind;
  Error error;
  std::string store;  // the store's describe()
};

class DaemonService {
 public:
  // Without `keys` nobody is granted a key read, a rotate or a sync, and refusals are not audited.
  DaemonService(std::unique_ptr<Reconciler> reconciler, const ports::Clock& clock,
                std::optional<KeyAccess> keys = std::nullopt);

  // One reconciler pass; returns when to call again. Between swarms it lets waiting rotate and
  // sync requests in, and it ends after the swarm in progress once request_stop() was called.
  domain::TimePoint tick();
  // Ends the pass in progress after its current swarm, and every later one before it starts.
  void request_stop();
  // The elector's last round: only a leader writes.
  void set_leadership(const ports::LeadershipStatus& status);

  [[nodiscard]] std::vector<SwarmState> swarms() const;
  [[nodiscard]] DaemonView view() const;
  [[nodiscard]] const ports::Clock& clock() const { return m_clock; }

  // On demand, serialised with tick() and published after: rotate now, or check and deliver now,
  // audited with `actor`. not_found ("no swarm named '<name>'") for an unknown swarm.
  [[nodiscard]] Result<KeyReport> rotate(std::string_view swarm, std::string_view actor);
  [[nodiscard]] Result<SwarmState> sync(std::string_view swarm, std::string_view actor);

  // The grants of `swarm`; nullptr without keys or when the swarm has none listed.
  [[nodiscard]] const KeyReaders* grants(std::string_view swarm) const;
  // Audits a refused `action` (fetch, rotate, sync) on `swarm` as an unauthorized failure.
  void audit_refusal(std::string_view action, std::string_view swarm, std::string_view actor,
                     const std::string& message);
  // Reads the current key of `grants.path` from the store and audits the read ("fetch"): a key
  // that cannot be audited is not returned.
  [[nodiscard]] std::expected<ports::StoredVersion, KeyReadFailure> read_key(const KeyReaders& grants,
                                                                             std::string_view actor);

 private:
  void publish();

  std::unique_ptr<Reconciler> m_reconciler;
  const ports::Clock& m_clock;
  std::optional<KeyAccess> m_keys;
  FairMutex m_work;  // the reconciler: tick (let go between swarms), rotate, sync
  std::atomic<bool> m_leading{false};
  std::atomic<bool> m_stopping{false};

  mutable std::mutex m_view;  // what the API reads
  std::vector<SwarmState> m_swarms;
  ports::LeadershipStatus m_leadership;
};

}  // namespace keyd::app
