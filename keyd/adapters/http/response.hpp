// HTTP/1.1 responses as bytes: status line, Content-Type, Content-Length (always), Connection, the
// handler's extra headers; and the JSON error bodies of what the server refuses by itself.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keyd::adapters::http {

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// {"error":{"code":"payload_too_large","message":...}} with the code named after the status.
[[nodiscard]] Response error_response(int status, std::string_view message);

// The head of the response (ending with the empty line); the body goes out after it, unless
// `head_only` (a HEAD request), which still announces its length.
[[nodiscard]] std::string serialize_head(const Response& response, bool close);

}  // namespace keyd::adapters::http
