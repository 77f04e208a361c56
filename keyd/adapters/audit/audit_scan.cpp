// Reading the audit trail back (see audit_chain.hpp for the format): the newest recorded store write
// of a swarm, found by reading the file backwards from its end, and every entry with its anchor.
#include "audit_scan.hpp"

#include "audit_chain.hpp"
#include "../os/errno_text.hpp"
#include "../os/process_spawn.hpp"
#include "keyd/adapters/os/fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <string>
#include <cerrno>

namespace keyd::adapters::detail {
namespace {

constexpr std::size_t k_scan_chunk = 64 * 1024;

Status pread_exact(int fd, std::string& buf, off_t offset, const std::filesystem::path& file) {
  std::size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n = ::pread(fd, buf.data() + done, buf.size() - done, offset + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(ErrorCode::io, "read " + file.string() + ": " + (n < 0 ? errno_text(errno) : "unexpected end"));
    done += static_cast<std::size_t>(n);
  }
  return {};
}

// Cheap filter before parsing: only a "success" entry with a version and one of
// ports::k_write_actions can record a written version (ports::records_written_version). format_line
// writes compact JSON, and no string value holds an unescaped quote, so these keys appear only as
// themselves; a line that passes is parsed and decided as before. Most lines of a long log (sync
// deliveries, key reads, intents) are skipped without parsing.
bool may_record_written_version(std::string_view line) {
  static const auto action_keys = [] {
    std::array<std::string, ports::k_write_actions.size()> keys;
    std::ranges::transform(ports::k_write_actions, keys.begin(),
                           [](std::string_view action) { return "\"action\":\"" + std::string(action) + "\""; });
    return keys;
  }();
  constexpr auto npos = std::string_view::npos;
  if (line.find("\"version\":") == npos || line.find("\"outcome\":\"success\"") == npos) return false;
  return std::ranges::any_of(action_keys, [&](const std::string& key) { return line.find(key) != npos; });
}

// The version a line records as written for the swarm whose JSON-quoted name is `needle`, if any.
std::optional<int> written_version(std::string_view line, std::string_view needle) {
  // Cheap filter first: only lines naming the swarm and recording a write are parsed.
  if (line.find(needle) == std::string_view::npos || !may_record_written_version(line)) return std::nullopt;
  if (parse_line(line).kind != LineKind::entry) return std::nullopt;
  const auto event = parse_event(line);
  if (!event || !ports::records_written_version(*event)) return std::nullopt;
  return event->version;
}

}  // namespace

Result<std::optional<int>> newest_written_version(const std::filesystem::path& file, std::string_view swarm) {
  const detail::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<int>{};
    return fail(ErrorCode::io, "open " + file.string() + ": " + errno_text(errno));
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return fail(ErrorCode::io, "stat " + file.string() + ": " + errno_text(errno));
  const std::string needle = "\"swarm\":" + nlohmann::json(std::string(swarm)).dump();
  std::string carry;  // the start of a line whose beginning lies in an earlier chunk
  off_t pos = st.st_size;
  while (pos > 0) {
    const off_t start = std::max<off_t>(0, pos - static_cast<off_t>(k_scan_chunk));
    std::string chunk(static_cast<std::size_t>(pos - start), '\0');
    KEYD_TRY(pread_exact(fd.get(), chunk, start, file));
    chunk += carry;
    pos = start;
    std::string_view rest(chunk);
    for (std::size_t nl = rest.rfind('\n'); nl != std::string_view::npos; nl = rest.rfind('\n')) {
      if (const auto version = written_version(rest.substr(nl + 1), needle)) return version;
      rest = rest.substr(0, nl);
    }
    carry = std::string(rest);
  }
  return written_version(carry, needle);
}

void WrittenVersionIndex::reset() {
  m_newest.clear();
  m_dev = 0;
  m_ino = 0;
  m_indexed = 0;
  m_last_line.clear();
  m_tail.clear();
}

bool WrittenVersionIndex::still_indexed(int fd, dev_t dev, ino_t ino, off_t size) {
  if (dev != m_dev || ino != m_ino || size < m_indexed) return false;
  if (m_indexed == 0) return true;
  std::string back(m_last_line.size(), '\0');
  const off_t at = m_indexed - static_cast<off_t>(back.size());
  return at >= 0 && pread_exact(fd, back, at, {}).has_value() && back == m_last_line;
}

Status WrittenVersionIndex::read_new_lines(int fd, off_t size, const std::filesystem::path& file) {
  std::string pending;  // bytes read after the last complete line
  off_t pos = m_indexed;
  while (pos < size) {
    std::string chunk(static_cast<std::size_t>(std::min<off_t>(size - pos, static_cast<off_t>(k_scan_chunk))), '\0');
    KEYD_TRY(pread_exact(fd, chunk, pos, file));
    pos += static_cast<off_t>(chunk.size());
    pending += chunk;
    std::size_t consumed = 0;
    for (std::size_t nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n', consumed)) {
      const std::string_view line = std::string_view(pending).substr(consumed, nl - consumed);
      if (may_record_written_version(line) && parse_line(line).kind == LineKind::entry) {
        const auto event = parse_event(line);
        if (event && ports::records_written_version(*event)) m_newest.insert_or_assign(event->swarm, *event->version);
      }
      m_last_line.assign(pending, consumed, nl + 1 - consumed);
      m_indexed += static_cast<off_t>(nl + 1 - consumed);
      consumed = nl + 1;
    }
    pending.erase(0, consumed);
  }
  m_tail = std::move(pending);
  return {};
}

Result<std::optional<int>> WrittenVersionIndex::newest(const std::filesystem::path& file, std::string_view swarm) {
  const std::lock_guard lock(m_mutex);
  const detail::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno != ENOENT) return fail(ErrorCode::io, "open " + file.string() + ": " + errno_text(errno));
    reset();
    return std::optional<int>{};
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return fail(ErrorCode::io, "stat " + file.string() + ": " + errno_text(errno));
  if (!still_indexed(fd.get(), st.st_dev, st.st_ino, st.st_size)) {
    reset();
    m_dev = st.st_dev;
    m_ino = st.st_ino;
  }
  if (auto read = read_new_lines(fd.get(), st.st_size, file); !read) {
    reset();  // what was read is incomplete: start again next time
    return fail(read.error());
  }
  const std::string needle = "\"swarm\":" + nlohmann::json(std::string(swarm)).dump();
  if (const auto tail = written_version(m_tail, needle)) return tail;
  const auto found = m_newest.find(swarm);
  if (found == m_newest.end()) return std::optional<int>{};
  return std::optional<int>(found->second);
}

Result<std::vector<ports::AuditRecord>> read_records(const std::filesystem::path& file) {
  auto text = read_text_file(file);
  if (!text) {
    if (text.error().code == ErrorCode::not_found) return std::vector<ports::AuditRecord>{};
    return fail(text.error());
  }
  std::vector<ports::AuditRecord> records;
  std::string_view rest(*text);
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    const ParsedLine parsed = parse_line(line);
    if (parsed.kind != LineKind::entry) continue;  // torn or foreign lines are verify's business
    if (auto event = parse_event(line)) {
      records.push_back(ports::AuditRecord{ports::AuditAnchor{parsed.link.seq, sha256_hex(line)}, std::move(*event)});
    }
  }
  return records;
}

}  // namespace keyd::adapters::detail
