// The audit trail: one compact JSON object per line, hash-chained.
//
// Line format (keys in this order; swarm, version, fingerprint, error and target are omitted when
// empty/absent):
//   {"seq":3,"time":"…Z","actor":"alice","action":"rotate","swarm":"ipfs-overlay","version":4,
//    "fingerprint":"…","outcome":"success","prev":"<sha256 hex of line 2's bytes, without '\n'>"}
// "seq" is the 1-based entry number, "prev" is 64 zeros for the first entry.
//
// Appends take an flock on "<file>.lock", read only the tail of the file (seeking from the end),
// and write the whole line with a single write() on an O_APPEND descriptor, then fsync. After each
// append "<file>.head" is replaced atomically with {"seq":N,"hash":"<sha256 of line N>"}, so that
// removing entries from the end is detected. This is best-effort tamper evidence, not protection:
// anyone who can write both files can rewrite the whole chain and the head consistently.
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
// between the append and the head update); that is accepted and repaired by the next append.
#include "keyd/adapters/audit_file.hpp"

#include "keyd/adapters/fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace keyd::adapters {
namespace {

using OrderedJson = nlohmann::ordered_json;

constexpr std::string_view k_genesis = "0000000000000000000000000000000000000000000000000000000000000000";
constexpr std::string_view k_key_path_marker = "/key/swarm/psk/";
constexpr std::string_view k_torn_flag = "after_torn_line";
constexpr std::size_t k_tail_chunk = 4096;

std::string errno_text(int err) { return std::system_category().message(err); }

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) return {};
  constexpr std::string_view k_hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += k_hex[digest[i] >> 4U];
    out += k_hex[digest[i] & 0x0fU];
  }
  return out;
}

