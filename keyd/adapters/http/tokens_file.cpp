// Bearer tokens for the daemon API: a file of SHA-256 hashes, so the file itself grants nothing.
#include "keyd/adapters/http/http_server.hpp"

#include "keyd/common/digest.hpp"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <array>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace keyd::adapters {

namespace {

using Digest = Sha256;

std::optional<Digest> parse_hex_digest(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  Digest out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    int value = 0;
    for (char c : hex.substr(2 * i, 2)) {
      int nibble = -1;
      if (c >= '0' && c <= '9') nibble = c - '0';
      if (c >= 'a' && c <= 'f') nibble = c - 'a' + 10;
      if (c >= 'A' && c <= 'F') nibble = c - 'A' + 10;
      if (nibble < 0) return std::nullopt;
      value = value * 16 + nibble;
    }
    out[i] = static_cast<unsigned char>(value);
  }
  return out;
}

class TokensFile final : public ports::Authenticator {
 public:
  struct Entry {
    Digest digest;
    std::string name;
  };
  explicit TokensFile(std::vector<Entry> entries) : m_entries(std::move(entries)) {}

  [[nodiscard]] Result<std::optional<ports::Caller>> authenticate(std::string_view token) override {
    const auto digest = sha256(token);
    if (!digest) return fail(ErrorCode::internal, "SHA-256 of a bearer token failed");
    // Every entry is compared, in constant time, whatever matched before.
    const Entry* match = nullptr;
    for (const Entry& e : m_entries) {
      if (CRYPTO_memcmp(digest->data(), e.digest.data(), digest->size()) == 0) match = &e;
    }
    if (match == nullptr) return std::optional<ports::Caller>{};
    return std::optional<ports::Caller>{ports::Caller{"token:" + match->name, true}};
  }

 private:
  std::vector<Entry> m_entries;
};

}  // namespace

Result<std::shared_ptr<ports::Authenticator>> make_tokens_file_authenticator(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return fail(ErrorCode::invalid_config, fmt::format("tokens file {}: cannot be read", path));
  }
  if ((st.st_mode & 0007) != 0) {
    return fail(
        ErrorCode::invalid_config,
        fmt::format("tokens file {}: readable by everyone (mode {:o}); chmod o-rwx it", path, st.st_mode & 0777));
  }
  std::ifstream in(path);
  if (!in) return fail(ErrorCode::invalid_config, fmt::format("tokens file {}: cannot be read", path));
  std::vector<TokensFile::Entry> entries;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::istringstream words(line);
    std::string hash;
    std::string name;
    words >> hash;
    if (hash.empty() || hash.front() == '#') continue;
    std::getline(words >> std::ws, name);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t' || name.back() == '\r')) name.pop_back();
    const auto digest = parse_hex_digest(hash);
    if (!digest || name.empty()) {
      return fail(ErrorCode::invalid_config,
                  fmt::format("tokens file {}:{}: expected \"<sha256 hex of the token> <caller name>\"", path, number));
    }
    entries.push_back({*digest, std::move(name)});
  }
  return std::shared_ptr<ports::Authenticator>(std::make_shared<TokensFile>(std::move(entries)));
}

}  // namespace keyd::adapters
