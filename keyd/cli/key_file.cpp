#include "key_file.hpp"

#include "keyd/domain/swarm_key.hpp"
#include "output.hpp"
#include "runtime.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace keyd::cli {

namespace {

constexpr std::size_t k_max_key_file = 64 * 1024;

Result<Secret> read_stdin() {
  Secret data;
  std::array<std::uint8_t, 4096> buf{};
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(ErrorCode::io, fmt::format("reading stdin: {}", std::strerror(errno)));
    if (n == 0) break;
    const std::size_t old = data.size();
    if (old + static_cast<std::size_t>(n) > k_max_key_file) {
      secure_zero(buf.data(), buf.size());
      return fail(ErrorCode::invalid_input, "stdin: more than 64 KiB, not a swarm key file");
    }
    data.resize(old + static_cast<std::size_t>(n));
    std::memcpy(data.mutable_bytes().data() + old, buf.data(), static_cast<std::size_t>(n));
  }
  secure_zero(buf.data(), buf.size());
  return data;
}

}  // namespace

Result<Secret> read_key_input(const std::string& path) {
  auto read = path == "-" ? read_stdin() : local_files::read_small_regular(path, k_max_key_file);
  // A device, a FIFO or a huge file is the wrong argument, not a bad key: a usage error (exit 2).
  if (!read && read.error().code == ErrorCode::invalid_input) {
    return fail(ErrorCode::invalid_config, read.error().message);
  }
  return read;
}

Status write_key_output(const std::string& path, const Secret& key_text, bool force, bool replace_keys) {
  if (path == "-") {
    if (!write_stdout(key_text.reveal_text())) return fail(ErrorCode::io, "writing the key to stdout failed");
    return {};
  }
  std::error_code ec;
  if (!force && std::filesystem::exists(path, ec)) {
    bool holds_key = false;
    if (replace_keys) {
      auto existing = local_files::read_secret(path);
      holds_key = existing && domain::parse_swarm_key(*existing).has_value();
    }
    if (!holds_key) {
      return fail(ErrorCode::invalid_input, fmt::format("{} already exists{}; pass --force to replace it", path,
                                                        replace_keys ? " and does not hold a swarm key" : ""));
    }
  }
  return local_files::write_atomically(path, key_text.bytes(), 0600);
}

}  // namespace keyd::cli
