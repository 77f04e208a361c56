#include "support/fakes.hpp"

namespace keyd::testing {

Result<ports::PathMetadata> InMemoryStore::metadata(std::string_view path) {
  if (failure) return fail(*failure);
  const auto it = m_paths.find(path);
  if (it == m_paths.end()) return fail(ErrorCode::not_found, "no path " + std::string(path));
  ports::PathMetadata meta;
  meta.current_version = it->second.back().info.version;
  meta.oldest_version = it->second.front().info.version;
  meta.max_versions = 10;
  for (const auto& e : it->second) meta.versions.push_back(e.info);
  return meta;
}

Result<ports::StoredVersion> InMemoryStore::read(std::string_view path, std::optional<int> version) {
  if (failure) return fail(*failure);
  const auto it = m_paths.find(path);
  if (it == m_paths.end()) return fail(ErrorCode::not_found, "no path " + std::string(path));
  const Entry* found = version ? nullptr : &it->second.back();
  for (const auto& e : it->second)
    if (version && e.info.version == *version) found = &e;
  if (found == nullptr) return fail(ErrorCode::not_found, "no version");
  ports::StoredVersion out;
  out.info = found->info;
  out.data = ports::VersionData{Secret::from_text(found->key_text), found->meta.fingerprint, found->meta.issued_by,
                                found->meta.reason};
  return out;
}

Result<int> InMemoryStore::write(std::string_view path, const ports::VersionData& data, int cas) {
  if (before_write) {
    auto hook = std::move(before_write);
    before_write = nullptr;
    hook(*this);
  }
  if (failure) return fail(*failure);
  auto& versions = m_paths[std::string(path)];
  const int current = versions.empty() ? 0 : versions.back().info.version;
  if (cas != current) return fail(ErrorCode::conflict, "cas mismatch");
  Entry e;
  e.key_text = std::string(data.key_text.reveal_text());
  e.meta = ports::VersionData{Secret{}, data.fingerprint, data.issued_by, data.reason};
  e.info.version = current + 1;
  e.info.created_time = "2026-01-01T00:00:00.000000000Z";
  versions.push_back(std::move(e));
  ++writes;
  return current + 1;
}

Status RecordingAudit::append(const ports::AuditEvent& event) {
  if (failure) return fail(*failure);
  events.push_back(event);
  return {};
}

Result<ports::ApplyOutcome> FakeTarget::apply(const ports::Delivery& delivery) {
  if (failure && (!fails_for || fails_for(delivery.fingerprint))) {
    return fail(*failure);
  }
  if (fingerprint == delivery.fingerprint) return ports::ApplyOutcome::unchanged;
  fingerprint = std::string(delivery.fingerprint);
  key_text = std::string(delivery.key_text.reveal_text());
  version = delivery.version;
  ++writes;
  return ports::ApplyOutcome::changed;
}

}  // namespace keyd::testing
