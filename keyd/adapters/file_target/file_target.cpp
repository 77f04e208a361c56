#include "keyd/adapters/file_target/file_target.hpp"

#include "keyd/domain/swarm_key.hpp"

#include <sys/stat.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters {

namespace {

class FileTarget final : public ports::Target {
 public:
  FileTarget(std::filesystem::path path, FileSystem& fs) : m_path(std::move(path)), m_fs(fs) {}

  [[nodiscard]] std::string describe() const override { return "file " + m_path.string(); }
  [[nodiscard]] ports::TargetIdentity identity() const override { return {"file", "", m_path.string()}; }

  [[nodiscard]] Result<ports::ApplyOutcome> apply(const ports::Delivery& delivery) override {
    if (already_current(delivery.fingerprint)) return ports::ApplyOutcome::unchanged;
    if (auto st = replace_key_file(m_path, delivery.key_text.bytes(), KeyFileOptions{}, m_fs); !st) {
      return fail(st.error().with_context(describe()));
    }
    return ports::ApplyOutcome::changed;
  }

 private:
  // True when the file holds a key with this fingerprint and is private (0600).
  [[nodiscard]] bool already_current(std::string_view fingerprint) const {
    struct stat st {};
    if (::stat(m_path.c_str(), &st) != 0 || (st.st_mode & 07777) != 0600) return false;
    auto existing = read_secret_file(m_path);
    if (!existing) return false;
    auto parsed = domain::parse_swarm_key(*existing);
    if (!parsed) {
      spdlog::debug("{}: existing content is not a valid swarm key ({}); rewriting", describe(),
                    parsed.error().message);
      return false;
    }
    return parsed->key.fingerprint().hex() == fingerprint;
  }

  std::filesystem::path m_path;
  FileSystem& m_fs;
};

}  // namespace

std::unique_ptr<ports::Target> make_file_target(std::filesystem::path path, FileSystem& fs) {
  return std::make_unique<FileTarget>(std::move(path), fs);
}

}  // namespace keyd::adapters
