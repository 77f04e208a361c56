// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection package does it
// (tryAcquireOrRenew, release), with the time of each observation taken from the Clock port.
#include "keyd/adapters/election/leader_election.hpp"
#include "kube_api.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

namespace keyd::adapters {

namespace {

using kube::int_at;
using kube::SecretJson;
using kube::string_at;
using kube::wiped;
using TimePoint = std::chrono::system_clock::time_point;

// metav1.MicroTime: exactly six fraction digits (the API server rejects anything else).
std::string micro_time(TimePoint t) { return ports::format_rfc3339(t).substr(0, 26) + "Z"; }

// leaseDurationSeconds is whole seconds: round up, so followers never wait less than configured
// (rounded down, 1.5 s would become 1 s, shorter than a 1.2 s renew deadline: two leaders).
std::int64_t whole_seconds(std::chrono::milliseconds d) {
  return std::max<std::int64_t>(1, std::chrono::ceil<std::chrono::seconds>(d).count());
}

class LeaseElector final : public ports::LeaderElector {
 public:
  LeaseElector(LeaseOptions options, std::shared_ptr<KubeApi> api, const ports::Clock& clock)
      : m_options(std::move(options)), m_api(std::move(api)), m_clock(clock) {
    if (m_options.namespace_name.empty()) m_options.namespace_name = m_api->connection().default_namespace;
    if (m_options.namespace_name.empty()) m_options.namespace_name = "default";
    if (m_options.identity.empty()) m_options.identity = default_leader_identity();
    m_collection = fmt::format("/apis/coordination.k8s.io/v1/namespaces/{}/leases", m_options.namespace_name);
    m_path = m_collection + "/" + m_options.name;
  }

  [[nodiscard]] std::string describe() const override {
    return fmt::format("lease {}/{}", m_options.namespace_name, m_options.name);
  }
  [[nodiscard]] const std::string& identity() const override { return m_options.identity; }

  [[nodiscard]] ports::LeadershipStatus step() override {
    TimePoint now = m_clock.now();
    auto round = try_acquire_or_renew(now);
    // Another's lease that expires before the next round: wait for the expiry within this round
    // and try again, so a killed leader is replaced within lease_duration + retry_period of its
    // last renewal instead of up to a whole retry period later.
    if (round && !*round && m_expiry && *m_expiry > now && *m_expiry - now < m_options.retry_period) {
      m_clock.sleep_for(std::chrono::ceil<std::chrono::milliseconds>(*m_expiry - now));
      now = m_clock.now();
      round = try_acquire_or_renew(now);
    }
    if (round) {
      if (*round && !m_status.leading) {
        spdlog::info("leader election: {} leads ({})", identity(), describe());
      } else if (!*round && m_status.leading) {
        spdlog::warn("leader election: {} lost {} to {}", identity(), describe(), m_holder);
      }
      if (*round) m_last_renew = now;
      m_status = {*round, true, m_holder, {}};
      return m_status;
    }
    m_status.error = fmt::format("{}: {}", describe(), round.error().message);
    // A leader keeps leading through failed renewals until the renew deadline passes: the lease
    // it wrote stays valid for others until lease_duration, which is longer.
    if (m_status.leading && now - m_last_renew >= m_options.renew_deadline) {
      spdlog::warn("leader election: {} could not renew {} for {} ms; no longer leading ({})", identity(), describe(),
                   m_options.renew_deadline.count(), round.error().message);
      m_status.leading = false;
    }
    return m_status;
  }

  Status release() override {
    if (!m_status.leading) return {};
    m_status.leading = false;
    auto lease = m_api->get_once(m_path, call_timeout());
    if (!lease) return fail(lease.error().with_context("release " + describe()));
    if (string_at(*lease, {"spec", "holderIdentity"}) != identity()) return {};
    const std::string now = micro_time(m_clock.now());
    SecretJson& spec = (*lease)["spec"];
    spec["holderIdentity"] = "";
    spec["leaseDurationSeconds"] = 1;
    spec["acquireTime"] = wiped(now);
    spec["renewTime"] = wiped(now);
    if (auto put = m_api->replace_once(m_path, *lease, call_timeout()); !put) {
      return fail(put.error().with_context("release " + describe()));
    }
    spdlog::info("leader election: {} released {}", identity(), describe());
    return {};
  }

