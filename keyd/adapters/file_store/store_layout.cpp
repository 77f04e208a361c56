#include "store_layout.hpp"

#include "keyd/domain/store_path.hpp"

#include <algorithm>
#include <charconv>
#include <system_error>

#include <fmt/format.h>

namespace keyd::adapters::detail {

Status validate_store_path(std::string_view path) {
  if (const std::string problem = domain::store_path_problem(path); !problem.empty()) {
    return fail(ErrorCode::invalid_input, fmt::format("invalid store path: {}", problem));
  }
  return {};
}

std::optional<int> record_version_from_name(std::string_view file_name) {
  constexpr std::string_view prefix = "_v";
  constexpr std::string_view suffix = ".rec";
  if (file_name.size() <= prefix.size() + suffix.size() || !file_name.starts_with(prefix) ||
      !file_name.ends_with(suffix)) {
    return std::nullopt;
  }
  const std::string_view digits = file_name.substr(prefix.size(), file_name.size() - prefix.size() - suffix.size());
  int version = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
  if (ec != std::errc{} || end != digits.data() + digits.size() || version <= 0) return std::nullopt;
  return version;
}

std::vector<int> record_versions_in(const std::filesystem::path& dir) {
  std::vector<int> versions;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (const auto version = record_version_from_name(it->path().filename().string())) versions.push_back(*version);
  }
  std::ranges::sort(versions);
  return versions;
}

bool is_store_temp_file(std::string_view file_name) {
  return file_name.starts_with('_') && file_name.find(".tmp-") != std::string_view::npos;
}

}  // namespace keyd::adapters::detail
