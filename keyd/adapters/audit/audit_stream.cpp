// The audit trail as lines on standard output with its chain's head in the store (see
// include/keyd/adapters/audit/audit_stream.hpp), and the check of lines collected from a log pipeline.
#include "keyd/adapters/audit/audit_stream.hpp"

#include "audit_chain.hpp"
#include "keyd/adapters/os/fs.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <utility>

namespace keyd::adapters {
namespace {

using detail::format_line;
using detail::genesis_hash;
using detail::LineKind;
using detail::parse_line;

constexpr std::string_view k_head_reason = "audit-head";

std::string head_where(const ports::SecretStore& store, std::string_view path) {
  return fmt::format("audit head {} in {}", path, store.describe());
}

// "<seq>:<64 hex>"
std::optional<std::pair<std::int64_t, std::string>> parse_head_anchor(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::int64_t seq = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + colon, seq);
  if (ec != std::errc() || end != text.data() + colon || seq < 1) return std::nullopt;
  const std::string_view hash = text.substr(colon + 1);
  if (!detail::is_hash(hash)) return std::nullopt;
  return std::pair{seq, std::string(hash)};
}

class AuditStream final : public ports::AuditLog {
 public:
  AuditStream(ports::SecretStore& store, AuditStreamOptions options, ports::Random& random)
      : m_store(store), m_options(std::move(options)), m_random(random) {
    if (!m_options.write) m_options.write = fd_line_writer(STDOUT_FILENO, "standard output");
    if (!m_options.sleep) m_options.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }

  Status append(const ports::AuditEvent& event) override {
    auto anchor = append_anchored(event);
    if (!anchor) return fail(anchor.error());
    return {};
  }

  // The lines cannot be read back here: the store cross-check is keyd audit verify's, on the
  // collected lines. The daemon does not record "recovered" entries from this log.
  [[nodiscard]] bool reads_back() const override { return false; }

  Result<ports::AuditAnchor> append_anchored(const ports::AuditEvent& event) override {
    KEYD_TRY(detail::refuse_key_material(event));
    const std::lock_guard lock(m_mutex);
    for (int attempt = 0;; ++attempt) {
      if (!m_head) {
        auto head = read_stream_head(m_store, m_options.head_path);
        if (!head) return fail(head.error());
        m_head = std::move(*head);
      }
      const std::int64_t seq = m_head->seq + 1;
      const std::string line = format_line(event, seq, m_head->hash, false);
      const std::string hash = sha256_hex(line);
      ports::VersionData head_data;
      head_data.issued_by = event.actor;
      head_data.reason = std::string(k_head_reason);
      head_data.audit_anchor = fmt::format("{}:{}", seq, hash);
      auto written = m_store.write(m_options.head_path, head_data, m_head->version);
      if (written) {
        m_head = StreamHead{seq, hash, *written};
        m_commits.fetch_add(1);
        if (auto st = m_options.write(line + "\n"); !st) {
          return fail(st.error().with_context(
              fmt::format("audit entry seq {} is anchored in the store but was not printed (a gap verify will name)",
                          seq)));
        }
        return ports::AuditAnchor{seq, hash};
      }
      m_head.reset();  // another writer moved it, or the outcome is unknown: read it again next time
      if (written.error().code != ErrorCode::conflict) {
        return fail(written.error().with_context(head_where(m_store, m_options.head_path)));
      }
      if (attempt + 1 >= m_options.max_attempts) {
        return fail(ErrorCode::conflict,
                    fmt::format("{}: other writers moved it {} times in a row; the entry was not written",
                                head_where(m_store, m_options.head_path), m_options.max_attempts));
      }
      const std::int64_t ceiling =
          std::min<std::int64_t>(m_options.backoff_cap.count(), m_options.backoff_base.count() << std::min(attempt, 16));
      m_options.sleep(std::chrono::milliseconds(
          static_cast<std::int64_t>(m_random.uniform() * static_cast<double>(ceiling))));
    }
  }

  [[nodiscard]] std::uint64_t commits() const override { return m_commits.load(); }

 private:
  ports::SecretStore& m_store;
  AuditStreamOptions m_options;
  ports::Random& m_random;
  std::mutex m_mutex;
  std::optional<StreamHead> m_head;  // what this process last wrote or read; cas for the next write
  std::atomic<std::uint64_t> m_commits{0};
};

}  // namespace

AuditLineWriter fd_line_writer(int fd, std::string name) {
  return [fd, name = std::move(name)](std::string_view line) -> Status {
    const std::span bytes(reinterpret_cast<const std::uint8_t*>(line.data()), line.size());
    if (auto st = posix_file_system().write_all(fd, bytes); !st) {
      return fail(st.error().with_context("writing the audit entry to " + name));
    }
    return {};
  };
}

std::unique_ptr<ports::AuditLog> make_audit_stream(ports::SecretStore& store, AuditStreamOptions options,
                                                   ports::Random& random) {
  return std::make_unique<AuditStream>(store, std::move(options), random);
}

