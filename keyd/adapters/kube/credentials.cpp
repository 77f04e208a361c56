// Static and file-based Kubernetes credentials, and the text helpers of the kube loaders.
#include "kube_internal.hpp"

#include "keyd/adapters/os/fs.hpp"

#include <array>
#include <cstdint>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters::kube {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

namespace {

class NoCredentials final : public KubeCredentialSource {
 public:
  [[nodiscard]] Result<KubeCredentials> get(bool /*refresh*/) override { return KubeCredentials{}; }
};

class StaticTokenSource final : public KubeCredentialSource {
 public:
  explicit StaticTokenSource(Secret token) : m_token(std::move(token)) {}
  [[nodiscard]] Result<KubeCredentials> get(bool /*refresh*/) override {
    KubeCredentials credentials;
    credentials.bearer_token = m_token.clone();
    return credentials;
  }

 private:
  const Secret m_token;
};

// The file's content, trimmed. The error names `what` and the path, never the content.
Result<Secret> read_token_file(const std::filesystem::path& path, std::string_view what, ErrorCode code) {
  auto content = read_secret_file(path);
  if (!content) return fail(code, fmt::format("{}: {}", what, content.error().message));
  const auto token = trim(content->reveal_text());
  if (token.empty()) return fail(code, fmt::format("{} {}: the file is empty", what, path.string()));
  return Secret::from_text(token);
}

class TokenFileSource final : public KubeCredentialSource {
 public:
  TokenFileSource(std::filesystem::path path, std::string what, const ports::Clock& clock, Secret token)
      : m_path(std::move(path)), m_what(std::move(what)), m_clock(clock), m_token(std::move(token)),
        m_read_at(clock.now()) {}

  [[nodiscard]] Result<KubeCredentials> get(bool refresh) override {
    const std::scoped_lock lock(m_mutex);
    const auto now = m_clock.now();
    if (refresh || now - m_read_at >= k_token_file_reread || now < m_read_at) {
      auto token = read_token_file(m_path, m_what, ErrorCode::unauthorized);
      m_read_at = now;
      if (token) {
        m_token = std::move(*token);
      } else if (refresh) {
        return fail(std::move(token).error());
      } else {
        // Mid-rotation the file can be briefly missing: keep the token read before.
        spdlog::warn("kube: {}; using the token read before", token.error().message);
      }
    }
    KubeCredentials credentials;
    credentials.bearer_token = m_token.clone();
    credentials.expires = m_read_at + k_token_file_reread;  // ask again then: the file may have rotated
    return credentials;
  }

 private:
  const std::filesystem::path m_path;
  const std::string m_what;
  const ports::Clock& m_clock;
  std::mutex m_mutex;
  Secret m_token;
  std::chrono::system_clock::time_point m_read_at;
};

}  // namespace

std::shared_ptr<KubeCredentialSource> make_no_credentials() { return std::make_shared<NoCredentials>(); }

std::shared_ptr<KubeCredentialSource> make_static_token_source(Secret token) {
  return std::make_shared<StaticTokenSource>(std::move(token));
}

Result<std::shared_ptr<KubeCredentialSource>> make_token_file_source(std::filesystem::path path, std::string what,
                                                                     const ports::Clock& clock) {
  KEYD_ASSIGN_OR_RETURN(auto token, read_token_file(path, what, ErrorCode::invalid_config));
  return std::make_shared<TokenFileSource>(std::move(path), std::move(what), clock, std::move(token));
}

}  // namespace keyd::adapters::kube
