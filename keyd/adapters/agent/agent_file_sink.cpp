// The agent's file sink: inspect what the key file holds, replace it atomically with mode and owner.
#include "keyd/adapters/agent/agent_sink.hpp"

#include "../os/errno_text.hpp"
#include "keyd/domain/swarm_key.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <vector>

namespace keyd::adapters {

namespace {

using detail::errno_text;

constexpr off_t k_max_key_file = 64 * 1024;

std::unexpected<Error> path_error(std::string_view what, const std::filesystem::path& path, int err) {
  return fail(ErrorCode::io, fmt::format("{} {}: {}", what, path.string(), errno_text(err)));
}

class FileSink final : public ports::KeySink {
 public:
  FileSink(FileSinkOptions options, FileSystem& fs) : m_options(std::move(options)), m_fs(fs) {}

  [[nodiscard]] std::string describe() const override {
    std::string owner;
    if (m_options.uid || m_options.gid) {
      owner = fmt::format(", owner {}:{}", m_options.uid ? std::to_string(*m_options.uid) : "-",
                          m_options.gid ? std::to_string(*m_options.gid) : "-");
    }
    return fmt::format("file {} (mode {:04o}{})", m_options.path.string(), m_options.mode, owner);
  }

  [[nodiscard]] Result<ports::SinkState> inspect() const override {
    struct stat st {};
    if (::stat(m_options.path.c_str(), &st) != 0) {
      if (errno == ENOENT) return ports::SinkState{};
      return path_error("stat", m_options.path, errno);
    }
    if (!S_ISREG(st.st_mode)) {
      return fail(ErrorCode::invalid_input,
                  fmt::format("{} exists and is not a regular file", m_options.path.string()));
    }
    ports::SinkState state;
    state.exact = (st.st_mode & 07777) == m_options.mode && (!m_options.uid || st.st_uid == *m_options.uid) &&
                  (!m_options.gid || st.st_gid == *m_options.gid);
    if (st.st_size > k_max_key_file) return state;  // not a key file: replaced, no fingerprint
    auto content = read_secret_file(m_options.path);
    if (!content) {
      if (content.error().code == ErrorCode::not_found) return ports::SinkState{};  // removed meanwhile
      return fail(content.error());
    }
    if (auto parsed = domain::parse_swarm_key(*content)) {
      state.fingerprint = parsed->key.fingerprint().hex();
    } else {
      spdlog::debug("{}: not a valid swarm key ({})", describe(), parsed.error().message);
    }
    return state;
  }

  [[nodiscard]] Status write(const ports::Delivery& delivery) override {
    const auto context = fmt::format("write {}", m_options.path.string());
    const std::filesystem::path dir =
        m_options.path.has_parent_path() ? m_options.path.parent_path() : std::filesystem::path(".");
    if (auto st = make_directories(dir); !st) return fail(st.error().with_context(context));
    const KeyFileOptions options{m_options.mode, m_options.uid, m_options.gid};
    return replace_key_file(m_options.path, delivery.key_text.bytes(), options, m_fs);
  }

 private:
  // mkdir -p; the directories created here get mode 0700 and the sink's owner.
  [[nodiscard]] Status make_directories(const std::filesystem::path& dir) const {
    std::vector<std::filesystem::path> missing;
    for (std::filesystem::path p = dir; !p.empty(); p = p.parent_path()) {
      struct stat st {};
      if (::stat(p.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) return fail(ErrorCode::io, fmt::format("{} is not a directory", p.string()));
        break;
      }
      if (errno != ENOENT) return path_error("stat", p, errno);
      missing.push_back(p);
      if (p == p.parent_path()) break;
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) return path_error("create directory", *it, errno);
      if ((m_options.uid || m_options.gid) &&
          ::chown(it->c_str(), m_options.uid ? *m_options.uid : static_cast<uid_t>(-1),
                  m_options.gid ? *m_options.gid : static_cast<gid_t>(-1)) != 0) {
        return path_error("chown directory", *it, errno);
      }
    }
    return {};
  }

  FileSinkOptions m_options;
  FileSystem& m_fs;
};

}  // namespace

std::unique_ptr<ports::KeySink> make_file_sink(FileSinkOptions options, FileSystem& fs) {
  return std::make_unique<FileSink>(std::move(options), fs);
}

}  // namespace keyd::adapters
