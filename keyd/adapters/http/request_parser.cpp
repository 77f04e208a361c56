#include "request_parser.hpp"

#include <algorithm>
#include <cctype>

namespace keyd::adapters::http {

namespace {

constexpr std::size_t k_max_chunk_line = 1024;
constexpr std::string_view k_crlf = "\r\n";

bool tchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool token(std::string_view s) { return !s.empty() && std::ranges::all_of(s, tchar); }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::uint64_t> decimal(std::string_view s) {
  if (s.empty() || s.size() > 18 || !std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::uint64_t n = 0;
  for (char c : s) n = n * 10 + static_cast<std::uint64_t>(c - '0');
  return n;
}

std::optional<std::uint64_t> hexadecimal(std::string_view s) {
  if (s.empty() || s.size() > 15) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : s) {
    const int d = std::isdigit(static_cast<unsigned char>(c)) != 0 ? c - '0'
                  : std::isxdigit(static_cast<unsigned char>(c)) != 0
                      ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                      : -1;
    if (d < 0) return std::nullopt;
    n = n * 16 + static_cast<std::uint64_t>(d);
  }
  return n;
}

// A line without its CRLF; nullopt when it holds a bare CR or LF.
std::optional<std::string_view> clean_line(std::string_view line) {
  if (line.find_first_of("\r\n") != std::string_view::npos) return std::nullopt;
  return line;
}

}  // namespace

std::vector<std::string_view> RequestHead::values(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& h : headers) {
    if (iequals(h.name, name)) out.emplace_back(h.value);
  }
  return out;
}

bool RequestHead::keep_alive() const {
  bool close = false;
  bool keep = false;
  for (std::string_view v : values("Connection")) {
    close = close || iequals(trim(v), "close");
    keep = keep || iequals(trim(v), "keep-alive");
  }
  return minor_version >= 1 ? !close : keep && !close;
}

bool RequestHead::expects_continue() const {
  const auto v = values("Expect");
  return minor_version >= 1 && std::ranges::any_of(v, [](std::string_view e) { return iequals(e, "100-continue"); });
}

void RequestParser::reset() {
  const ParserLimits limits = m_limits;
  *this = RequestParser(limits);
}

std::size_t RequestParser::fail(int status, std::string message) {
  m_state = State::failed;
  m_error = {status, std::move(message)};
  return 0;
}

std::optional<ParseError> RequestParser::body_refusal() const {
  if (m_head.framing == Framing::length && m_head.content_length > m_limits.max_body) {
    return ParseError{413, "the body is over the size limit"};
  }
  return std::nullopt;
}

std::size_t RequestParser::feed(std::string_view data, std::string& body) {
  switch (m_state) {
    case State::head:
      return feed_head(data);
    case State::body:
      return m_head.framing == Framing::chunked ? feed_chunked(data, body) : feed_length(data, body);
    default:
      return 0;
  }
}

std::size_t RequestParser::feed_head(std::string_view data) {
  std::size_t skipped = 0;
  // Empty lines before a request line are ignored (RFC 9112 §2.2), e.g. after a body's CRLF: at
  // most 16 bytes per request, however the bytes arrive (the bound was per feed() call, so a request
  // sent in pieces was read differently from the same bytes at once: tests/fuzz/http_request_fuzz).
  while (m_buffer.empty() && skipped < data.size() && m_blank_skipped < k_max_blank_skipped &&
         (data[skipped] == '\r' || data[skipped] == '\n')) {
    ++skipped;
    ++m_blank_skipped;
  }
  data.remove_prefix(skipped);
  const std::size_t take = std::min(data.size(), m_limits.max_head + 1 - std::min(m_buffer.size(), m_limits.max_head));
  const std::size_t before = m_buffer.size();
  m_buffer.append(data.substr(0, take));
  // An overlong request line fails at the byte that proves it too long, whether the head arrived
  // whole or in pieces (tests/fuzz/http_request_fuzz, findings 12 and 13): the byte after the limit,
  // or the one after that when it is a CR whose LF may be next. `before` is below that byte: a
  // buffer past it failed on an earlier call.
  std::size_t line_length = m_buffer.find(k_crlf);
  if (line_length == std::string::npos) {
    line_length = m_buffer.size() - (m_buffer.ends_with('\r') ? 1 : 0);
  }
  if (line_length > m_limits.max_request_line) {
    const std::size_t proof = m_limits.max_request_line + (m_buffer[m_limits.max_request_line] == '\r' ? 1 : 0);
    return skipped + (proof + 1 - std::min(before, proof)) + fail(414, "the request line is over the size limit");
  }
  const std::size_t from = m_scanned >= 3 ? m_scanned - 3 : 0;
  const std::size_t end = m_buffer.find("\r\n\r\n", from);
  if (end == std::string::npos || end + 4 > m_limits.max_head) {
    m_scanned = m_buffer.size();
    if (end != std::string::npos || m_buffer.size() > m_limits.max_head) {
      return skipped + take + fail(431, "the request head is over the size limit");
    }
    return skipped + take;
  }
  const std::size_t unused = m_buffer.size() - (end + 4);
  m_buffer.resize(end + 2);  // every line ends with CRLF
  if (!finish_head()) return skipped + take - unused;
  m_buffer.clear();
  return skipped + take - unused;
}

