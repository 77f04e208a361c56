// Appending to the audit trail (the line format and the chain are in audit_chain.hpp).
//
// Appends take an flock on "<file>.lock", read only the tail of the file (seeking from the end),
// and write the whole line with a single write() on an O_APPEND descriptor, then fsync. After each
// append "<file>.head" is replaced atomically with {"seq":N,"hash":"<sha256 of line N>"}, so that
// removing entries from the end is detected. The replacement is written into "<file>.head.spare",
// which then trades places with the head (replace_small_file): no file is created or deleted per
// commit, and a head update needs no new space on a full disk. This is best-effort tamper evidence,
// not protection: anyone who can write both files can rewrite the whole chain and the head
// consistently.
//
// Torn lines: a crash in the middle of an append can leave a last line without its newline. The
// next append detects this (the file does not end with '\n' and the tail is not a valid entry),
// starts its entry on a new line, chains it over the torn line (its "prev" is the hash of the torn
// bytes, its "seq" follows the last complete entry) and marks it with "after_torn_line":true.
// The torn bytes stay in the file; verify reports them as a torn entry (not as tampering) and says
// whether the rest of the chain verifies. If the unterminated tail is a complete valid entry (the
// crash hit between the object and its newline), it is kept as a normal entry. A second crash
// during the repairing append (two torn lines in a row) makes appends refuse until someone looks.
//
// Appends refuse (integrity) when the head file disagrees with the end of the file: appending would
// overwrite the only evidence that entries were removed. The head may lag by one entry (a crash
// between the append and the head update, or a head update that failed); that is accepted.
//
// Failures (a full disk): an append either completes or leaves the log as it was, apart from one
// case. A failed or short line write, or a failed fsync of it, truncates the file back to its size
// before the append (no torn line). A head update that fails after the line is durable keeps the
// line (it records what happened) and reports the failure; the head then lags by exactly one entry.
// An append after a lagging head brings it up to date with its own head update and takes its lines
// back out if that fails, so failed appends never make the head lag further. Once there is space
// again the next append repairs the head.
//
// Intents skip the head update: an intent is followed by its result within the same command, whose
// append updates the head (details at the end of append_lines). Meanwhile the head lags by that
// group, accepted like a crash's lag because the chain confirms the head's hash.
#include "keyd/adapters/audit/audit_file.hpp"

