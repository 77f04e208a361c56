// The daemon's core: a single-threaded, Clock-driven reconciler. Each tick(), for every swarm whose
// check is due, it reads the store's metadata (cheap), re-reads the key only when the current
// version changed, issues the first key when there is none, rotates when the schedule says so,
// and otherwise hands the current key to every target (Target::apply is idempotent: a target that
// holds the key writes nothing, a target changed by hand or behind keyd's back is put back).
// Failures back off exponentially (capped, jittered) per swarm. Only the leader writes; a
// follower keeps its state current for the read-only API.
//
// Not thread-safe: the caller (the daemon runner) serialises tick(), the on-demand calls and
// snapshot() — e.g. with one mutex; every call is bounded by the adapters' own timeouts. A tick
// may hand the lock over between swarms (AfterSwarm), so no call waits behind a whole pass.
#pragma once

#include "keyd/app/use_cases.hpp"
#include "keyd/ports/target.hpp"
#include "keyd/domain/backoff.hpp"
#include "keyd/domain/schedule.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::app {

struct DaemonSwarm {
  Swarm swarm;
  domain::RotationPolicy policy;  // max_age 0: never rotated by the daemon on its own
};

struct DaemonOptions {
  std::chrono::milliseconds sync_interval{30'000};
  double sync_jitter = 0.1;  // each interval is stretched by up to this fraction, so replicas spread out
  // After a failure the swarm is checked again after this backoff (max_attempts is not used: the
  // daemon never gives up, it only waits longer, up to the cap).
  domain::BackoffPolicy failure_backoff{0, std::chrono::seconds{5}, std::chrono::minutes{10}, {}};
  // How many swarms a tick checks at once (each on its own thread, so at most this many requests
  // to the store and to Kubernetes are in flight). The store's calls still run one at a time when
  // it cannot take concurrent ones (SerialisedStore). 1: one swarm after another.
  int concurrency = 8;
};

// What a target looked like at the last check: not checked yet, held the current key, did not and
// was given it, or could not be given it.
enum class TargetCondition { unknown, in_sync, repaired, failed };
[[nodiscard]] std::string_view to_string(TargetCondition condition);

struct TargetState {
  std::string target;  // Target::describe()
  ports::TargetIdentity identity;  // Target::identity(): kind, namespace, name for metric labels
  TargetCondition state = TargetCondition::unknown;
  std::string error;
  int version = 0;  // the version last delivered or confirmed
  std::optional<domain::TimePoint> last_checked;
  std::optional<domain::TimePoint> last_success;   // the last check or delivery that left it current
  std::map<DeliveryOutcome, std::uint64_t> syncs;  // deliveries by outcome
};

// How a rotation the daemon ran (scheduled, initial or on demand) ended: stored and delivered, failed
// before or at the store, lost to another writer, or stored but not delivered everywhere.
// Alphabetical, so that maps keyed by it list outcomes as their names sort.
enum class RotationOutcome { conflict, delivery_failed, failure, success };
[[nodiscard]] std::string_view to_string(RotationOutcome outcome);

// A swarm's state for the API and the metrics. Never key material.
struct SwarmState {
  std::string name;
  std::string path;
  int version = 0;  // 0: no key stored (yet), or the store was never reached
  std::string fingerprint;
  std::optional<domain::TimePoint> created;  // the current version's created_time
  std::optional<domain::RotationSchedule> schedule;
  std::string window;  // the rotation window's text, empty when any time
  std::vector<TargetState> targets;
  bool store_reachable = false;
  // The store answered that the path is damaged (integrity: records without metadata, tampered
  // metadata or record). Nothing is issued, rotated or delivered until an operator repairs it.
  bool store_integrity_error = false;
  std::uint64_t store_integrity_errors = 0;  // checks that ended so, since start
  int consecutive_failures = 0;
  std::string last_error;
  std::optional<domain::TimePoint> last_check;
  domain::TimePoint next_check{};
  std::map<RotationOutcome, std::uint64_t> rotations;  // rotations by outcome
};

class Reconciler {
 public:
  // jitter() returns a value in [0, 1) (tests pass a constant).
  Reconciler(Context ctx, std::vector<DaemonSwarm> swarms, DaemonOptions options, std::function<double()> jitter);

  // Leadership as the elector last saw it. Only a leader issues, rotates and delivers. Gaining
  // leadership makes the next tick check every swarm at once (the store may have moved on while
  // this keyd followed, and a first key or a due rotation must not wait for sync_interval).
  void set_leader(bool leader);
  [[nodiscard]] bool leader() const { return m_leader; }

  // Called after each swarm a tick checked, with its index (in snapshot() order) and its state;
  // returning false ends the pass there (the daemon is stopping). The caller may run on-demand
  // calls inside it (DaemonService lets waiting API actions in between swarms). A tick checks due
  // swarms in groups of up to `concurrency` at once, and calls this for each swarm of a group, in
  // order, on the tick's own thread once the whole group is done.
  using AfterSwarm = std::function<bool(std::size_t index, const SwarmState& state)>;

  // Check every swarm whose time has come. Returns when tick() should run next: the earliest
  // next check or scheduled rotation (never in the past). Swarms left out by a stop stay due.
  domain::TimePoint tick(const AfterSwarm& after_swarm = {});

  // On demand (the API): rotate now, audited with `actor`. unavailable when not the leader,
  // not_found when there is no such swarm.
  [[nodiscard]] Result<KeyReport> rotate(std::string_view swarm, std::string_view actor);
  // On demand: check and deliver now, outside the interval. Returns the swarm's state after.
  [[nodiscard]] Result<SwarmState> sync(std::string_view swarm, std::string_view actor);

  [[nodiscard]] std::vector<SwarmState> snapshot() const;
  [[nodiscard]] bool has_swarm(std::string_view name) const;

 private:
  struct Entry {
    DaemonSwarm config;
    SwarmState state;
    std::optional<ports::StoredVersion> current;  // the last read version (its key stays in a Secret)
  };

  // Each failure is recorded in the state (backoff) before it is returned.
  [[nodiscard]] Status check(Entry& entry, domain::TimePoint now, Context& ctx);
  // `written`: the report of a rotation this reconciler just made; when the store's current version
  // is the one it wrote with check-and-set, that version is taken from it instead of read back.
  [[nodiscard]] Status refresh(Entry& entry, domain::TimePoint now, Context& ctx,
                               const KeyReport* written = nullptr);
  [[nodiscard]] Status deliver(Entry& entry, domain::TimePoint now, Context& ctx);
  // `replaces`: the version a scheduled or initial rotation was decided on (see app::rotate).
  [[nodiscard]] Result<KeyReport> rotate_entry(Entry& entry, domain::TimePoint now, Context& ctx,
                                               std::string_view reason, std::optional<int> replaces);
  void record_targets(Entry& entry, const KeyReport& report, domain::TimePoint now);
  Status succeeded(Entry& entry, domain::TimePoint now);
  Status failed(Entry& entry, domain::TimePoint now, const Error& error);
  // The due swarms among `indices`, checked at once (one thread each, the first on this one).
  void check_group(const std::vector<std::size_t>& indices, domain::TimePoint now);
  [[nodiscard]] double jitter();
  [[nodiscard]] Entry* find(std::string_view name);
  [[nodiscard]] Context with_actor(std::string_view actor) const;

  Context m_ctx;
  std::vector<Entry> m_entries;
  DaemonOptions m_options;
  std::function<double()> m_jitter;
  std::mutex m_jitter_mutex;  // workers back off and reschedule at once
  bool m_leader = false;
};

}  // namespace keyd::app
