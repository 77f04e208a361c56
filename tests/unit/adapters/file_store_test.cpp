// The file store's Vault-KV-v2 semantics: versions, check-and-set, metadata, pruning, paths.
#include "keyd/adapters/file_store/file_store.hpp"

#include "file_store_test_helpers.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

namespace keyd::adapters {
namespace {

using keyd::testing::contains;
using keyd::testing::expect_data_is;
using keyd::testing::FileStoreTest;
using keyd::testing::k_path;
using keyd::testing::read_file;
using keyd::testing::version_data;
using keyd::testing::write_file;
using namespace std::chrono_literals;

TEST_F(FileStoreTest, FirstWriteWithCasZeroCreatesVersionOne) {
  auto store = open_store();
  const auto written = store->write(k_path, version_data(1), 0);
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_EQ(*written, 1);
  const auto got = store->read(k_path, std::nullopt);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->info.version, 1);
  EXPECT_EQ(got->info.created_time, ports::format_rfc3339(m_clock.now()));
  EXPECT_FALSE(got->info.deleted);
  EXPECT_FALSE(got->info.destroyed);
  expect_data_is(got->data, 1);
}

TEST_F(FileStoreTest, CasMismatchIsAConflictAndWritesNothing) {
  auto store = open_store();
  write_versions(*store, 1);
  const auto before = read_file(metadata_file());
  for (const int cas : {0, 2, 7}) {
    const auto written = store->write(k_path, version_data(9), cas);
    ASSERT_FALSE(written);
    EXPECT_EQ(written.error().code, ErrorCode::conflict);
    EXPECT_TRUE(
        contains(written.error().message, "check-and-set: expected version " + std::to_string(cas) + ", current is 1"))
        << written.error().message;
  }
  EXPECT_EQ(read_file(metadata_file()), before);
  EXPECT_FALSE(std::filesystem::exists(record(2)));
  const auto fresh = store->write("other/path", version_data(3), 1);
  ASSERT_FALSE(fresh);
  EXPECT_EQ(fresh.error().code, ErrorCode::conflict);
  EXPECT_TRUE(contains(fresh.error().message, "expected version 1, current is 0"));
  EXPECT_FALSE(store->metadata("other/path"));
}

TEST_F(FileStoreTest, NegativeCasIsInvalidInput) {
  auto store = open_store();
  const auto written = store->write(k_path, version_data(1), -1);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::invalid_input);
}

TEST_F(FileStoreTest, ReadsTheLatestOrASpecificVersion) {
  auto store = open_store();
  write_versions(*store, 3);
  for (int v = 1; v <= 3; ++v) {
    const auto got = store->read(k_path, v);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got->info.version, v);
    expect_data_is(got->data, v);
  }
  const auto latest = store->read(k_path, std::nullopt);
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->info.version, 3);
  expect_data_is(latest->data, 3);
  for (const int missing : {0, 4, -1}) {
    const auto got = store->read(k_path, missing);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, ErrorCode::not_found);
    EXPECT_TRUE(contains(got.error().message, std::string(k_path)));
    EXPECT_TRUE(contains(got.error().message, "version " + std::to_string(missing))) << got.error().message;
  }
}

TEST_F(FileStoreTest, MetadataDescribesTheVersions) {
  auto store = open_store();
  const auto first = ports::format_rfc3339(m_clock.now() + 1s);
  write_versions(*store, 3);
  const auto meta = store->metadata(k_path);
  ASSERT_TRUE(meta) << meta.error().message;
  EXPECT_EQ(meta->current_version, 3);
  EXPECT_EQ(meta->oldest_version, 1);
  EXPECT_EQ(meta->max_versions, 10);
  EXPECT_EQ(meta->created_time, first);
  EXPECT_EQ(meta->updated_time, ports::format_rfc3339(m_clock.now()));
  ASSERT_EQ(meta->versions.size(), 3U);
  for (int v = 1; v <= 3; ++v) {
    EXPECT_EQ(meta->versions[static_cast<std::size_t>(v - 1)].version, v);
  }
  EXPECT_EQ(meta->versions[2].created_time, meta->updated_time);
}

