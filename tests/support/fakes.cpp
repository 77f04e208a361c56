#include "support/fakes.hpp"

namespace keyd::testing {

Result<ports::PathMetadata> InMemoryStore::metadata(std::string_view path) {
  ++metadata_reads;
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
  ++reads;
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
                                found->meta.reason, found->meta.audit_anchor};
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
  e.meta = ports::VersionData{Secret{}, data.fingerprint, data.issued_by, data.reason, data.audit_anchor};
  e.info.version = current + 1;
  e.info.created_time = "2026-01-01T00:00:00.000000000Z";
  versions.push_back(std::move(e));
  ++writes;
  return current + 1;
}

Status RecordingAudit::append(const ports::AuditEvent& event) {
  auto anchor = append_anchored(event);
  if (!anchor) return fail(anchor.error());
  return {};
}

Result<ports::AuditAnchor> RecordingAudit::append_anchored(const ports::AuditEvent& event) {
  if (failure) return fail(*failure);
  events.push_back(event);
  return chain().back();
}

std::vector<ports::AuditAnchor> RecordingAudit::chain() const {
  // A stand-in for the file's hash chain: each hash covers the entry, its seq and the previous hash,
  // so removing or renumbering entries changes every later hash, as in the real log.
  std::vector<ports::AuditAnchor> out;
  std::size_t prev = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    prev = std::hash<std::string>{}(std::to_string(prev) + "|" + std::to_string(i + 1) + "|" + e.action + "|" +
                                    e.swarm + "|" + std::to_string(e.version.value_or(-1)) + "|" + e.fingerprint +
                                    "|" + e.outcome + "|" + e.target + "|" + e.detail);
    out.push_back({static_cast<std::int64_t>(i + 1), std::to_string(prev)});
  }
  return out;
}

Result<std::optional<int>> RecordingAudit::newest_written_version(std::string_view swarm) {
  if (failure) return fail(*failure);
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (it->swarm == swarm && ports::records_written_version(*it)) return it->version;
  }
  return std::optional<int>{};
}

Result<std::vector<ports::AuditRecord>> RecordingAudit::records() {
  if (failure) return fail(*failure);
  const auto anchors = chain();
  std::vector<ports::AuditRecord> out;
  for (std::size_t i = 0; i < events.size(); ++i) out.push_back({anchors[i], events[i]});
  return out;
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
