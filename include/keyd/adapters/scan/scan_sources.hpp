// Where `keyd scan` looks for swarm keys (ports::KeyScanner): files on disk, every commit of a git
// repository, and what is staged for the next commit. Each source hands its text to
// domain::scan_for_keys and reports path, line and fingerprint (and the commit) — never the key or
// the text around it.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/domain/scan.hpp"
#include "keyd/ports/key_scanner.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace keyd::adapters {

// The sources report in the port's types.
using ports::ScanHit;
using ports::ScanResult;

inline constexpr std::uint64_t k_max_scan_file_size = std::uint64_t{64} << 20;

// Regular files under each path, recursively, in name order. `.git` (directory or file) is skipped;
// symbolic links met while walking are not followed (a path given here is); files larger than
// `max_file_size` are skipped with a notice; unreadable files and directories become errors.
[[nodiscard]] ScanResult scan_files(const std::vector<std::filesystem::path>& paths,
                                    std::uint64_t max_file_size = k_max_scan_file_size);

// Every commit reachable from any ref (`git log --all`, merges diffed against their first parent),
// oldest first. A key is reported once per path, in the commit that first added it — also when a
// later commit deleted it. Runs the git CLI as a child process, killed after `timeout`.
[[nodiscard]] Result<ScanResult> scan_git_history(const std::filesystem::path& repo, std::chrono::milliseconds timeout);

// What is staged in the index (`git diff --cached`): the lines a commit made now would add.
[[nodiscard]] Result<ScanResult> scan_git_staged(const std::filesystem::path& repo, std::chrono::milliseconds timeout);

// The top-level directory of the repository `path` is in; a bare repository is its own root.
[[nodiscard]] Result<std::filesystem::path> git_toplevel(const std::filesystem::path& path,
                                                         std::chrono::milliseconds timeout);

// The functions above as a ports::KeyScanner (files larger than k_max_scan_file_size skipped).
[[nodiscard]] std::unique_ptr<ports::KeyScanner> make_key_scanner();

}  // namespace keyd::adapters
