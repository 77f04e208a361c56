// The file store at rest: the master key, authenticated encryption of records, authenticated
// metadata, and no key material in plain form on disk.
#include "keyd/adapters/file_store/file_store.hpp"

#include "file_store_test_helpers.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <vector>

namespace keyd::adapters {
namespace {

using keyd::testing::contains;
using keyd::testing::expect_data_is;
using keyd::testing::file_mode;
using keyd::testing::FileStoreTest;
using keyd::testing::k_path;
using keyd::testing::key_hex;
using keyd::testing::read_file;
using keyd::testing::version_data;
using keyd::testing::write_file;

class FileStoreIntegrityTest : public FileStoreTest {};

TEST_F(FileStoreIntegrityTest, CreatesTheMasterKeyWithMode0600OnFirstWrite) {
  const mode_t old_umask = ::umask(0);
  auto store = open_store();
  EXPECT_FALSE(std::filesystem::exists(store_dir() / "master.key"));
  write_versions(*store, 1);
  ::umask(old_umask);
  const auto key_file = store_dir() / "master.key";
  EXPECT_EQ(file_mode(key_file), 0600U);
  EXPECT_EQ(std::filesystem::file_size(key_file), 32U);
  EXPECT_EQ(file_mode(store_dir()), 0700U);
  EXPECT_EQ(file_mode(metadata_file()), 0600U);
  EXPECT_EQ(file_mode(record(1)), 0600U);
}

TEST_F(FileStoreIntegrityTest, UsesAConfiguredMasterKeyFile) {
  const auto key_file = m_tmp.path() / "keys" / "store.key";
  {
    auto store = open_store(10, key_file);
    write_versions(*store, 1);
  }
  EXPECT_TRUE(std::filesystem::exists(key_file));
  EXPECT_FALSE(std::filesystem::exists(store_dir() / "master.key"));
  const auto got = open_store(10, key_file)->read(k_path, std::nullopt);
  ASSERT_TRUE(got) << got.error().message;
  expect_data_is(got->data, 1);
}

TEST_F(FileStoreIntegrityTest, RefusesAMasterKeyReadableByOthers) {
  write_versions(*open_store(), 1);
  const auto key_file = store_dir() / "master.key";
  ASSERT_EQ(::chmod(key_file.c_str(), 0644), 0);
  const auto got = open_store()->read(k_path, std::nullopt);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::invalid_config);
  EXPECT_TRUE(contains(got.error().message, key_file.string())) << got.error().message;
  EXPECT_TRUE(contains(got.error().message, "0644")) << got.error().message;
}

TEST_F(FileStoreIntegrityTest, AMissingMasterKeyIsNotSilentlyRecreated) {
  write_versions(*open_store(), 1);
  std::filesystem::remove(store_dir() / "master.key");
  auto store = open_store();
  const auto written = store->write(k_path, version_data(2), 1);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::invalid_config);
  EXPECT_TRUE(contains(written.error().message, "master.key")) << written.error().message;
  EXPECT_FALSE(std::filesystem::exists(store_dir() / "master.key"));
}

TEST_F(FileStoreIntegrityTest, WrongMasterKeyIsAnIntegrityErrorNamingTheRecord) {
  write_versions(*open_store(), 2);
  write_file(store_dir() / "master.key", std::string(32, 'w'));
  auto store = open_store();
  const auto got = store->read(k_path, std::nullopt);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::integrity);
  EXPECT_TRUE(contains(got.error().message, record(2).string())) << got.error().message;
  EXPECT_TRUE(contains(got.error().message, "authentication failed (wrong master key or tampered record)"));
  EXPECT_TRUE(contains(got.error().message, std::string(k_path)));
  EXPECT_EQ(store->metadata(k_path).error().code, ErrorCode::integrity);
  const auto written = store->write(k_path, version_data(3), 2);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::integrity);
  EXPECT_FALSE(std::filesystem::exists(record(3)));
}

TEST_F(FileStoreIntegrityTest, ATamperedRecordFailsWhileOtherVersionsStayReadable) {
  auto store = open_store();
  write_versions(*store, 3);
  for (const std::size_t offset : {std::size_t{0}, std::size_t{10}, std::size_t{40}, std::size_t{0} - 1}) {
    SCOPED_TRACE(offset);
    const std::string original = read_file(record(2));
    std::string tampered = original;
    const std::size_t at = offset == std::size_t{0} - 1 ? tampered.size() - 1 : offset;
    tampered[at] = static_cast<char>(tampered[at] ^ 0x01);
    write_file(record(2), tampered);
    const auto got = open_store()->read(k_path, 2);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, ErrorCode::integrity);
    EXPECT_TRUE(contains(got.error().message, record(2).string())) << got.error().message;
    for (const int fine : {1, 3}) {
      const auto other = open_store()->read(k_path, fine);
      ASSERT_TRUE(other) << other.error().message;
      expect_data_is(other->data, fine);
    }
    write_file(record(2), original);
  }
  write_file(record(2), read_file(record(2)).substr(0, 20));  // truncated
  EXPECT_EQ(open_store()->read(k_path, 2).error().code, ErrorCode::integrity);
  EXPECT_TRUE(store->write(k_path, version_data(4), 3));
}