bool RequestParser::finish_head() {
  std::string_view rest = m_buffer;
  bool first = true;
  while (!rest.empty()) {
    const std::size_t eol = rest.find(k_crlf);
    const auto line = clean_line(rest.substr(0, eol));
    if (!line) return fail(400, "a bare CR or LF in the request head"), false;
    rest.remove_prefix(eol + 2);
    if (first) {
      if (line->size() > m_limits.max_request_line) return fail(414, "the request line is over the size limit"), false;
      if (!parse_request_line(*line)) return false;
      first = false;
    } else if (!parse_header_line(*line)) {
      return false;
    }
  }
  return decide_framing();
}

bool RequestParser::parse_request_line(std::string_view line) {
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return fail(400, "malformed request line"), false;
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  const bool visible = std::ranges::all_of(target, [](char c) { return c > ' ' && c < '\x7f'; });
  if (!token(method) || target.empty() || !visible) return fail(400, "malformed request line"), false;
  if (version.size() != 8 || !version.starts_with("HTTP/") || std::isdigit(static_cast<unsigned char>(version[5])) == 0 ||
      version[6] != '.' || std::isdigit(static_cast<unsigned char>(version[7])) == 0) {
    return fail(400, "malformed HTTP version"), false;
  }
  if (version[5] != '1') return fail(505, "HTTP version not supported"), false;
  m_head.method = method;
  m_head.target = target;
  m_head.path = target.substr(0, target.find('?'));
  m_head.minor_version = std::min(version[7] - '0', 1);
  return true;
}

bool RequestParser::parse_header_line(std::string_view line) {
  if (line.empty() || line.front() == ' ' || line.front() == '\t') {
    return fail(400, "a folded or empty header line"), false;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || !token(line.substr(0, colon))) return fail(400, "malformed header"), false;
  if (m_head.headers.size() >= m_limits.max_headers) return fail(431, "too many headers"), false;
  m_head.headers.push_back({std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1)))});
  return true;
}

bool RequestParser::decide_framing() {
  const auto encodings = m_head.values("Transfer-Encoding");
  const auto lengths = m_head.values("Content-Length");
  if (!encodings.empty()) {
    if (!lengths.empty()) return fail(400, "both Content-Length and Transfer-Encoding"), false;
    if (encodings.size() != 1 || !iequals(encodings.front(), "chunked")) {
      return fail(501, "transfer encoding not implemented (only chunked)"), false;
    }
    m_head.framing = Framing::chunked;
    m_state = State::body;
    return true;
  }
  if (!lengths.empty()) {
    const auto length = decimal(lengths.front());
    if (!length || std::ranges::any_of(lengths, [&](std::string_view v) { return v != lengths.front(); })) {
      return fail(400, "invalid or conflicting Content-Length"), false;
    }
    m_head.framing = Framing::length;
    m_head.content_length = *length;
    m_remaining = *length;
  }
  m_state = m_head.announces_body() ? State::body : State::complete;
  return true;
}

std::size_t RequestParser::feed_length(std::string_view data, std::string& body) {
  if (auto refusal = body_refusal()) return fail(refusal->status, refusal->message);
  const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(m_remaining, data.size()));
  body.append(data.substr(0, take));
  m_remaining -= take;
  if (m_remaining == 0) m_state = State::complete;
  return take;
}

std::size_t RequestParser::feed_chunked(std::string_view data, std::string& body) {
  std::size_t used = 0;
  while (used < data.size() && m_state == State::body) {
    const std::string_view rest = data.substr(used);
    if (m_chunk == Chunk::data) {
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(m_remaining, rest.size()));
      body.append(rest.substr(0, take));
      m_body_size += take;
      m_remaining -= take;
      used += take;
      if (m_remaining == 0) m_chunk = Chunk::data_end;
      continue;
    }
    // A line: chunk size, the CRLF after the data, or a trailer line.
    // Never past the byte that makes the line too long: it fails there however the bytes arrive
    // (tests/fuzz/http_request_fuzz, finding 14).
    const std::size_t eol = rest.find('\n');
    const std::size_t take =
        std::min(eol == std::string_view::npos ? rest.size() : eol + 1, k_max_chunk_line + 1 - m_buffer.size());
    m_buffer.append(rest.substr(0, take));
    used += take;
    if (m_buffer.size() > k_max_chunk_line) return used + fail(400, "a chunk line is too long");
    if (eol == std::string_view::npos) continue;
    if (!m_buffer.ends_with(k_crlf)) return used + fail(400, "a bare LF in the chunked body");
    const std::string line = m_buffer.substr(0, m_buffer.size() - 2);
    m_buffer.clear();
    if (!chunk_line(line)) return used;
  }
  return used;
}

bool RequestParser::chunk_line(std::string_view line) {
  if (!clean_line(line)) return fail(400, "a bare CR in the chunked body"), false;
  switch (m_chunk) {
    case Chunk::size: {
      const auto size = hexadecimal(line.substr(0, line.find(';')));
      if (!size) return fail(400, "malformed chunk size"), false;
      if (*size > m_limits.max_body - m_body_size) return fail(413, "the body is over the size limit"), false;
      m_remaining = *size;
      m_chunk = *size == 0 ? Chunk::trailer : Chunk::data;
      return true;
    }
    case Chunk::data_end:
      if (!line.empty()) return fail(400, "chunk data longer than its size"), false;
      m_chunk = Chunk::size;
      return true;
    case Chunk::trailer:
      m_trailer_bytes += line.size() + 2;
      if (m_trailer_bytes > m_limits.max_head) return fail(431, "the trailer is over the size limit"), false;
      if (line.empty()) m_state = State::complete;
      return true;
    case Chunk::data:
      break;
  }
  return true;
}

}  // namespace keyd::adapters::http
