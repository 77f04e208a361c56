// Helpers shared by the file store tests: distinct, recognisable version data per seed, and a
// fixture with a store in a temporary directory.
#pragma once

#include "keyd/adapters/file_store/file_store.hpp"

#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace keyd::testing {

// 64 hex digits derived from the seed (not random: tests look for them in files).
inline std::string key_hex(int seed) {
  std::string hex;
  const auto s = static_cast<std::uint32_t>(seed);
  for (std::uint32_t i = 0; i < 8; ++i) hex += fmt::format("{:08x}", s * 2654435761U + i * 40503U + 0x9e3779b9U);
  return hex;
}

inline std::string key_text(int seed) { return "/key/swarm/psk/1.0.0/\n/base16/\n" + key_hex(seed) + "\n"; }

inline ports::VersionData version_data(int seed, std::string issued_by = "tester") {
  ports::VersionData data;
  data.key_text = Secret::from_text(key_text(seed));
  data.fingerprint = key_hex(seed).substr(0, 32);
  data.issued_by = std::move(issued_by);
  data.reason = seed == 1 ? "initial" : "rotate";
  return data;
}

inline void expect_data_is(const ports::VersionData& got, int seed, const std::string& issued_by = "tester") {
  EXPECT_EQ(got.key_text.reveal_text(), key_text(seed));
  EXPECT_EQ(got.fingerprint, key_hex(seed).substr(0, 32));
  EXPECT_EQ(got.issued_by, issued_by);
  EXPECT_EQ(got.reason, seed == 1 ? "initial" : "rotate");
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

inline constexpr std::string_view k_path = "ipfs-overlay/swarm-key";

inline mode_t file_mode(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

class FileStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<ports::SecretStore> open_store(int max_versions = 10, std::filesystem::path master_key = {}) {
    auto store = adapters::make_file_store(
        {.dir = store_dir(), .master_key_file = std::move(master_key), .max_versions = max_versions}, m_clock);
    EXPECT_TRUE(store) << store.error().message;
    return std::move(*store);
  }
  [[nodiscard]] std::filesystem::path store_dir() const { return m_tmp.path() / "store"; }
  [[nodiscard]] std::filesystem::path path_dir() const { return store_dir() / std::string(k_path); }
  [[nodiscard]] std::filesystem::path record(int version) const {
    return path_dir() / ("_v" + std::to_string(version) + ".rec");
  }
  [[nodiscard]] std::filesystem::path metadata_file() const { return path_dir() / "_metadata.json"; }

  // Write versions 1..n, one clock second apart.
  void write_versions(ports::SecretStore& store, int n) {
    for (int v = 1; v <= n; ++v) {
      m_clock.advance(std::chrono::seconds(1));
      const auto written = store.write(k_path, version_data(v), v - 1);
      ASSERT_TRUE(written) << written.error().message;
      ASSERT_EQ(*written, v);
    }
  }

  TempDir m_tmp;
  FakeClock m_clock;
};

}  // namespace keyd::testing
