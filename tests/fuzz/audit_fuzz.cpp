// Audit log verification (keyd/adapters/audit: verify_audit_file, the line format and hash chain).
// The input: "<log file>\x00<head file>" (no head file without the NUL), or, when byte 0 is '!',
// fields for a chain keyd writes itself: lines of "time|actor|action|swarm|fingerprint|outcome|error|
// target|detail", the last byte picking a byte to flip; when byte 0 is '?', log lines collected from
// a pipeline (audit.sink stdout).
// Asserts: verify answers with a report for any file (never an error or a crash); a report is
// either ok (no bad line, no problem text) or names a problem and a line within the file (or the one
// after it: entries removed from the end); entries counted ≤ lines; a chain written with format_line
// and format_head verifies with every entry counted; parse_event gives back the fields written
// (exactly for ASCII fields; stable after one round for any bytes); flipping any byte of such a
// chain makes verify fail; collected lines give entries in strictly ascending seq, each the text of
// a chain entry with that seq found at its line, and every line is counted once (an entry, a
// duplicate, another line or the losing side of a seq conflict).
#include "audit/audit_chain.hpp"
#include "fuzz_check.hpp"
#include "keyd/adapters/audit/audit_file.hpp"
#include "keyd/adapters/audit/audit_stream.hpp"
#include "temp_file.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace {

using namespace keyd;
namespace detail = adapters::detail;

std::size_t line_count(std::string_view text) {
  return static_cast<std::size_t>(std::ranges::count(text, '\n')) + (!text.empty() && text.back() != '\n' ? 1 : 0);
}

adapters::AuditVerifyReport verify(std::string_view log, std::optional<std::string_view> head) {
  const auto& dir = fuzz::temp_dir();
  const auto file = dir.write("audit.log", log);
  const auto head_file = detail::with_suffix(file, ".head");
  if (head) {
    dir.write("audit.log.head", *head);
  } else {
    std::filesystem::remove(head_file);
  }
  const auto report = adapters::verify_audit_file(file);
  FUZZ_CHECK(report.has_value());
  if (report->ok) {
    FUZZ_CHECK(report->first_bad_line == 0);
    FUZZ_CHECK(report->problem.empty());
  } else {
    FUZZ_CHECK(!report->problem.empty());
    FUZZ_CHECK(report->first_bad_line >= 1 && report->first_bad_line <= line_count(log) + 1);
  }
  FUZZ_CHECK(report->entries <= line_count(log));
  return *report;
}

bool same(const ports::AuditEvent& a, const ports::AuditEvent& b) {
  return a.time == b.time && a.actor == b.actor && a.action == b.action && a.swarm == b.swarm &&
         a.version == b.version && a.fingerprint == b.fingerprint && a.outcome == b.outcome && a.error == b.error &&
         a.target == b.target && a.detail == b.detail;
}

void written_chain(std::string_view spec) {
  if (spec.empty()) return;
  const auto flip = static_cast<unsigned char>(spec.back());
  spec.remove_suffix(1);
  const bool ascii = std::ranges::all_of(spec, [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  std::string log;
  std::string prev = detail::genesis_hash();
  std::string last;
  std::int64_t seq = 0;
  fuzz::Splitter lines(spec, "\n");
  while (seq < 16) {
    const auto line = lines.next();
    fuzz::Splitter f(line, "|");
    ports::AuditEvent e{std::string(f.next()), std::string(f.next()), std::string(f.next()), std::string(f.next()),
                        static_cast<int>(seq), std::string(f.next()), std::string(f.next()), std::string(f.next()),
                        std::string(f.next()), std::string(f.next())};
    last = detail::format_line(e, ++seq, prev, false);
    FUZZ_CHECK(last.find('\n') == std::string::npos);
    const auto parsed = detail::parse_line(last);
    FUZZ_CHECK(parsed.kind == detail::LineKind::entry && parsed.link.seq == seq && parsed.link.prev == prev);
    const auto event = detail::parse_event(last);
    FUZZ_CHECK(event.has_value());
    if (ascii) FUZZ_CHECK(same(*event, e));
    const auto again = detail::parse_event(detail::format_line(*event, seq, prev, false));
    FUZZ_CHECK(again.has_value() && same(*again, *event));
    log += last + "\n";
    prev = sha256_hex(last);
    if (lines.rest().empty()) break;
  }
  const auto head = detail::format_head(seq, last);
  const auto report = verify(log, head);
  FUZZ_CHECK(report.ok);
  FUZZ_CHECK(report.entries == static_cast<std::size_t>(seq));

  // Any changed byte of an entry's line (not its line break) is found.
  const std::size_t at = flip % log.size();
  if (log[at] == '\n') return;
  log[at] = static_cast<char>(log[at] ^ 0x20);
  FUZZ_CHECK(!verify(log, head).ok);
}

void collected(std::string_view text) {
  const auto c = adapters::collect_audit_lines(text);
  const std::size_t lines = line_count(text);
  std::int64_t last = 0;
  std::size_t conflicts = 0;
  for (const auto& e : c.entries) {
    FUZZ_CHECK(e.seq > last);
    last = e.seq;
    FUZZ_CHECK(e.line >= 1 && e.line <= lines);
    const auto parsed = detail::parse_line(e.text);
    FUZZ_CHECK(parsed.kind == detail::LineKind::entry && parsed.link.seq == e.seq);
    FUZZ_CHECK(!e.text.empty() && e.text.front() == '{');
  }
  if (!c.conflict.empty()) ++conflicts;
  FUZZ_CHECK(c.entries.size() + c.other_lines + c.duplicates <= lines);
  FUZZ_CHECK(conflicts == 0 || c.entries.size() + c.other_lines + c.duplicates < lines);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::as_text(data, size);
  if (!text.empty() && text[0] == '!') {
    written_chain(text.substr(1));
    return 0;
  }
  if (!text.empty() && text[0] == '?') {
    collected(text.substr(1));
    return 0;
  }
  const auto nul = text.find('\0');
  if (nul == std::string_view::npos) {
    (void)verify(text, std::nullopt);
  } else {
    (void)verify(text.substr(0, nul), text.substr(nul + 1));
  }
  return 0;
}
