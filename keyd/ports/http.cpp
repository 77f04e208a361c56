#include "keyd/ports/http.hpp"

#include <algorithm>
#include <cctype>

namespace keyd::ports {

std::optional<std::string_view> HttpResponse::header(std::string_view name) const {
  const auto same = [name](const HttpHeader& h) {
    return std::ranges::equal(h.name, name, [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
  };
  const auto it = std::ranges::find_if(headers, same);
  if (it == headers.end()) return std::nullopt;
  return std::string_view(it->value);
}

}  // namespace keyd::ports
