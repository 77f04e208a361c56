// keyd's temporary file names (see temp_name.hpp).
#include "temp_name.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <string>

#include <fmt/format.h>

namespace keyd::adapters::detail {
namespace {

constexpr std::string_view k_marker = ".tmp-";
constexpr std::size_t k_random_bytes = 6;

bool is_lower_hex(std::string_view s) {
  return std::ranges::all_of(s, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

Result<std::filesystem::path> temp_path_for(const std::filesystem::path& target) {
  // The kernel's generator directly: a name needs no key-grade generator, and OpenSSL's would be
  // instantiated (cipher fetches, seeding) by every command that writes a file, for six bytes.
  std::array<unsigned char, k_random_bytes> bytes{};
  if (::getrandom(bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) {
    return fail(ErrorCode::internal, "getrandom failed while naming a temporary file");
  }
  std::string suffix;
  for (const unsigned char b : bytes) suffix += fmt::format("{:02x}", b);
  std::filesystem::path temp = target;
  temp += fmt::format("{}{}-{}", k_marker, ::getpid(), suffix);
  return temp;
}

std::optional<pid_t> temp_name_writer(std::string_view file_name, std::string_view target_name) {
  if (target_name.empty() || !file_name.starts_with(target_name)) return std::nullopt;
  std::string_view rest = file_name.substr(target_name.size());
  if (!rest.starts_with(k_marker)) return std::nullopt;
  rest.remove_prefix(k_marker.size());
  const std::size_t dash = rest.find('-');
  if (dash == std::string_view::npos || dash == 0 || rest.substr(0, 1) == "0") return std::nullopt;
  const std::string_view random = rest.substr(dash + 1);
  if (random.size() != 2 * k_random_bytes || !is_lower_hex(random)) return std::nullopt;
  pid_t pid = 0;
  const auto digits = rest.substr(0, dash);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (ec != std::errc{} || end != digits.data() + digits.size() || pid <= 0) return std::nullopt;
  return pid;
}

}  // namespace keyd::adapters::detail