TEST_F(FileStoreIntegrityTest, ARecordMovedToAnotherVersionOrPathIsDetected) {
  auto store = open_store();
  write_versions(*store, 2);
  ASSERT_TRUE(store->write("other/swarm-key", version_data(7), 0));
  write_file(record(2), read_file(record(1)));
  const auto swapped = store->read(k_path, 2);
  ASSERT_FALSE(swapped);
  EXPECT_EQ(swapped.error().code, ErrorCode::integrity);
  EXPECT_TRUE(contains(swapped.error().message, "authentication failed"));
  write_file(store_dir() / "other" / "swarm-key" / "_v1.rec", read_file(record(1)));
  const auto moved = store->read("other/swarm-key", 1);
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, ErrorCode::integrity);
}

TEST_F(FileStoreIntegrityTest, MetadataTamperingIsDetected) {
  auto store = open_store();
  write_versions(*store, 3);
  const std::string original = read_file(metadata_file());
  const auto tamper = [&](auto&& edit) {
    auto doc = nlohmann::json::parse(original);
    edit(doc);
    write_file(metadata_file(), doc.dump(2));
  };
  const std::vector<std::function<void(nlohmann::json&)>> edits = {
      [](nlohmann::json& d) { d["current_version"] = 2; },
      [](nlohmann::json& d) {
        d["current_version"] = 2;
        d["versions"].erase(2);
      },
      [](nlohmann::json& d) { d["max_versions"] = 1; },
      [](nlohmann::json& d) { d["versions"][0]["created_time"] = "2020-01-01T00:00:00.000000000Z"; },
      [](nlohmann::json& d) { d["path"] = "elsewhere"; },
      [](nlohmann::json& d) { d.erase("mac"); },
  };
  for (std::size_t i = 0; i < edits.size(); ++i) {
    SCOPED_TRACE(i);
    tamper(edits[i]);
    const auto got = open_store()->read(k_path, std::nullopt);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, ErrorCode::integrity);
    EXPECT_TRUE(contains(got.error().message, metadata_file().string())) << got.error().message;
    EXPECT_EQ(open_store()->metadata(k_path).error().code, ErrorCode::integrity);
    EXPECT_EQ(open_store()->write(k_path, version_data(4), 2).error().code, ErrorCode::integrity);
    EXPECT_EQ(open_store()->write(k_path, version_data(4), 3).error().code, ErrorCode::integrity);
  }
  write_file(metadata_file(), "{ not json");
  EXPECT_EQ(open_store()->metadata(k_path).error().code, ErrorCode::integrity);
  // Whitespace is not tampering: the MAC covers the canonical form.
  write_file(metadata_file(), nlohmann::json::parse(original).dump());
  EXPECT_TRUE(open_store()->read(k_path, std::nullopt));
}

TEST_F(FileStoreIntegrityTest, MetadataCopiedFromAnotherPathIsDetected) {
  auto store = open_store();
  write_versions(*store, 1);
  ASSERT_TRUE(store->write("b/swarm-key", version_data(1), 0));
  write_file(store_dir() / "b" / "swarm-key" / "_metadata.json", read_file(metadata_file()));
  EXPECT_EQ(store->metadata("b/swarm-key").error().code, ErrorCode::integrity);
}

TEST_F(FileStoreIntegrityTest, AMissingRecordOfAKeptVersionIsAnIntegrityError) {
  auto store = open_store();
  write_versions(*store, 2);
  std::filesystem::remove(record(1));
  const auto got = store->read(k_path, 1);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::integrity);
  EXPECT_TRUE(contains(got.error().message, "missing"));
}

TEST_F(FileStoreIntegrityTest, NoKeyMaterialIsStoredInPlainForm) {
  auto store = open_store(3);
  write_versions(*store, 5);
  std::size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(m_tmp.path())) {
    if (!e.is_regular_file()) continue;
    ++files;
    const std::string bytes = read_file(e.path());
    for (int v = 1; v <= 5; ++v) {
      EXPECT_FALSE(contains(bytes, key_hex(v))) << e.path();
      EXPECT_FALSE(contains(bytes, key_hex(v).substr(0, 16))) << e.path();
    }
    EXPECT_FALSE(contains(bytes, "/key/swarm/psk")) << e.path();
  }
  EXPECT_GE(files, 5U);  // master key, lock, metadata, three records
}

}  // namespace
}  // namespace keyd::adapters