#include "audit_chain.hpp"
#include "audit_scan.hpp"
#include "../os/errno_text.hpp"
#include "../os/process_spawn.hpp"
#include "keyd/adapters/os/fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace keyd::adapters {
namespace {

using detail::ChainEnd;
using detail::errno_text;
using detail::format_head;
using detail::format_line;
using detail::head_problem;
using detail::k_max_group_entries;
using detail::LineKind;
using detail::parse_line;
using detail::ParsedLine;
using detail::read_head;
using detail::refuse_key_material;
using detail::with_suffix;

constexpr std::size_t k_tail_chunk = 4096;

Status pread_all(int fd, char* buf, std::size_t size, off_t offset, const std::filesystem::path& file) {
  while (size > 0) {
    const ssize_t n = ::pread(fd, buf, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(ErrorCode::io, "read " + file.string() + ": " + (n < 0 ? errno_text(errno) : "unexpected end"));
    buf += n;
    size -= static_cast<std::size_t>(n);
    offset += n;
  }
  return {};
}

// The end of the file, read backwards in chunks (never the whole file).
struct Tail {
  ChainEnd end;
  std::string last_entry;               // the line of `end` (empty when there is none)
  bool needs_newline = false;           // the file does not end with '\n'
  std::optional<std::string> torn_line;  // the unterminated, invalid last line
};

// The last `count` lines of [0, content_end), fewer when the file has fewer.
Result<std::vector<std::string>> last_lines(int fd, off_t content_end, std::size_t count, const std::filesystem::path& file) {
  std::string buf;
  off_t pos = content_end;
  while (pos > 0 && static_cast<std::size_t>(std::ranges::count(buf, '\n')) < count) {
    const off_t start = std::max<off_t>(0, pos - static_cast<off_t>(k_tail_chunk));
    std::string chunk(static_cast<std::size_t>(pos - start), '\0');
    KEYD_TRY(pread_all(fd, chunk.data(), chunk.size(), start, file));
    buf.insert(0, chunk);
    pos = start;
  }
  std::vector<std::string> lines;
  std::string_view rest(buf);
  while (lines.size() < count) {
    const std::size_t nl = rest.rfind('\n');
    if (nl == std::string_view::npos) {
      if (pos == 0) lines.insert(lines.begin(), std::string(rest));
      break;
    }
    lines.insert(lines.begin(), std::string(rest.substr(nl + 1)));
    rest = rest.substr(0, nl);
  }
  return lines;
}

Result<Tail> read_tail(int fd, off_t size, const std::filesystem::path& file) {
  Tail tail;
  if (size == 0) return tail;
  char last = '\0';
  KEYD_TRY(pread_all(fd, &last, 1, size - 1, file));
  tail.needs_newline = last != '\n';
  KEYD_ASSIGN_OR_RETURN(auto lines, last_lines(fd, tail.needs_newline ? size : size - 1, 2, file));
  if (lines.empty()) return fail(ErrorCode::io, "read " + file.string() + ": no lines");
  ParsedLine parsed = parse_line(lines.back());
  if (parsed.kind != LineKind::entry && tail.needs_newline) {
    tail.torn_line = lines.back();
    lines.pop_back();
    if (lines.empty()) return tail;  // the first append was torn
    parsed = parse_line(lines.back());
  }
  if (parsed.kind != LineKind::entry) {
    return fail(ErrorCode::integrity, "audit log " + file.string() +
                                          ": the last line is not a valid entry; refusing to append (verify the log)");
  }
  tail.end = ChainEnd{parsed.link.seq, sha256_hex(lines.back()), parsed.link.prev};
  tail.last_entry = lines.back();
  return tail;
}

Result<int> open_for_append(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    // Created: make the mode exact whatever the umask, and make the new name durable.
    if (::fchmod(fd, 0600) != 0 || ::fsync(fd) != 0) {
      const int err = errno;
      ::close(fd);
      return fail(ErrorCode::io, "create " + file.string() + ": " + errno_text(err));
    }
    const auto parent = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
    if (auto synced = posix_file_system().fsync_dir(parent); !synced) {
      ::close(fd);
      return fail(synced.error());
    }
    return fd;
  }
  if (errno != EEXIST) return fail(ErrorCode::io, "create " + file.string() + ": " + errno_text(errno));
  fd = ::open(file.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (fd < 0) return fail(ErrorCode::io, "open " + file.string() + ": " + errno_text(errno));
  return fd;
}

Status write_head(const std::filesystem::path& head_file, std::int64_t seq, std::string_view line) {
  const std::string json = format_head(seq, line);
  return replace_small_file(head_file, with_suffix(head_file, ".spare"),
                            std::span(reinterpret_cast<const std::uint8_t*>(json.data()), json.size()), 0600);
}

// Undo a failed append: cut the file back to `size` so no partial line stays behind.
std::unexpected<Error> roll_back(int fd, off_t size, const std::string& what) {
  if (::ftruncate(fd, size) == 0 && ::fsync(fd) == 0) {
    return fail(ErrorCode::io, what + "; the log was left as it was before this append");
  }
  return fail(ErrorCode::io, what + "; removing the partial entry failed too (" + errno_text(errno) +
                                 "), so the next append starts on a new line");
}

// Append `bytes` with one write() and fsync it; on any failure the file is cut back to `size`.
Status write_durably(int fd, std::string_view bytes, off_t size, const std::filesystem::path& file) {
  ssize_t written = -1;
  do {
    written = ::write(fd, bytes.data(), bytes.size());
  } while (written < 0 && errno == EINTR);
  if (written < 0) return roll_back(fd, size, "append to " + file.string() + ": " + errno_text(errno));
  if (static_cast<std::size_t>(written) != bytes.size()) {
    return roll_back(fd, size, "append to " + file.string() + ": short write (" + std::to_string(written) +
                                         " of " + std::to_string(bytes.size()) + " bytes)");
  }
  if (::fsync(fd) != 0) return roll_back(fd, size, "fsync " + file.string() + ": " + errno_text(errno));
  return {};
}

// The hash of entry `seq` among the last lines of [0, content_end), read back for a head that lags
// by more than one entry (a crash inside a group commit); nullopt when it is not there.
std::optional<std::string> hash_of_recent_entry(int fd, off_t content_end, std::int64_t lag, std::int64_t seq,
                                                const std::filesystem::path& file) {
  auto lines = last_lines(fd, content_end, static_cast<std::size_t>(lag) + 1, file);
  if (!lines) return std::nullopt;
  for (const std::string& line : *lines) {
    const ParsedLine parsed = parse_line(line);
    if (parsed.kind == LineKind::entry && parsed.link.seq == seq) return sha256_hex(line);
  }
  return std::nullopt;
}

// Concurrent appends of one process are committed together (group commit): the first caller to
// find no commit running becomes the leader, takes every queued entry (up to k_max_group_entries),
// writes their lines with one write() and one fsync, updates the head once, and hands each caller
// its own result. A caller returns only after the fsync that covers its line succeeded, so "durable
// before reported" holds per entry; the entries keep the order they were queued in. Processes still
// exclude each other with the flock.
class AuditFile final : public ports::AuditLog {
 public:
  explicit AuditFile(std::filesystem::path file) : m_file(std::move(file)) {}

  Status append(const ports::AuditEvent& event) override {
    auto anchor = append_anchored(event);
    if (!anchor) return fail(anchor.error());
    return {};
  }

  // A one-shot command asks once, about one swarm whose newest write is usually among the last
  // entries: the first question reads backwards from the end and stops at that write. From the
  // second on (the daemon asks about every swarm), the index reads the log forwards once and then
  // only what was appended since.
  Result<std::optional<int>> newest_written_version(std::string_view swarm) override {
    const std::lock_guard lock(m_index_mutex);
    if (!m_asked) {
      m_asked = true;
      return detail::newest_written_version(m_file, swarm);
    }
    return m_written.newest(m_file, swarm);
  }

  Result<std::vector<ports::AuditRecord>> records() override { return detail::read_records(m_file); }

  Result<ports::AuditAnchor> append_anchored(const ports::AuditEvent& event) override {
    KEYD_TRY(refuse_key_material(event));
    Pending mine{&event};
    std::unique_lock lock(m_queue_mutex);
    m_queue.push_back(&mine);
    while (!mine.done) {
      if (m_committing) {
        m_committed.wait(lock);
        continue;
      }
      m_committing = true;
      const auto take = std::min<std::size_t>(m_queue.size(), static_cast<std::size_t>(k_max_group_entries));
      std::vector<Pending*> group(m_queue.begin(), m_queue.begin() + static_cast<std::ptrdiff_t>(take));
      m_queue.erase(m_queue.begin(), m_queue.begin() + static_cast<std::ptrdiff_t>(take));
      lock.unlock();
      commit(group);
      lock.lock();
      for (Pending* p : group) p->done = true;
      m_committing = false;
      m_committed.notify_all();
    }
    return std::move(mine.result);
  }

  [[nodiscard]] std::uint64_t commits() const override { return m_commits.load(); }

 private:
  struct Pending {
    const ports::AuditEvent* event;
    Result<ports::AuditAnchor> result = ports::AuditAnchor{};
    bool done = false;
  };

  void commit(const std::vector<Pending*>& group) {
    Result<std::vector<ports::AuditAnchor>> anchors = fail(ErrorCode::internal, "audit append did not run");
    try {
      anchors = append_lines(group);
    } catch (const std::exception& e) {
      anchors = fail(ErrorCode::internal, "audit log " + m_file.string() + ": append failed: " + e.what());
    }
    for (std::size_t i = 0; i < group.size(); ++i) {
      group[i]->result = anchors ? Result<ports::AuditAnchor>((*anchors)[i]) : fail(anchors.error());
    }
    m_commits.fetch_add(1);
  }

  Result<std::vector<ports::AuditAnchor>> append_lines(const std::vector<Pending*>& group) {
    const auto parent = m_file.parent_path();
    if (!parent.empty()) KEYD_TRY(ensure_directory(parent, 0700));
    KEYD_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(with_suffix(m_file, ".lock")));
    KEYD_ASSIGN_OR_RETURN(const int raw_fd, open_for_append(m_file));
    const detail::UniqueFd fd(raw_fd);
    struct stat st{};
    if (::fstat(fd.get(), &st) != 0) return fail(ErrorCode::io, "stat " + m_file.string() + ": " + errno_text(errno));
    KEYD_ASSIGN_OR_RETURN(const Tail tail, read_tail(fd.get(), st.st_size, m_file));

    const auto head_file = with_suffix(m_file, ".head");
    KEYD_ASSIGN_OR_RETURN(const auto head, read_head(head_file));
    const off_t content_end = tail.needs_newline ? st.st_size : st.st_size - 1;
    const auto hash_of = [&](std::int64_t seq) {
      return hash_of_recent_entry(fd.get(), content_end, tail.end.seq - seq, seq, m_file);
    };
    if (const auto problem = head_problem(head, tail.end, head_file,
                                          "the last entry (seq " + std::to_string(tail.end.seq) + ")", hash_of);
        !problem.empty()) {
      return fail(ErrorCode::integrity, "audit log " + m_file.string() + ": " + problem +
                                            "; refusing to append (verify the log; to start a new one, move the "
                                            "log and its head file aside)");
    }

    // A head that lags (a crash before a head update, a failed one, or intents whose update was left
    // to their result; head_problem accepted it above) is brought up to date by this append's own
    // head update. If that update fails, this append's lines are taken back out, so the head never
    // lags by more than it did before. A crash between this append's fsync and its head update must
    // leave a lag head_problem still accepts (at most k_max_group_entries, confirmed by the chain):
    // when the old lag and this group together would exceed it, the head is brought up to date
    // first, as before the intents' deferral, and nothing is appended if that fails.
    // Entries past the head (head_problem refused a head beyond the end).
    std::int64_t lag = head ? tail.end.seq - head->seq : tail.end.seq;
    if (lag > 0 && lag + static_cast<std::int64_t>(group.size()) > k_max_group_entries) {
      if (auto repaired = write_head(head_file, tail.end.seq, tail.last_entry); !repaired) {
        return fail(repaired.error().with_context("audit log " + m_file.string() + ": bringing the head file up to seq " +
                                                  std::to_string(tail.end.seq) + " before appending (nothing appended)"));
      }
      lag = 0;
    }

    std::vector<ports::AuditAnchor> anchors;
    std::string bytes = tail.needs_newline ? "\n" : "";
    std::string line;
    bool only_intents = true;
    for (const Pending* p : group) {
      const bool first = anchors.empty();
      const std::int64_t seq = tail.end.seq + 1 + static_cast<std::int64_t>(anchors.size());
      const std::string prev = !first ? anchors.back().hash
                               : tail.torn_line ? sha256_hex(*tail.torn_line)
                                                : tail.end.hash;
      line = format_line(*p->event, seq, prev, first && tail.torn_line.has_value());
      bytes += line;
      bytes += '\n';
      anchors.push_back(ports::AuditAnchor{seq, sha256_hex(line)});
      only_intents = only_intents && p->event->outcome == ports::k_outcome_intent;
    }
    KEYD_TRY(write_durably(fd.get(), bytes, st.st_size, m_file));

    // An intent is followed by its result (success or failure) as soon as the store write returns,
    // and that append updates the head. Until then the head stays where it was, one group behind,
    // which an append or verify accepts only when the chain confirms the head's hash (as after a
    // crash between a line and its head update); an intent removed meanwhile is still caught by the
    // anchor stored with its version. So a group of intents after an up-to-date head skips the head
    // update: two fsyncs, a file creation and a rename fewer per rotation. Not for a new log (no
    // head yet) or a torn tail: those heads are written at once.
    if (only_intents && head && lag == 0 && !tail.torn_line) return anchors;

    const std::int64_t last = anchors.back().seq;
    if (auto updated = write_head(head_file, last, line); !updated) {
      if (anchors.size() > 1 || lag > 0) {
        // Further past the head than one entry would make the next append refuse; take them back.
        return roll_back(fd.get(), st.st_size,
                         "audit log " + m_file.string() + ": " +
                             (anchors.size() > 1 ? "entries seq " + std::to_string(anchors.front().seq) + "-" +
                                                       std::to_string(last) + " were"
                                                 : "entry seq " + std::to_string(last) + " was") +
                             " appended but the head file could not be updated (" + updated.error().message + ")");
      }
      return fail(updated.error().with_context("audit log " + m_file.string() + ": entry seq " + std::to_string(last) +
                                               " was appended but the head file still records seq " +
                                               std::to_string(tail.end.seq) + "; the next append updates it"));
    }
    return anchors;
  }

  std::filesystem::path m_file;
  std::mutex m_index_mutex;  // guards the two below
  bool m_asked = false;      // newest_written_version was asked before
  detail::WrittenVersionIndex m_written;
  std::mutex m_queue_mutex;  // guards the three below
  std::vector<Pending*> m_queue;
  bool m_committing = false;
  std::condition_variable m_committed;
  std::atomic<std::uint64_t> m_commits{0};
};

}  // namespace

std::unique_ptr<ports::AuditLog> make_audit_file(std::filesystem::path file) {
  return std::make_unique<AuditFile>(std::move(file));
}

}  // namespace keyd::adapters
