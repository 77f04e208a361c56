#include "keyd/app/daemon_service.hpp"

#include "audit_entries.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace keyd::app {

std::unique_lock<std::mutex> SerialisedStore::turn() {
  return m_concurrent ? std::unique_lock<std::mutex>() : std::unique_lock<std::mutex>(m_mutex);
}

Result<ports::PathMetadata> SerialisedStore::metadata(std::string_view path) {
  const auto lock = turn();
  return m_inner.metadata(path);
}

Result<ports::StoredVersion> SerialisedStore::read(std::string_view path, std::optional<int> version) {
  const auto lock = turn();
  return m_inner.read(path, version);
}

Result<int> SerialisedStore::write(std::string_view path, const ports::VersionData& data, int cas) {
  const auto lock = turn();
  return m_inner.write(path, data, cas);
}

DaemonService::DaemonService(std::unique_ptr<Reconciler> reconciler, const ports::Clock& clock,
                             std::optional<KeyAccess> keys)
    : m_reconciler(std::move(reconciler)), m_clock(clock), m_keys(std::move(keys)) {
  m_swarms = m_reconciler->snapshot();
}

domain::TimePoint DaemonService::tick() {
  std::unique_lock work(m_work);
  if (m_stopping.load()) return m_clock.now();
  m_reconciler->set_leader(m_leading.load());
  // Each swarm's state is published as soon as it is checked (one copy, not the whole list), so
  // /readyz and /v1/swarms follow a long pass as it goes.
  return m_reconciler->tick([&](std::size_t index, const SwarmState& state) {
    {
      const std::lock_guard view(m_view);
      if (index < m_swarms.size()) m_swarms[index] = state;
    }
    if (m_stopping.load()) return false;
    // Hand the work over to a waiting rotate or sync (the mutex is fair: it goes first), then
    // carry on with the leadership as it is now: one lost in the middle of a pass stops writes.
    work.unlock();
    work.lock();
    m_reconciler->set_leader(m_leading.load());
    return !m_stopping.load();
  });
}

void DaemonService::request_stop() { m_stopping.store(true); }

void DaemonService::set_leadership(const ports::LeadershipStatus& status) {
  // Not behind m_work: the elector must never wait for a long delivery. The reconciler picks the
  // new value up at the start of its next tick or API action.
  m_leading.store(status.leading);
  const std::lock_guard view(m_view);
  m_leadership = status;
}

void DaemonService::publish() {
  auto swarms = m_reconciler->snapshot();
  const std::lock_guard view(m_view);
  m_swarms = std::move(swarms);
}

std::vector<SwarmState> DaemonService::swarms() const {
  const std::lock_guard view(m_view);
  return m_swarms;
}

DaemonView DaemonService::view() const {
  const std::lock_guard view(m_view);
  return DaemonView{m_swarms, m_leadership};
}

Result<KeyReport> DaemonService::rotate(std::string_view swarm, std::string_view actor) {
  const std::lock_guard work(m_work);
  m_reconciler->set_leader(m_leading.load());
  if (!m_reconciler->has_swarm(swarm)) return fail(ErrorCode::not_found, fmt::format("no swarm named '{}'", swarm));
  auto report = m_reconciler->rotate(swarm, actor);
  publish();
  return report;
}

Result<SwarmState> DaemonService::sync(std::string_view swarm, std::string_view actor) {
  const std::lock_guard work(m_work);
  m_reconciler->set_leader(m_leading.load());
  if (!m_reconciler->has_swarm(swarm)) return fail(ErrorCode::not_found, fmt::format("no swarm named '{}'", swarm));
  auto state = m_reconciler->sync(swarm, actor);
  publish();
  return state;
}

const KeyReaders* DaemonService::grants(std::string_view swarm) const {
  if (!m_keys) return nullptr;
  const auto it = std::ranges::find_if(m_keys->swarms, [&](const KeyReaders& k) { return k.swarm == swarm; });
  return it == m_keys->swarms.end() ? nullptr : &*it;
}

void DaemonService::audit_refusal(std::string_view action, std::string_view swarm, std::string_view actor,
                                  const std::string& message) {
  if (!m_keys) return;
  Context ctx{m_keys->store, m_keys->audit, m_clock, std::string(actor)};
  (void)detail::audit_failure(ctx, {action, swarm, std::nullopt, {}, {}}, Error{ErrorCode::unauthorized, message});
}

std::expected<ports::StoredVersion, KeyReadFailure> DaemonService::read_key(const KeyReaders& grants,
                                                                            std::string_view actor) {
  using Kind = KeyReadFailure::Kind;
  if (!m_keys) {
    return std::unexpected(KeyReadFailure{Kind::store_unavailable, {ErrorCode::internal, "no key access"}, {}});
  }
  Context ctx{m_keys->store, m_keys->audit, m_clock, std::string(actor)};
  auto stored = m_keys->store.read(grants.path, std::nullopt);
  if (!stored) {
    Error error = detail::audit_failure(ctx, {"fetch", grants.swarm, std::nullopt, {}, {}}, stored.error());
    const Kind kind = stored.error().code == ErrorCode::not_found ? Kind::no_key : Kind::store_unavailable;
    return std::unexpected(KeyReadFailure{kind, std::move(error), m_keys->store.describe()});
  }
  if (auto audited =
          detail::audit_success(ctx, {"fetch", grants.swarm, stored->info.version, stored->data.fingerprint, {}});
      !audited) {
    return std::unexpected(KeyReadFailure{Kind::audit_failed, audited.error(), m_keys->store.describe()});
  }
  return std::move(*stored);
}

}  // namespace keyd::app
