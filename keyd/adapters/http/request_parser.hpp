// A pure, incremental HTTP/1.1 request parser (no I/O): bytes in, a request head, then the body
// decoded under a limit (Content-Length or chunked). Strict where laxity lets requests be smuggled
// past a proxy: conflicting Content-Length, Content-Length with Transfer-Encoding, obs-fold and bare
// CR are errors. Every error carries the HTTP status the server answers with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::adapters::http {

struct ParserLimits {
  std::size_t max_request_line = 8 * 1024;  // 414 beyond
  std::size_t max_head = 16 * 1024;         // 431 beyond (request line and headers)
  std::size_t max_headers = 100;            // 431 beyond
  std::size_t max_body = 64 * 1024;         // 413 beyond (decoded, Content-Length or chunked)
};

struct Header {
  std::string name;   // as sent
  std::string value;  // without surrounding blanks, otherwise byte-exact (NULs included)
};

enum class Framing { none, length, chunked };

struct RequestHead {
  std::string method;
  std::string target;  // raw, as sent
  std::string path;    // target up to '?'
  int minor_version = 1;  // HTTP/1.<minor>
  std::vector<Header> headers;  // in order, duplicates kept
  Framing framing = Framing::none;
  std::uint64_t content_length = 0;  // with Framing::length

  // Every value of the header (case-insensitive name), in order.
  [[nodiscard]] std::vector<std::string_view> values(std::string_view name) const;
  // HTTP/1.1 without "Connection: close", or HTTP/1.0 with "Connection: keep-alive".
  [[nodiscard]] bool keep_alive() const;
  [[nodiscard]] bool expects_continue() const;
  [[nodiscard]] bool announces_body() const {
    return framing == Framing::chunked || (framing == Framing::length && content_length > 0);
  }
};

struct ParseError {
  int status = 400;
  std::string message;  // what was wrong, never the bytes themselves
};

class RequestParser {
 public:
  enum class State { head, body, complete, failed };

  explicit RequestParser(ParserLimits limits = {}) : m_limits(limits) {}

  // Consumes bytes of the current request and returns how many. In State::head the head is
  // buffered (up to the limits) and parsed at its end; in State::body decoded body bytes are
  // appended to `body`. Bytes after the end of the request are not consumed (the next request).
  std::size_t feed(std::string_view data, std::string& body);

  // 413 when the announced Content-Length is over the limit: ask before reading the body.
  [[nodiscard]] std::optional<ParseError> body_refusal() const;

  [[nodiscard]] State state() const { return m_state; }
  [[nodiscard]] const RequestHead& head() const { return m_head; }
  [[nodiscard]] const ParseError& error() const { return m_error; }
  [[nodiscard]] std::size_t head_bytes() const { return m_buffer.size(); }
  void reset();

 private:
  enum class Chunk { size, data, data_end, trailer };

  std::size_t feed_head(std::string_view data);
  std::size_t feed_length(std::string_view data, std::string& body);
  std::size_t feed_chunked(std::string_view data, std::string& body);
  bool finish_head();
  bool parse_request_line(std::string_view line);
  bool parse_header_line(std::string_view line);
  bool decide_framing();
  bool chunk_line(std::string_view line);
  std::size_t fail(int status, std::string message);

  ParserLimits m_limits;
  State m_state = State::head;
  RequestHead m_head;
  ParseError m_error;
  std::string m_buffer;       // the head, or the current chunk-size / trailer line
  std::size_t m_scanned = 0;  // bytes of m_buffer already searched for the end of the head
  std::uint64_t m_remaining = 0;  // body or chunk bytes still to come
  std::size_t m_body_size = 0;
  std::size_t m_trailer_bytes = 0;
  static constexpr std::size_t k_max_blank_skipped = 16;
  std::size_t m_blank_skipped = 0;  // CR and LF bytes skipped before this request's line
  Chunk m_chunk = Chunk::size;
};

}  // namespace keyd::adapters::http
