// Leadership without Kubernetes: whoever holds the flock on the lock file leads.
#include "keyd/adapters/os/fs.hpp"
#include "keyd/adapters/election/leader_election.hpp"

#include <unistd.h>

#include <array>
#include <fstream>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters {

std::string default_leader_identity() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) host = {'k', 'e', 'y', 'd'};
  return fmt::format("{}_{}", host.data(), ::getpid());
}

namespace {

class FileLockElector final : public ports::LeaderElector {
 public:
  FileLockElector(std::filesystem::path path, std::string identity)
      : m_path(std::move(path)), m_identity(std::move(identity)) {}

  [[nodiscard]] std::string describe() const override { return "lock file " + m_path.string(); }
  [[nodiscard]] const std::string& identity() const override { return m_identity; }

  [[nodiscard]] ports::LeadershipStatus step() override {
    if (m_lock) return {true, true, m_identity, {}};
    std::error_code ec;
    if (m_path.has_parent_path()) std::filesystem::create_directories(m_path.parent_path(), ec);
    auto lock = FileLock::acquire(m_path, std::chrono::milliseconds{0});
    if (!lock) {
      if (lock.error().code == ErrorCode::timeout) return {false, true, read_holder(), {}};  // another process holds it
      return {false, false, {}, lock.error().message};
    }
    m_lock.emplace(std::move(*lock));
    // Advisory: the content only names the holder for followers and people.
    std::ofstream(m_path, std::ios::trunc) << m_identity << '\n';
    spdlog::info("leader election: {} leads ({})", m_identity, describe());
    return {true, true, m_identity, {}};
  }

  Status release() override {
    if (!m_lock) return {};
    std::ofstream(m_path, std::ios::trunc).flush();
    m_lock.reset();
    spdlog::info("leader election: {} released {}", m_identity, describe());
    return {};
  }

 private:
  [[nodiscard]] std::string read_holder() const {
    std::ifstream in(m_path);
    std::string holder;
    std::getline(in, holder);
    return holder;
  }

  std::filesystem::path m_path;
  std::string m_identity;
  std::optional<FileLock> m_lock;
};

}  // namespace

std::unique_ptr<ports::LeaderElector> make_file_lock_elector(std::filesystem::path lock_file, std::string identity) {
  if (identity.empty()) identity = default_leader_identity();
  return std::make_unique<FileLockElector>(std::move(lock_file), std::move(identity));
}

}  // namespace keyd::adapters
