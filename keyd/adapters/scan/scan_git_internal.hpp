// Internals of the git scan sources: the git child process and the parser of `git log -p` /
// `git diff` output. Not a public API (white-box tested in tests/unit/adapters).
#pragma once

#include "keyd/adapters/scan/scan_sources.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keyd::adapters::detail {

// Run `git -C <dir> <args...>` (found in PATH, no shell) with the caller's environment, stdin from
// /dev/null, in its own process group. stdout goes to `on_output` as it arrives; stderr is kept (at
// most 4 KiB) for the error message. Past `timeout` the whole group is killed: a timeout error.
// A non-zero exit is an io error naming the git command, the status and git's first stderr line.
using OutputSink = std::function<void(std::string_view chunk)>;
[[nodiscard]] Status run_git(const std::filesystem::path& dir, const std::vector<std::string>& args,
                             std::chrono::milliseconds timeout, const OutputSink& on_output);

// Turns a stream of unified-diff text into scanned hunks. Feed it chunks as they come.
//
// Understands what `git log -p --format=<k_commit_marker>%H %h` and `git diff` print: commit
// marker lines, `diff --git` and `+++ b/<path>` headers (C-quoted paths too), and hunks, whose
// lengths come from their `@@ -a,b +c,d @@` header (so file content can never be mistaken for a
// header). The new side of each hunk (context and added lines) is scanned as one text; a key counts
// only when the line its characters start on was added. Each (path, fingerprint) is reported once,
// for the first commit fed.
class PatchScanner {
 public:
  static constexpr std::string_view k_commit_marker = "keyd-scan-commit ";

  void feed(std::string_view chunk);
  // Call at the end of the stream (scans a last unterminated line or hunk).
  void finish();
  [[nodiscard]] ScanResult take_result() { return std::move(m_result); }

 private:
  void line(std::string_view text);
  void header_line(std::string_view text);
  void hunk_line(std::string_view text);
  void end_hunk();

  std::string m_partial;  // an incomplete line carried to the next chunk
  std::string m_commit, m_short_commit;
  std::string m_path;
  bool m_in_hunk = false;
  std::size_t m_old_left = 0, m_new_left = 0, m_new_line = 0;
  std::string m_hunk;                                 // new-side text of the current hunk
  std::vector<std::pair<std::size_t, bool>> m_lines;  // per hunk line: (line in the file, added)
  bool m_hunk_has_added = false;
  std::set<std::pair<std::string, std::string>> m_seen;  // (path, fingerprint) already reported
  ScanResult m_result;
};

// A path from a `+++ ` header without its "b/" prefix, C-unquoted; empty for /dev/null.
[[nodiscard]] std::string diff_path(std::string_view header_value);

}  // namespace keyd::adapters::detail