bool is_hash(const std::string& s) {
  return s.size() == k_genesis.size() &&
         std::ranges::all_of(s, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

class Fd {
 public:
  explicit Fd(int fd) : m_fd(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (m_fd >= 0) ::close(m_fd);
  }
  [[nodiscard]] int get() const { return m_fd; }

 private:
  int m_fd;
};

// What the chain needs from one line: its number, its link back, and whether it marks a repair.
struct Link {
  std::int64_t seq = 0;
  std::string prev;
  bool after_torn = false;
};

enum class LineKind { entry, not_json, not_entry };

struct ParsedLine {
  LineKind kind = LineKind::not_json;
  Link link;
};

ParsedLine parse_line(std::string_view line) {
  OrderedJson j = OrderedJson::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return {};
  ParsedLine out{LineKind::not_entry, {}};
  if (!j.is_object()) return out;
  const auto seq = j.find("seq");
  const auto prev = j.find("prev");
  if (seq == j.end() || !seq->is_number_integer() || prev == j.end() || !prev->is_string()) return out;
  out.link.seq = seq->get<std::int64_t>();
  out.link.prev = prev->get<std::string>();
  if (out.link.seq < 1 || !is_hash(out.link.prev)) return out;
  const auto torn = j.find(k_torn_flag);
  out.link.after_torn = torn != j.end() && torn->is_boolean() && torn->get<bool>();
  out.kind = LineKind::entry;
  return out;
}

// The last complete, valid entry of the chain (seq 0 and the genesis hash when there is none).
struct ChainEnd {
  std::int64_t seq = 0;
  std::string hash{k_genesis};
  std::string prev{k_genesis};
};

struct Head {
  std::int64_t seq = 0;
  std::string hash;
};

std::filesystem::path with_suffix(const std::filesystem::path& file, std::string_view suffix) {
  return std::filesystem::path(file.string() + std::string(suffix));
}

// nullopt when the head file does not exist.
Result<std::optional<Head>> read_head(const std::filesystem::path& head_file) {
  auto text = read_text_file(head_file);
  if (!text) {
    if (text.error().code == ErrorCode::not_found) return std::optional<Head>{};
    return fail(text.error());
  }
  const OrderedJson j = OrderedJson::parse(*text, nullptr, false);
  if (j.is_object() && j.contains("seq") && j["seq"].is_number_integer() && j.contains("hash") &&
      j["hash"].is_string() && is_hash(j["hash"].get<std::string>())) {
    return std::optional<Head>{Head{j["seq"].get<std::int64_t>(), j["hash"].get<std::string>()}};
  }
  return fail(ErrorCode::integrity, "head file " + head_file.string() + " is not valid");
}

// Compares the head file with the end of the chain. Empty when consistent. `last` names the last
// entry ("line 7" in verify; append only knows its seq).
std::string head_problem(const std::optional<Head>& head, const ChainEnd& end, const std::filesystem::path& head_file,
                         const std::string& last) {
  if (!head) {
    if (end.seq <= 1) return {};  // new log, or a crash before the first head write
    return "head file " + head_file.string() + " is missing (cannot tell whether entries were removed from the end)";
  }
  if (head->seq == end.seq && head->hash == end.hash) return {};
  if (head->seq == end.seq - 1 && head->hash == end.prev) return {};  // crash before the head update
  const std::string ends = "file ends at seq " + std::to_string(end.seq) + " but the head file records seq " +
                           std::to_string(head->seq);
  if (head->seq > end.seq) return ends + " (entries removed from the end)";
  if (head->seq == end.seq) {
    return last + ": does not match the hash the head file records for seq " + std::to_string(end.seq) + " (" + last +
           " was changed)";
  }
  return ends + " with a different hash (the head file is stale or was replaced)";
}

Status refuse_key_material(const ports::AuditEvent& e) {
  const std::array<std::pair<std::string_view, const std::string*>, 8> fields{{
      {"time", &e.time}, {"actor", &e.actor}, {"action", &e.action}, {"swarm", &e.swarm},
      {"fingerprint", &e.fingerprint}, {"outcome", &e.outcome}, {"error", &e.error}, {"target", &e.target}}};
  for (const auto& [name, value] : fields) {
    if (value->find(k_key_path_marker) != std::string::npos) {
      return fail(ErrorCode::internal, "refusing to write an audit entry whose '" + std::string(name) +
                                           "' field contains a key path (" + std::string(k_key_path_marker) +
                                           "); audit entries never hold key material");
    }
  }
  return {};
}

std::string format_line(const ports::AuditEvent& e, std::int64_t seq, const std::string& prev, bool after_torn) {
  OrderedJson j;
  j["seq"] = seq;
  j["time"] = e.time;
  j["actor"] = e.actor;
  j["action"] = e.action;
  if (!e.swarm.empty()) j["swarm"] = e.swarm;
  if (e.version) j["version"] = *e.version;
  if (!e.fingerprint.empty()) j["fingerprint"] = e.fingerprint;
  j["outcome"] = e.outcome;
  if (!e.error.empty()) j["error"] = e.error;
  if (!e.target.empty()) j["target"] = e.target;
  if (after_torn) j[k_torn_flag] = true;
  j["prev"] = prev;
  return j.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

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

class AuditFile final : public ports::AuditLog {
 public:
  explicit AuditFile(std::filesystem::path file) : m_file(std::move(file)) {}

  Status append(const ports::AuditEvent& event) override {
    KEYD_TRY(refuse_key_material(event));
    const auto parent = m_file.parent_path();
    if (!parent.empty()) KEYD_TRY(ensure_directory(parent, 0700));
    KEYD_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(with_suffix(m_file, ".lock")));
    KEYD_ASSIGN_OR_RETURN(const int raw_fd, open_for_append(m_file));
    const Fd fd(raw_fd);
    struct stat st{};
    if (::fstat(fd.get(), &st) != 0) return fail(ErrorCode::io, "stat " + m_file.string() + ": " + errno_text(errno));
    KEYD_ASSIGN_OR_RETURN(const Tail tail, read_tail(fd.get(), st.st_size, m_file));

    const auto head_file = with_suffix(m_file, ".head");
    KEYD_ASSIGN_OR_RETURN(const auto head, read_head(head_file));
    if (const auto problem = head_problem(head, tail.end, head_file, "the last entry (seq " + std::to_string(tail.end.seq) + ")");
        !problem.empty()) {
      return fail(ErrorCode::integrity, "audit log " + m_file.string() + ": " + problem +
                                            "; refusing to append (verify the log; to start a new one, move the "
                                            "log and its head file aside)");
    }

    const std::int64_t seq = tail.end.seq + 1;
    const std::string prev = tail.torn_line ? sha256_hex(*tail.torn_line) : tail.end.hash;
    const std::string line = format_line(event, seq, prev, tail.torn_line.has_value());
    const std::string bytes = (tail.needs_newline ? "\n" : "") + line + "\n";
    ssize_t written = -1;
    do {
      written = ::write(fd.get(), bytes.data(), bytes.size());
    } while (written < 0 && errno == EINTR);
    if (written < 0) return fail(ErrorCode::io, "append to " + m_file.string() + ": " + errno_text(errno));
    if (static_cast<std::size_t>(written) != bytes.size()) {
      // The rest stays torn; the next append repairs it.
      return fail(ErrorCode::io, "append to " + m_file.string() + ": short write");
    }
    if (::fsync(fd.get()) != 0) return fail(ErrorCode::io, "fsync " + m_file.string() + ": " + errno_text(errno));

    const std::string head_json = OrderedJson{{"seq", seq}, {"hash", sha256_hex(line)}}.dump() + "\n";
    return atomic_write_file(head_file, std::span(reinterpret_cast<const std::uint8_t*>(head_json.data()), head_json.size()),
                             0600);
  }

 private:
  std::filesystem::path m_file;
};

// ---- verify ----

struct Line {
  std::string_view text;
  ParsedLine parsed;
};

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    const std::string_view line = text.substr(start, end - start);
    lines.push_back(Line{line, parse_line(line)});
    start = end + 1;
  }
  return lines;
}

