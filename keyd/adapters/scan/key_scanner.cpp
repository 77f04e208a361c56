// The scan sources behind ports::KeyScanner, for `keyd scan`.
#include "keyd/adapters/scan/scan_sources.hpp"

namespace keyd::adapters {

namespace {

class SourceScanner final : public ports::KeyScanner {
 public:
  ScanResult scan_files(const std::vector<std::filesystem::path>& paths) override {
    return adapters::scan_files(paths);
  }
  Result<ScanResult> scan_git_history(const std::filesystem::path& repo, std::chrono::milliseconds timeout) override {
    return adapters::scan_git_history(repo, timeout);
  }
  Result<ScanResult> scan_git_staged(const std::filesystem::path& repo, std::chrono::milliseconds timeout) override {
    return adapters::scan_git_staged(repo, timeout);
  }
  Result<std::filesystem::path> git_toplevel(const std::filesystem::path& path,
                                             std::chrono::milliseconds timeout) override {
    return adapters::git_toplevel(path, timeout);
  }
};

}  // namespace

std::unique_ptr<ports::KeyScanner> make_key_scanner() { return std::make_unique<SourceScanner>(); }

}  // namespace keyd::adapters
