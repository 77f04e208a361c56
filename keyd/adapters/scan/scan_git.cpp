// The git scan sources: every commit's added lines, the staged changes, the repository's top level.
#include "scan_git_internal.hpp"

#include <fmt/format.h>

namespace keyd::adapters {

namespace {

// Options that make git's patch output the same whatever the user's configuration says: no colour,
// no external diff or textconv driver, binary files as text, fixed a/ b/ prefixes, renames detected
// (a renamed file's key is not "added" again), two context lines so that a key file whose key line
// alone changed is still seen whole.
const std::vector<std::string>& patch_options() {
  static const std::vector<std::string> options{"--no-color",      "--no-ext-diff",   "--no-textconv",
                                                "--text",          "--unified=2",     "--find-renames",
                                                "--src-prefix=a/", "--dst-prefix=b/", "--ignore-submodules"};
  return options;
}

Result<ScanResult> scan_patch(const std::filesystem::path& repo, std::vector<std::string> args,
                              std::chrono::milliseconds timeout) {
  detail::PatchScanner scanner;
  KEYD_TRY(detail::run_git(repo, args, timeout, [&](std::string_view chunk) { scanner.feed(chunk); }));
  scanner.finish();
  return scanner.take_result();
}

}  // namespace

Result<ScanResult> scan_git_history(const std::filesystem::path& repo, std::chrono::milliseconds timeout) {
  std::vector<std::string> args{"-c",
                                "log.showSignature=false",
                                "log",
                                "--all",
                                "--date-order",
                                "--reverse",
                                "-p",
                                "--diff-merges=first-parent",
                                fmt::format("--format=tformat:{}%H %h", detail::PatchScanner::k_commit_marker)};
  args.insert(args.end(), patch_options().begin(), patch_options().end());
  return scan_patch(repo, std::move(args), timeout);
}

Result<ScanResult> scan_git_staged(const std::filesystem::path& repo, std::chrono::milliseconds timeout) {
  std::vector<std::string> args{"diff", "--cached"};
  args.insert(args.end(), patch_options().begin(), patch_options().end());
  return scan_patch(repo, std::move(args), timeout);
}

Result<std::filesystem::path> git_toplevel(const std::filesystem::path& path, std::chrono::milliseconds timeout) {
  const auto ask = [&](std::string_view option) -> Result<std::string> {
    std::string out;
    KEYD_TRY(detail::run_git(path, {"rev-parse", std::string(option)}, timeout,
                                  [&](std::string_view chunk) { out.append(chunk); }));
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  };
  KEYD_ASSIGN_OR_RETURN(const std::string bare, ask("--is-bare-repository"));
  if (bare == "true") return path;  // a bare repository (a mirror) is its own root
  KEYD_ASSIGN_OR_RETURN(const std::string top, ask("--show-toplevel"));
  if (top.empty())
    return fail(ErrorCode::io, fmt::format("git rev-parse in {}: no top-level directory", path.string()));
  return std::filesystem::path(top);
}

}  // namespace keyd::adapters
