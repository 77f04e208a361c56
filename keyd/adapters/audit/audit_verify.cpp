// Verifying the audit trail: walks every line of the chain (see audit_chain.hpp), names the first
// line that breaks it, tells a torn entry (an interrupted append) from tampering, and compares the
// end of the chain with the head file.
#include "keyd/adapters/audit/audit_file.hpp"

#include "audit_chain.hpp"
#include "keyd/adapters/os/fs.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace keyd::adapters {
namespace {

using detail::ChainEnd;
using detail::head_problem;
using detail::genesis_hash;
using detail::LineKind;
using detail::Link;
using detail::parse_line;
using detail::ParsedLine;
using detail::read_head;
using detail::with_suffix;

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

Result<AuditVerifyReport> verify_audit_file(const std::filesystem::path& file) {
  // The log and its head are read under the writers' lock (shared), so an append cannot land
  // between the two reads (a head ahead of the lines read looked like entries removed from the
  // end). A reader that cannot open the lock file verifies without it.
  auto lock = FileLock::acquire_shared(with_suffix(file, ".lock"));
  if (!lock && lock.error().code == ErrorCode::timeout) return fail(lock.error());
  KEYD_ASSIGN_OR_RETURN(const std::string text, read_text_file(file));
  const bool terminated = text.empty() || text.back() == '\n';
  const std::vector<Line> lines = split_lines(text);

  AuditVerifyReport report;
  std::string torn_problem;  // a torn entry is reported, but the walk continues past it
  std::string problem;
  std::size_t problem_line = 0;
  ChainEnd end;
  std::size_t end_line = 0;  // line number of `end`
  std::deque<std::pair<std::int64_t, std::string>> recent;  // seq and hash of the last entries, for the head
  std::string expected_prev = genesis_hash();

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
    recent.emplace_back(end.seq, end.hash);
    if (std::cmp_greater(recent.size(), detail::k_max_group_entries + 1)) recent.pop_front();
    end_line = n;
    expected_prev = end.hash;
    ++report.entries;
  }

  if (problem.empty()) {
    const auto head_file = with_suffix(file, ".head");
    auto head = read_head(head_file);
    if (!head && head.error().code != ErrorCode::integrity) return fail(head.error());
    const auto hash_of = [&recent](std::int64_t seq) -> std::optional<std::string> {
      for (const auto& [s, hash] : recent) {
        if (s == seq) return hash;
      }
      return std::nullopt;
    };
    problem = head ? head_problem(*head, end, head_file, line_ref(end_line), hash_of) : head.error().message;
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