std::string line_ref(std::size_t n) { return "line " + std::to_string(n); }

}  // namespace

std::unique_ptr<ports::AuditLog> make_audit_file(std::filesystem::path file) {
  return std::make_unique<AuditFile>(std::move(file));
}

Result<AuditVerifyReport> verify_audit_file(const std::filesystem::path& file) {
  KEYD_ASSIGN_OR_RETURN(const std::string text, read_text_file(file));
  const bool terminated = text.empty() || text.back() == '\n';
  const std::vector<Line> lines = split_lines(text);

  AuditVerifyReport report;
  std::string torn_problem;  // a torn entry is reported, but the walk continues past it
  std::string problem;
  std::size_t problem_line = 0;
  ChainEnd end;
  std::size_t end_line = 0;  // line number of `end`
  std::string expected_prev{k_genesis};

  for (std::size_t i = 0; i < lines.size() && problem.empty(); ++i) {
    const std::size_t n = i + 1;
    const Line& line = lines[i];
    if (line.parsed.kind != LineKind::entry) {
      const bool unterminated_last = n == lines.size() && !terminated;
      const bool repaired = n < lines.size() && lines[n].parsed.kind == LineKind::entry &&
                            lines[n].parsed.link.after_torn && lines[n].parsed.link.prev == sha256_hex(line.text);
      if (unterminated_last || repaired) {
        if (torn_problem.empty()) {
          report.first_bad_line = n;
          torn_problem = line_ref(n) + ": torn entry (an append was interrupted, e.g. by a crash; " +
                         (repaired ? line_ref(n + 1) + " starts on a new line and chains over it)"
                                   : "the next append starts a new line)");
        }
        expected_prev = sha256_hex(line.text);
        continue;
      }
      problem_line = n;
      problem = line_ref(n) + (line.parsed.kind == LineKind::not_json
                                   ? ": not valid JSON"
                                   : ": not an audit entry (missing or invalid \"seq\" or \"prev\")");
      break;
    }
    const Link& link = line.parsed.link;
    const std::int64_t expected_seq = end.seq + 1;
    if (link.seq != expected_seq) {
      problem_line = n;
      if (end.seq == 0) {
        problem = line_ref(n) + ": seq " + std::to_string(link.seq) +
                  " but the log starts at seq 1 (entries removed from the start)";
      } else {
        std::string why = "entries reordered or duplicated";
        if (link.seq > expected_seq) {
          const bool later = std::any_of(lines.begin() + static_cast<std::ptrdiff_t>(n), lines.end(), [&](const Line& l) {
            return l.parsed.kind == LineKind::entry && l.parsed.link.seq >= expected_seq && l.parsed.link.seq < link.seq;
          });
          why = later ? "entries reordered" : "entries removed";
        }
        problem = line_ref(n) + ": seq " + std::to_string(link.seq) + " follows seq " + std::to_string(end.seq) +
                  " (" + why + ")";
      }
      break;
    }
    if (link.prev != expected_prev) {
      problem_line = n;
      problem = n == 1 ? line_ref(1) + ": prev hash is not the start marker (line 1 was changed, or entries were "
                                       "removed from the start)"
                       : line_ref(n) + ": prev hash does not match " + line_ref(n - 1) + " (" + line_ref(n - 1) +
                             " was changed, or lines were removed or reordered)";
      break;
    }
    end = ChainEnd{link.seq, sha256_hex(line.text), link.prev};
    end_line = n;
    expected_prev = end.hash;
    ++report.entries;
  }

  if (problem.empty()) {
    const auto head_file = with_suffix(file, ".head");
    auto head = read_head(head_file);
    if (!head && head.error().code != ErrorCode::integrity) return fail(head.error());
    problem = head ? head_problem(*head, end, head_file, line_ref(end_line)) : head.error().message;
    // A changed last entry is that line; removed entries would have started after the last line.
    const bool last_changed = head && *head && (**head).seq == end.seq;
    if (!problem.empty()) problem_line = last_changed ? end_line : lines.size() + 1;
  }

  if (!torn_problem.empty()) {
    report.ok = false;
    report.problem = torn_problem + (problem.empty() ? "; the rest of the chain verifies" : "; after it: " + problem);
  } else if (!problem.empty()) {
    report.ok = false;
    report.first_bad_line = problem_line;
    report.problem = problem;
  }
  return report;
}

}  // namespace keyd::adapters
