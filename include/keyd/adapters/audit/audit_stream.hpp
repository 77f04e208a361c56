// The audit trail as a stream (config audit.sink: stdout): the same hash-chained JSON lines as the
// audit file (audit_chain.hpp), written to standard output for the cluster's log pipeline, with the
// chain's head — {seq, hash} of the newest entry — kept in the store at one path and moved with
// check-and-set. Every keyd process on that store (two daemon replicas, a CronJob's keyd rotate)
// extends one chain: an append reads the head it knows, writes the new head with cas, and prints its
// line only once that write succeeded; a writer that lost the race reads the head again and retries.
//
// What this gives and what it does not:
// - The head is in the store before the line is printed. A keyd that stops in between leaves a
//   gap at that seq, which verify names; a line is never in the logs without its place in the chain.
// - An append fails (and the caller reports its operation as not audited) when the head cannot be
//   written; an ambiguous write (a timeout after the store took it) also leaves a gap, never a fork.
// - The lines are as durable as the log pipeline that collects them: keyd does not fsync stdout.
//
// verify_collected_audit checks lines collected from every process (in any order, duplicates
// allowed, other log lines and a `kubectl logs --prefix` ignored) against the head in the store.
#pragma once

#include "keyd/adapters/audit/audit_file.hpp"
#include "keyd/common/result.hpp"
#include "keyd/ports/audit_log.hpp"
#include "keyd/ports/random.hpp"
#include "keyd/ports/secret_store.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::adapters {

// Writes one line (with its '\n') in one piece; io naming the stream when it cannot.
using AuditLineWriter = std::function<Status(std::string_view line)>;

// A writer to a file descriptor (1: standard output; 2: standard error).
[[nodiscard]] AuditLineWriter fd_line_writer(int fd, std::string name);

struct AuditStreamOptions {
  std::string head_path = "keyd/audit-head";
  AuditLineWriter write;  // empty: standard output
  int max_attempts = 10;  // head writes lost to another writer before the append gives up
  std::chrono::milliseconds backoff_base{10};   // full jitter: a wait in [0, base * 2^attempt), capped
  std::chrono::milliseconds backoff_cap{500};
  std::function<void(std::chrono::milliseconds)> sleep;  // empty: std::this_thread::sleep_for
};

// `store` and `random` must outlive the log. The store must do check-and-set (capabilities()).
[[nodiscard]] std::unique_ptr<ports::AuditLog> make_audit_stream(ports::SecretStore& store, AuditStreamOptions options,
                                                                 ports::Random& random);

// The chain's head as the store holds it: seq 0 and the start marker before the first entry;
// `version` is the store version it was read at (0: none yet). integrity when the head's current
// version is deleted or holds no valid "<seq>:<hash>".
struct StreamHead {
  std::int64_t seq = 0;
  std::string hash;
  int version = 0;
};
[[nodiscard]] Result<StreamHead> read_stream_head(ports::SecretStore& store, std::string_view head_path);

// The entries found in collected log lines, each once, ordered by seq; `line` is where it was
// first seen (1-based). An entry is a line's text from its first '{' (a log prefix is skipped).
struct CollectedEntry {
  std::int64_t seq = 0;
  std::string text;
  std::size_t line = 0;
};
struct CollectedAudit {
  std::vector<CollectedEntry> entries;
  std::size_t other_lines = 0;  // log lines that are not audit entries
  std::size_t duplicates = 0;   // the same entry seen again (a pipeline that delivers twice)
  std::string conflict;         // two different entries with one seq: the first such pair, else empty
};
[[nodiscard]] CollectedAudit collect_audit_lines(std::string_view text);

// The collected lines of a file, read once for both checks below. not_found when it does not exist.
[[nodiscard]] Result<CollectedAudit> read_collected_audit(const std::filesystem::path& file);

// The collected chain from seq 1 to the store's head.
[[nodiscard]] Result<AuditVerifyReport> verify_collected_audit(const CollectedAudit& collected,
                                                               ports::SecretStore& store, std::string_view head_path);

// The collected entries as records, for the store cross-check (app::check_audit_accounting).
[[nodiscard]] std::vector<ports::AuditRecord> collected_audit_records(const CollectedAudit& collected);

}  // namespace keyd::adapters
