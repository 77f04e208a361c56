#include "yaml_text.hpp"

#include "keyd/domain/store_path.hpp"

#include <yaml-cpp/depthguard.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace keyd::config::yaml_text {
namespace {

// yaml-cpp's marks are 0-based; Problems adds one.
YAML::Mark mark_at(std::string_view text, std::size_t offset) {
  YAML::Mark mark;
  const std::string_view before = text.substr(0, offset);
  mark.pos = static_cast<int>(offset);
  mark.line = static_cast<int>(std::ranges::count(before, '\n'));
  const std::size_t line_start = before.rfind('\n');
  mark.column = static_cast<int>(line_start == std::string_view::npos ? offset : offset - line_start - 1);
  return mark;
}

}  // namespace

Result<std::string> read_file(const std::filesystem::path& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return fail(ErrorCode::invalid_config, fmt::format("{} {}: not found", what, path.string()));
    }
    return fail(ErrorCode::invalid_config, fmt::format("{} {}: {}", what, path.string(), std::strerror(err)));
  }
  std::string text;
  std::array<char, 16384> chunk{};
  while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > k_max_bytes) {
      return fail(ErrorCode::invalid_config,
                  fmt::format("{} {}: larger than {} KiB, which no keyd {} needs; is this the right file?", what,
                              path.string(), k_max_bytes / 1024, what));
    }
  }
  if (in.bad()) return fail(ErrorCode::invalid_config, fmt::format("{} {}: read error", what, path.string()));
  return text;
}

bool load_documents(std::string_view text, schema::Problems& problems, std::vector<YAML::Node>& documents) {
  if (text.size() > k_max_bytes) {
    problems.add(YAML::Mark::null_mark(), fmt::format("{} bytes: larger than {} KiB, which no keyd file needs",
                                                      text.size(), k_max_bytes / 1024));
    return false;
  }
  if (const std::size_t bad = domain::first_invalid_utf8(text); bad != std::string_view::npos) {
    problems.add(mark_at(text, bad),
                 fmt::format("byte 0x{:02x} is not UTF-8 (keyd reads its files as UTF-8; re-save the file as UTF-8)",
                             static_cast<unsigned char>(text[bad])));
    return false;
  }
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::DeepRecursion& e) {
    problems.add(e.mark, fmt::format("nested more than {} levels deep; keyd files are a few levels deep", e.depth()));
    return false;
  } catch (const YAML::Exception& e) {
    problems.add(e.mark, e.msg);
    return false;
  }
  return true;
}

}  // namespace keyd::config::yaml_text