Result<StreamHead> read_stream_head(ports::SecretStore& store, std::string_view head_path) {
  auto current = store.read(head_path, std::nullopt);
  if (!current) {
    const Error& e = current.error();
    if (e.code != ErrorCode::not_found) return fail(e.with_context(head_where(store, head_path)));
    // Never written (a new chain), or a current version that was deleted: only the metadata tells.
    auto meta = store.metadata(head_path);
    if (!meta) {
      if (meta.error().code == ErrorCode::not_found) return StreamHead{0, genesis_hash(), 0};
      return fail(meta.error().with_context(head_where(store, head_path)));
    }
    if (meta->current_version == 0) return StreamHead{0, genesis_hash(), 0};
    return fail(ErrorCode::integrity,
                fmt::format("{}: version {} cannot be read ({}); keyd cannot tell where the audit chain ends and "
                            "writes no entry",
                            head_where(store, head_path), meta->current_version, e.message));
  }
  const auto anchor = parse_head_anchor(current->data.audit_anchor);
  if (!anchor) {
    return fail(ErrorCode::integrity,
                fmt::format("{}: version {} holds no valid head (\"<seq>:<sha256>\"); is another secret stored at "
                            "this path?",
                            head_where(store, head_path), current->info.version));
  }
  return StreamHead{anchor->first, anchor->second, current->info.version};
}

CollectedAudit collect_audit_lines(std::string_view text) {
  CollectedAudit out;
  std::map<std::int64_t, CollectedEntry> by_seq;
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::size_t brace = line.find('{');
    if (brace == std::string_view::npos) {
      ++out.other_lines;
      continue;
    }
    line.remove_prefix(brace);
    const auto parsed = parse_line(line);
    if (parsed.kind != LineKind::entry || parsed.link.after_torn) {
      ++out.other_lines;
      continue;
    }
    const auto [it, inserted] = by_seq.try_emplace(parsed.link.seq, CollectedEntry{parsed.link.seq, std::string(line), number});
    if (inserted) continue;
    if (it->second.text == line) {
      ++out.duplicates;
    } else if (out.conflict.empty()) {
      out.conflict = fmt::format("lines {} and {} are two different entries with seq {}", it->second.line, number,
                                 parsed.link.seq);
    }
  }
  out.entries.reserve(by_seq.size());
  for (auto& [seq, entry] : by_seq) out.entries.push_back(std::move(entry));
  return out;
}

Result<CollectedAudit> read_collected_audit(const std::filesystem::path& file) {
  auto text = read_text_file(file);
  if (!text) return fail(text.error().with_context("collected audit lines " + file.string()));
  return collect_audit_lines(*text);
}

Result<AuditVerifyReport> verify_collected_audit(const CollectedAudit& collected, ports::SecretStore& store,
                                                 std::string_view head_path) {
  KEYD_ASSIGN_OR_RETURN(const StreamHead head, read_stream_head(store, head_path));
  AuditVerifyReport report;
  const auto broken = [&report](std::size_t line, std::string problem) {
    report.ok = false;
    report.first_bad_line = line;
    report.problem = std::move(problem);
    return report;
  };
  if (!collected.conflict.empty()) return broken(0, collected.conflict + " (the log was changed)");
  std::int64_t seq = 0;
  std::string hash = genesis_hash();
  for (const CollectedEntry& entry : collected.entries) {
    const std::string at = fmt::format("line {} (seq {})", entry.line, entry.seq);
    if (entry.seq != seq + 1) {
      return broken(entry.line,
                    seq == 0 ? fmt::format("{}: the collected entries start at seq {}, not 1 (entries before it were "
                                           "not collected, or were removed)",
                                           at, entry.seq)
                             : fmt::format("seq {} to {} are missing before {} (removed, not collected, or a keyd "
                                           "stopped between anchoring an entry in the store and printing it)",
                                           seq + 1, entry.seq - 1, at));
    }
    if (parse_line(entry.text).link.prev != hash) {
      return broken(entry.line, fmt::format("{}: its prev hash does not match seq {} (one of them was changed)", at,
                                            seq));
    }
    seq = entry.seq;
    hash = sha256_hex(entry.text);
    ++report.entries;
  }
  const std::string where = head_where(store, head_path);
  if (head.seq > seq) {
    return broken(0, fmt::format("the collected entries end at seq {} but the {} is at seq {}: seq {} to {} are "
                                 "missing (not collected yet, or removed)",
                                 seq, where, head.seq, seq + 1, head.seq));
  }
  if (head.seq < seq) {
    return broken(0, fmt::format("the collected entries go on to seq {} past the {} (seq {}): entries after it were "
                                 "never anchored",
                                 seq, where, head.seq));
  }
  if (head.hash != hash) {
    return broken(collected.entries.empty() ? 0 : collected.entries.back().line,
                  fmt::format("seq {} does not match the hash the {} records (it was changed)", seq, where));
  }
  return report;
}

std::vector<ports::AuditRecord> collected_audit_records(const CollectedAudit& collected) {
  std::vector<ports::AuditRecord> records;
  for (const CollectedEntry& entry : collected.entries) {
    if (auto event = detail::parse_event(entry.text)) {
      records.push_back(ports::AuditRecord{ports::AuditAnchor{entry.seq, sha256_hex(entry.text)}, std::move(*event)});
    }
  }
  return records;
}

}  // namespace keyd::adapters
