// In-memory fakes of the ports, for use-case tests.
#pragma once

#include "keyd/ports/audit_log.hpp"
#include "keyd/ports/secret_store.hpp"
#include "keyd/ports/target.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace keyd::testing {

class InMemoryStore final : public ports::SecretStore {
 public:
  [[nodiscard]] std::string describe() const override { return "memory store"; }
  [[nodiscard]] Result<ports::PathMetadata> metadata(std::string_view path) override;
  [[nodiscard]] Result<ports::StoredVersion> read(std::string_view path, std::optional<int> version) override;
  [[nodiscard]] Result<int> write(std::string_view path, const ports::VersionData& data, int cas) override;

  // Called at the start of write(): lets a test simulate a concurrent writer.
  std::function<void(InMemoryStore&)> before_write;
  // Fail every call with this error when set.
  std::optional<Error> failure;
  int writes = 0;
  int metadata_reads = 0;  // metadata() calls
  int reads = 0;           // read() calls

 private:
  struct Entry {
    std::string key_text;
    ports::VersionData meta;  // key_text left empty
    ports::VersionInfo info;
  };
  std::map<std::string, std::vector<Entry>, std::less<>> m_paths;
};

class RecordingAudit final : public ports::AuditLog {
 public:
  [[nodiscard]] Status append(const ports::AuditEvent& event) override;
  [[nodiscard]] Result<ports::AuditAnchor> append_anchored(const ports::AuditEvent& event) override;
  [[nodiscard]] Result<std::optional<int>> newest_written_version(std::string_view swarm) override;
  [[nodiscard]] Result<std::vector<ports::AuditRecord>> records() override;
  // Each entry's seq and chained hash (see fakes.cpp), as records() reports them.
  [[nodiscard]] std::vector<ports::AuditAnchor> chain() const;
  std::vector<ports::AuditEvent> events;
  std::optional<Error> failure;
};

class FakeTarget final : public ports::Target {
 public:
  explicit FakeTarget(std::string name) : m_name(std::move(name)) {}
  [[nodiscard]] std::string describe() const override { return "fake " + m_name; }
  [[nodiscard]] Result<ports::ApplyOutcome> apply(const ports::Delivery& delivery) override;
  [[nodiscard]] bool rollback_on_failure() const override { return rollback; }
  void prepare() override {
    ++prepared;
    if (on_prepare) on_prepare();
  }
  bool rollback = false;
  int prepared = 0;                  // prepare() calls
  std::function<void()> on_prepare;  // run by each prepare()
  // With `failure` set: fail only the deliveries this predicate picks (all when unset).
  std::function<bool(std::string_view fingerprint)> fails_for;

  std::string fingerprint;  // what it holds
  std::string key_text;
  int version = 0;
  int writes = 0;
  std::optional<Error> failure;

 private:
  std::string m_name;
};

}  // namespace keyd::testing
