// The first line of an MCP server's text for an error message; see mcp_text.hpp.
#include "mcp_text.hpp"

#include <algorithm>

namespace keyd::adapters::mcp {

std::string first_line_for_message(std::string_view text) {
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (!line.empty()) {
      if (line.starts_with("Error: ")) line.remove_prefix(7);
      return redact_for_message(line);
    }
    start = end + 1;
  }
  return {};
}

}  // namespace keyd::adapters::mcp
