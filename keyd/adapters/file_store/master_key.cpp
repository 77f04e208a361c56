#include "master_key.hpp"

#include "record_crypto.hpp"

#include <sys/stat.h>

#include <openssl/rand.h>

#include <cerrno>
#include <system_error>

#include <fmt/format.h>

namespace keyd::adapters::detail {

Result<Secret> load_master_key(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    const int err = errno;
    return fail(err == ENOENT ? ErrorCode::not_found : ErrorCode::io,
                fmt::format("master key file {}: {}", file.string(), std::system_category().message(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(ErrorCode::invalid_config, fmt::format("master key file {} is not a regular file", file.string()));
  }
  if ((st.st_mode & 077) != 0) {
    return fail(ErrorCode::invalid_config,
                fmt::format("master key file {} has mode {:04o}; it must not be accessible by group or others "
                            "(chmod 600 {})",
                            file.string(), st.st_mode & 07777, file.string()));
  }
  auto key = read_secret_file(file);
  if (!key) return fail(std::move(key).error().with_context("master key"));
  if (key->size() != k_master_key_size) {
    return fail(ErrorCode::invalid_config, fmt::format("master key file {} holds {} bytes, expected {}", file.string(),
                                                       key->size(), k_master_key_size));
  }
  return key;
}

Result<Secret> load_or_create_master_key(const std::filesystem::path& file, FileSystem& fs) {
  if (auto key = load_master_key(file); key || key.error().code != ErrorCode::not_found) return key;

  if (file.has_parent_path()) KEYD_TRY(ensure_directory(file.parent_path(), 0700));
  std::filesystem::path lock_file = file;
  lock_file += ".lock";
  KEYD_ASSIGN_OR_RETURN(const FileLock lock, FileLock::acquire(lock_file));
  // Another process may have created it while we waited for the lock.
  if (auto key = load_master_key(file); key || key.error().code != ErrorCode::not_found) return key;

  Secret key;
  key.resize(k_master_key_size);
  if (RAND_bytes(key.mutable_bytes().data(), static_cast<int>(key.size())) != 1) {
    return fail(ErrorCode::internal, "RAND_bytes failed while creating the master key");
  }
  if (auto written = atomic_write_file(file, key.bytes(), 0600, fs); !written) {
    return fail(std::move(written).error().with_context("create master key"));
  }
  return key;
}

}  // namespace keyd::adapters::detail
