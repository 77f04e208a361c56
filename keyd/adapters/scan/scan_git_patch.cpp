// PatchScanner: `git log -p` / `git diff` output → the keys each commit added, with file line numbers.
#include "keyd/common/secret.hpp"
#include "scan_git_internal.hpp"

#include <charconv>

namespace keyd::adapters::detail {

namespace {

// "-a,b" or "+c,d" (the count defaults to 1).
bool parse_range(std::string_view text, std::size_t& start, std::size_t& count) {
  if (text.size() < 2) return false;
  text.remove_prefix(1);
  const auto comma = text.find(',');
  const auto first = text.substr(0, comma);
  if (std::from_chars(first.data(), first.data() + first.size(), start).ec != std::errc{}) return false;
  count = 1;
  if (comma == std::string_view::npos) return true;
  const auto second = text.substr(comma + 1);
  return std::from_chars(second.data(), second.data() + second.size(), count).ec == std::errc{};
}

int octal_digit(char c) { return c >= '0' && c <= '7' ? c - '0' : -1; }

void wipe(std::string& s) {
  secure_zero(s.data(), s.size());
  s.clear();
}

}  // namespace

std::string diff_path(std::string_view value) {
  while (!value.empty() && (value.back() == '\r' || value.back() == '\t')) value.remove_suffix(1);
  if (value == "/dev/null") return {};
  std::string path;
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (value[i] != '\\' || i + 1 == value.size()) {
        path += value[i];
        continue;
      }
      const char c = value[++i];
      if (octal_digit(c) >= 0 && i + 2 < value.size() && octal_digit(value[i + 1]) >= 0 &&
          octal_digit(value[i + 2]) >= 0) {
        path += static_cast<char>(octal_digit(c) * 64 + octal_digit(value[i + 1]) * 8 + octal_digit(value[i + 2]));
        i += 2;
        continue;
      }
      switch (c) {
        case 'n':
          path += '\n';
          break;
        case 't':
          path += '\t';
          break;
        case 'a':
          path += '\a';
          break;
        case 'b':
          path += '\b';
          break;
        case 'f':
          path += '\f';
          break;
        case 'r':
          path += '\r';
          break;
        case 'v':
          path += '\v';
          break;
        default:
          path += c;
          break;
      }
    }
  } else {
    path = value;
  }
  if (path.starts_with("b/")) path.erase(0, 2);
  return path;
}

void PatchScanner::feed(std::string_view chunk) {
  while (!chunk.empty()) {
    const auto newline = chunk.find('\n');
    if (newline == std::string_view::npos) {
      m_partial.append(chunk);
      return;
    }
    if (m_partial.empty()) {
      line(chunk.substr(0, newline + 1));
    } else {
      m_partial.append(chunk.substr(0, newline + 1));
      line(m_partial);
      wipe(m_partial);
    }
    chunk.remove_prefix(newline + 1);
  }
}

void PatchScanner::finish() {
  if (!m_partial.empty()) {
    line(m_partial);
    wipe(m_partial);
  }
  if (m_in_hunk) end_hunk();
}

void PatchScanner::line(std::string_view text) {
  if (m_in_hunk) {
    hunk_line(text);
  } else {
    header_line(text);
  }
}

void PatchScanner::header_line(std::string_view text) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (text.starts_with(k_commit_marker)) {
    text.remove_prefix(k_commit_marker.size());
    const auto space = text.find(' ');
    m_commit = std::string(text.substr(0, space));
    m_short_commit = space == std::string_view::npos ? m_commit : std::string(text.substr(space + 1));
    ++m_result.commits;
  } else if (text.starts_with("diff --git ") || text.starts_with("diff --cc ")) {
    m_path.clear();
  } else if (text.starts_with("+++ ")) {
    m_path = diff_path(text.substr(4));
    if (!m_path.empty()) ++m_result.files;
  } else if (text.starts_with("@@ ")) {
    const auto minus = text.find(" -");
    const auto plus = text.find(" +");
    if (minus == std::string_view::npos || plus == std::string_view::npos) return;
    std::size_t old_start = 0;
    std::size_t new_start = 0;
    const auto old_range = text.substr(minus + 1, plus - minus - 1);
    const auto new_range = text.substr(plus + 1, text.find(' ', plus + 1) - plus - 1);
    if (!parse_range(old_range, old_start, m_old_left) || !parse_range(new_range, new_start, m_new_left)) return;
    m_new_line = new_start;
    m_in_hunk = m_old_left > 0 || m_new_left > 0;
  }
}

void PatchScanner::hunk_line(std::string_view text) {
  // An empty line is an empty context line (diff.suppressBlankEmpty drops the space).
  const bool blank = text.empty() || text == "\n";
  const char kind = blank ? ' ' : text.front();
  const std::string_view content = blank ? std::string_view("\n") : text.substr(1);
  switch (kind) {
    case '\\':  // "\ No newline at end of file"
      return;
    case '-':
      if (m_old_left > 0) --m_old_left;
      break;
    case '+':
    case ' ':
      m_hunk.append(content);
      if (content.empty() || content.back() != '\n') m_hunk.push_back('\n');
      m_lines.emplace_back(m_new_line++, kind == '+');
      m_hunk_has_added = m_hunk_has_added || kind == '+';
      if (m_new_left > 0) --m_new_left;
      if (kind == ' ' && m_old_left > 0) --m_old_left;
      break;
    default:  // not a hunk line after all: the counts were wrong; resynchronise on headers
      end_hunk();
      header_line(text);
      return;
  }
  if (m_old_left == 0 && m_new_left == 0) end_hunk();
}

void PatchScanner::end_hunk() {
  m_in_hunk = false;
  if (m_hunk_has_added && !m_path.empty()) {
    m_result.bytes += m_hunk.size();
    for (const auto& finding : domain::scan_for_keys(std::string_view(m_hunk))) {
      if (finding.line == 0 || finding.line > m_lines.size()) continue;
      const auto [file_line, added] = m_lines[finding.line - 1];
      if (!added) continue;  // reported with the commit that added that line
      if (!m_seen.emplace(m_path, finding.fingerprint.hex()).second) continue;
      ScanHit hit{m_path, finding, m_commit, m_short_commit};
      hit.finding.line = file_line;
      m_result.hits.push_back(std::move(hit));
    }
  }
  wipe(m_hunk);
  m_lines.clear();
  m_hunk_has_added = false;
}

}  // namespace keyd::adapters::detail
