#include "yaml_text.hpp"

#include "keyd/domain/store_path.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

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

namespace {

// Sees only where each document starts. yaml-cpp 0.7's LoadAll never returns on some inputs (a lone
// ',' at the top level: the parser reports an empty document without consuming the token, forever,
// and memory grows without bound), so the documents are walked here first, bounded: a document that
// starts where the previous one did is an error at that mark, and so are more than k_max_documents.
class DocumentStarts final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

constexpr std::size_t k_max_documents = 64;

// Walks the documents of `text` without building them; false (with a problem) when the parser
// stops advancing or there are more documents than any keyd file has. yaml-cpp's own errors throw.
bool documents_terminate(const std::string& text, schema::Problems& problems) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentStarts events;
  while (parser.HandleNextDocument(events)) {
    const auto& starts = events.starts;
    if (starts.size() >= 2 && starts[starts.size() - 1].pos == starts[starts.size() - 2].pos) {
      problems.add(starts.back(), "unexpected token outside any collection (is a ',' or ']' misplaced?)");
      return false;
    }
    if (starts.size() > k_max_documents) {
      problems.add(starts.back(), fmt::format("more than {} YAML documents; keyd files hold one", k_max_documents));
      return false;
    }
  }
  return true;
}

}  // namespace

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
    const std::string owned(text);
    if (!documents_terminate(owned, problems)) return false;
    documents = YAML::LoadAll(owned);
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