TEST_F(FileStoreTest, UnwrittenPathIsNotFoundAndCreatesNothing) {
  auto store = open_store();
  const auto meta = store->metadata(k_path);
  ASSERT_FALSE(meta);
  EXPECT_EQ(meta.error().code, ErrorCode::not_found);
  EXPECT_TRUE(contains(meta.error().message, std::string(k_path)));
  const auto got = store->read(k_path, std::nullopt);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::not_found);
  EXPECT_FALSE(std::filesystem::exists(store_dir()));
}

TEST_F(FileStoreTest, KeepsOnlyMaxVersionsNewest) {
  auto store = open_store(3);
  write_versions(*store, 5);
  const auto meta = store->metadata(k_path);
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->current_version, 5);
  EXPECT_EQ(meta->oldest_version, 3);
  EXPECT_EQ(meta->max_versions, 3);
  ASSERT_EQ(meta->versions.size(), 3U);
  EXPECT_EQ(meta->versions.front().version, 3);
  for (const int pruned : {1, 2}) {
    const auto got = store->read(k_path, pruned);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, ErrorCode::not_found);
    EXPECT_TRUE(contains(got.error().message, "pruned")) << got.error().message;
    EXPECT_FALSE(std::filesystem::exists(record(pruned)));
  }
  for (int v = 3; v <= 5; ++v) {
    const auto got = store->read(k_path, v);
    ASSERT_TRUE(got) << got.error().message;
    expect_data_is(got->data, v);
  }
}

TEST_F(FileStoreTest, RejectsBadStorePaths) {
  auto store = open_store();
  for (const std::string& bad :
       std::vector<std::string>{"", "/abs/path", "a/../b", "..", "./a", "a/.", "a//b", "a/", "a\\b",
                                std::string("a\0b", 3), "_lock", "a/_metadata.json", "a\nb"}) {
    SCOPED_TRACE(bad);
    const auto written = store->write(bad, version_data(1), 0);
    ASSERT_FALSE(written);
    EXPECT_EQ(written.error().code, ErrorCode::invalid_input);
    ASSERT_FALSE(store->read(bad, std::nullopt));
    EXPECT_EQ(store->read(bad, std::nullopt).error().code, ErrorCode::invalid_input);
    EXPECT_EQ(store->metadata(bad).error().code, ErrorCode::invalid_input);
  }
  EXPECT_FALSE(std::filesystem::exists(store_dir()));
  EXPECT_TRUE(store->write("a.b/c-d/e_f", version_data(1), 0));
}

TEST_F(FileStoreTest, RejectsBadOptions) {
  EXPECT_EQ(make_file_store({.dir = store_dir(), .master_key_file = {}, .max_versions = 0}, m_clock).error().code,
            ErrorCode::invalid_config);
  EXPECT_EQ(make_file_store({.dir = {}, .master_key_file = {}, .max_versions = 3}, m_clock).error().code,
            ErrorCode::invalid_config);
}

TEST_F(FileStoreTest, DescribeNamesTheDirectory) {
  EXPECT_TRUE(contains(open_store()->describe(), store_dir().string()));
}

TEST_F(FileStoreTest, AWriteRemovesOrphansOfCrashedWrites) {
  auto store = open_store();
  write_versions(*store, 2);
  write_file(path_dir() / "_v9.rec", "orphan");
  write_file(path_dir() / "_metadata.json.tmp-1-abc", "temp");
  write_file(path_dir() / "_v1.rec.tmp-1-abc", "temp");
  ASSERT_TRUE(store->write(k_path, version_data(3), 2));
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(path_dir())) names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"_lock", "_metadata.json", "_v1.rec", "_v2.rec", "_v3.rec"}));
}

}  // namespace
}  // namespace keyd::adapters
