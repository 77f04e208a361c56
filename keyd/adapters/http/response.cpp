#include "response.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace keyd::adapters::http {

namespace {

struct StatusName {
  int status;
  std::string_view reason;
  std::string_view code;  // in JSON error bodies
};

constexpr StatusName k_statuses[] = {
    {100, "Continue", ""},
    {200, "OK", ""},
    {201, "Created", ""},
    {204, "No Content", ""},
    {400, "Bad Request", "bad_request"},
    {401, "Unauthorized", "unauthorized"},
    {403, "Forbidden", "forbidden"},
    {404, "Not Found", "not_found"},
    {405, "Method Not Allowed", "method_not_allowed"},
    {408, "Request Timeout", "request_timeout"},
    {409, "Conflict", "conflict"},
    {413, "Content Too Large", "payload_too_large"},
    {414, "URI Too Long", "uri_too_long"},
    {429, "Too Many Requests", "too_many_requests"},
    {431, "Request Header Fields Too Large", "header_too_large"},
    {500, "Internal Server Error", "internal"},
    {501, "Not Implemented", "not_implemented"},
    {502, "Bad Gateway", "unavailable"},
    {503, "Service Unavailable", "unavailable"},
    {505, "HTTP Version Not Supported", "version_not_supported"},
};

const StatusName* find(int status) {
  for (const auto& s : k_statuses) {
    if (s.status == status) return &s;
  }
  return nullptr;
}

}  // namespace

Response error_response(int status, std::string_view message) {
  const StatusName* name = find(status);
  const std::string_view code = name != nullptr ? name->code : (status >= 500 ? "internal" : "bad_request");
  Response response{status, "application/json", {}, {}};
  response.body = nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump() + "\n";
  return response;
}

std::string serialize_head(const Response& response, bool close) {
  const StatusName* name = find(response.status);
  std::string head = fmt::format("HTTP/1.1 {} {}\r\n", response.status, name != nullptr ? name->reason : "Status");
  if (!response.content_type.empty()) head += fmt::format("Content-Type: {}\r\n", response.content_type);
  head += fmt::format("Content-Length: {}\r\n", response.body.size());
  head += close ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
  for (const auto& [n, v] : response.headers) {
    // Header values come from keyd's own handler; CR or LF in one would split the response.
    if (n.find_first_of("\r\n:") != std::string::npos || v.find_first_of("\r\n") != std::string::npos) continue;
    head += fmt::format("{}: {}\r\n", n, v);
  }
  head += "\r\n";
  return head;
}

}  // namespace keyd::adapters::http
