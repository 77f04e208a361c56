#include "keyd/adapters/backend/store_backend.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

namespace keyd::adapters {
namespace {

constexpr std::size_t k_max_credential_size = 64 * 1024;

bool is_space(std::uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// The bytes without surrounding whitespace, as a new Secret (the old one wipes itself).
Secret trimmed(const Secret& raw) {
  auto bytes = raw.bytes();
  while (!bytes.empty() && is_space(bytes.front())) bytes = bytes.subspan(1);
  while (!bytes.empty() && is_space(bytes.back())) bytes = bytes.first(bytes.size() - 1);
  return Secret(bytes);
}

// A credential goes into an HTTP header or a JSON string: visible ASCII only, so a stray line
// break or control character fails here, clearly, instead of as a confusing 400 or a header
// injection.
bool printable(const Secret& value) {
  for (const std::uint8_t c : value.bytes()) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

EnvLookup process_env_lookup() {
  return [](std::string_view name) -> std::optional<std::string_view> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string_view(value);
  };
}

Result<Secret> checked_credential(Secret raw, std::string_view what) {
  Secret value = trimmed(raw);
  if (value.empty()) return fail(ErrorCode::invalid_config, std::string(what) + " is empty");
  if (!printable(value)) {
    return fail(ErrorCode::invalid_config,
                std::string(what) +
                    " must hold one value of printable ASCII characters (found spaces, line breaks "
                    "or control characters inside it)");
  }
  return value;
}

Result<Secret> read_credential_file(const std::filesystem::path& path, std::string_view what) {
  const std::string named = std::string(what) + " " + path.string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return fail(ErrorCode::invalid_config,
                named + ": " + (err == ENOENT ? std::string("not found") : std::strerror(err)));
  }
  Secret raw;
  raw.resize(k_max_credential_size + 1);
  std::size_t used = 0;
  int err = 0;
  while (used < raw.size()) {
    const ssize_t n = ::read(fd, raw.mutable_bytes().data() + used, raw.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    if (n <= 0) break;
    used += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (err != 0) return fail(ErrorCode::invalid_config, named + ": " + std::strerror(err));
  if (used > k_max_credential_size) return fail(ErrorCode::invalid_config, named + ": larger than 64 KiB");
  raw.resize(used);
  return checked_credential(std::move(raw), named);
}

}  // namespace keyd::adapters
