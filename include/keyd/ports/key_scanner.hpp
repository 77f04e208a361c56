// KeyScanner: where `keyd scan` looks for swarm keys — files on disk, every commit of a git
// repository, what is staged for the next commit. Each source hands its text to
// domain::scan_for_keys and reports path, line and fingerprint (and the commit) — never the key or
// the text around it. The implementation is keyd/adapters/scan; the CLI gets one from its runtime.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/domain/scan.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace keyd::ports {

struct ScanHit {
  std::string path;  // as walked from the given path, or relative to the repository's top level
  domain::KeyFinding finding;
  std::string commit;        // git history: the full id of the first commit that added this key here
  std::string short_commit;  // the same, abbreviated as git abbreviates it
};

struct ScanResult {
  std::vector<ScanHit> hits;
  std::vector<std::string> skipped;  // notices: what was not scanned and why (names paths only)
  std::vector<Error> errors;         // what could not be read; the scan went on without it
  std::size_t files = 0;             // files (or file diffs) scanned
  std::uint64_t bytes = 0;           // bytes handed to the scanner
  std::size_t commits = 0;           // git history: commits read
};

class KeyScanner {
 public:
  virtual ~KeyScanner() = default;
  // Regular files under each path, recursively, in name order (see adapters::scan_files).
  [[nodiscard]] virtual ScanResult scan_files(const std::vector<std::filesystem::path>& paths) = 0;
  // Every commit reachable from any ref, a key reported once per path in the commit that first added it.
  [[nodiscard]] virtual Result<ScanResult> scan_git_history(const std::filesystem::path& repo,
                                                            std::chrono::milliseconds timeout) = 0;
  // What is staged in the index: the lines a commit made now would add.
  [[nodiscard]] virtual Result<ScanResult> scan_git_staged(const std::filesystem::path& repo,
                                                           std::chrono::milliseconds timeout) = 0;
  // The top-level directory of the repository `path` is in; a bare repository is its own root.
  [[nodiscard]] virtual Result<std::filesystem::path> git_toplevel(const std::filesystem::path& path,
                                                                   std::chrono::milliseconds timeout) = 0;
};

}  // namespace keyd::ports