 private:
  // The observed record; any change restarts this process's own expiry clock for it.
  static std::string record_of(const SecretJson& lease) {
    return fmt::format("{}|{}|{}|{}|{}", string_at(lease, {"spec", "holderIdentity"}),
                       string_at(lease, {"spec", "renewTime"}), string_at(lease, {"spec", "acquireTime"}),
                       int_at(lease, {"spec", "leaseTransitions"}), int_at(lease, {"spec", "leaseDurationSeconds"}));
  }

  void fill_spec(SecretJson& spec, TimePoint now, bool new_holder, std::int64_t transitions) const {
    const std::string t = micro_time(now);
    spec["holderIdentity"] = wiped(identity());
    spec["leaseDurationSeconds"] = whole_seconds(m_options.lease_duration);
    spec["renewTime"] = wiped(t);
    if (new_holder) {
      spec["acquireTime"] = wiped(t);
      spec["leaseTransitions"] = transitions;
    }
  }

  void observe(const SecretJson& lease, TimePoint now) {
    std::string record = record_of(lease);
    if (record != m_observed_record) {
      m_observed_record = std::move(record);
      m_observed_time = now;
    }
    m_holder = string_at(lease, {"spec", "holderIdentity"});
  }

  // true: this process holds the lease after the round; false: another does (or won a race).
  [[nodiscard]] Result<bool> try_acquire_or_renew(TimePoint now) {
    m_expiry.reset();
    auto lease = m_api->get_once(m_path, call_timeout());
    if (!lease) {
      if (lease.error().code != ErrorCode::not_found) return fail(lease.error());
      SecretJson body;
      body["apiVersion"] = "coordination.k8s.io/v1";
      body["kind"] = "Lease";
      body["metadata"]["name"] = wiped(m_options.name);
      body["metadata"]["namespace"] = wiped(m_options.namespace_name);
      fill_spec(body["spec"], now, true, 0);
      auto created = m_api->create_once(m_collection, body, call_timeout());
      if (!created) return won_race_or_error(created.error());
      observe(*created, now);
      return true;
    }
    if (const auto spec = lease->find("spec"); spec != lease->end() && !spec->is_object() && !spec->is_null()) {
      // A Lease's spec is an object; anything else is a broken (or hostile) API server, and writing
      // into it would throw. No leadership on such an answer: the next round reads it again.
      return fail(ErrorCode::unavailable, "the API server's Lease has a spec that is not an object");
    }
    observe(*lease, now);
    const std::string holder = string_at(*lease, {"spec", "holderIdentity"});
    const auto duration = std::chrono::seconds{int_at(*lease, {"spec", "leaseDurationSeconds"}, 0)};
    if (!holder.empty() && holder != identity() && now < m_observed_time + duration) {
      m_expiry = m_observed_time + duration;
      return false;
    }

    const bool new_holder = holder != identity();
    fill_spec((*lease)["spec"], now, new_holder, int_at(*lease, {"spec", "leaseTransitions"}) + (new_holder ? 1 : 0));
    auto replaced = m_api->replace_once(m_path, *lease, call_timeout());  // the resourceVersion read: stale → 409
    if (!replaced) return won_race_or_error(replaced.error());
    observe(*replaced, now);
    return true;
  }

  // Each call is one attempt within half the renew deadline (a round is a read and a write), so a
  // round, and the release when the daemon stops, end within renew_deadline even when the API
  // server hangs; the next round is the retry (as client-go bounds a round by RenewDeadline).
  [[nodiscard]] std::chrono::milliseconds call_timeout() const {
    return std::max(std::chrono::milliseconds{1}, m_options.renew_deadline / 2);
  }

  Result<bool> won_race_or_error(const Error& error) {
    if (error.code == ErrorCode::conflict) return false;  // another candidate wrote first
    return fail(error);
  }

  LeaseOptions m_options;
  std::shared_ptr<KubeApi> m_api;
  const ports::Clock& m_clock;
  std::string m_collection;
  std::string m_path;
  std::string m_observed_record;
  TimePoint m_observed_time{};
  TimePoint m_last_renew{};
  std::optional<TimePoint> m_expiry;  // when the lease another holds expires, as this process sees it
  std::string m_holder;
  ports::LeadershipStatus m_status;
};

}  // namespace

std::unique_ptr<ports::LeaderElector> make_lease_elector(LeaseOptions options, std::shared_ptr<KubeApi> api,
                                                         const ports::Clock& clock) {
  return std::make_unique<LeaseElector>(std::move(options), std::move(api), clock);
}

}  // namespace keyd::adapters
