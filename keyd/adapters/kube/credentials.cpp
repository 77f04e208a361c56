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

std::optional<Secret> decode_base64(std::string_view text) {
  constexpr std::string_view k_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  Secret out;
  out.resize(text.size() / 4 * 3 + 3);
  std::size_t used = 0;
  std::uint32_t bits = 0;
  int pending = 0;  // sextets in `bits`
  bool padded = false;
  for (const char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '=') {
      padded = true;
      continue;
    }
    const auto value = k_alphabet.find(c);
    if (value == std::string_view::npos || padded) return std::nullopt;  // no data after padding
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    if (++pending == 4) {
      for (const int shift : {16, 8, 0}) out.mutable_bytes()[used++] = static_cast<std::uint8_t>(bits >> shift);
      bits = 0;
      pending = 0;
    }
  }
  if (pending == 1) return std::nullopt;
  if (pending == 2) out.mutable_bytes()[used++] = static_cast<std::uint8_t>(bits >> 4);
  if (pending == 3) {
    out.mutable_bytes()[used++] = static_cast<std::uint8_t>(bits >> 10);
    out.mutable_bytes()[used++] = static_cast<std::uint8_t>(bits >> 2);
  }
  bits = 0;
  out.resize(used);
  return out;
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  std::size_t at = 0;
  const auto number = [&](std::size_t digits) -> std::optional<int> {
    if (at + digits > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = 0; i < digits; ++i) {
      const char c = text[at + i];
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    at += digits;
    return value;
  };
  const auto expect = [&](std::string_view chars) {
    if (at >= text.size() || chars.find(text[at]) == std::string_view::npos) return false;
    ++at;
    return true;
  };
  const auto year = number(4);
  if (!year || !expect("-")) return std::nullopt;
  const auto month = number(2);
  if (!month || !expect("-")) return std::nullopt;
  const auto day = number(2);
  if (!day || !expect("Tt ")) return std::nullopt;
  const auto hour = number(2);
  if (!hour || !expect(":")) return std::nullopt;
  const auto minute = number(2);
  if (!minute || !expect(":")) return std::nullopt;
  const auto second = number(2);
  if (!second || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  std::chrono::nanoseconds fraction{0};
  if (at < text.size() && text[at] == '.') {
    ++at;
    std::int64_t scale = 100'000'000;
    const std::size_t start = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      fraction += std::chrono::nanoseconds{(text[at] - '0') * scale};
      scale /= 10;
      ++at;
    }
    if (at == start) return std::nullopt;
  }
  std::chrono::minutes offset{0};
  if (expect("Zz")) {
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    const int sign = text[at++] == '-' ? -1 : 1;
    const auto off_hours = number(2);
    if (!off_hours || !expect(":")) return std::nullopt;
    const auto off_minutes = number(2);
    if (!off_minutes) return std::nullopt;
    offset = std::chrono::minutes{sign * (*off_hours * 60 + *off_minutes)};
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*year}, std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  const auto local = std::chrono::sys_days{date} + std::chrono::hours{*hour} + std::chrono::minutes{*minute} +
                     std::chrono::seconds{*second};
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(local - offset + fraction);
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
