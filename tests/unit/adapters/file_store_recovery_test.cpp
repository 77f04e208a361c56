// Records without metadata (issue 14 item 1): the file store refuses a path whose `_v<N>.rec`
// records remain while its `_metadata.json` is gone, changing nothing, and `keyd store repair`'s
// adapter rebuilds the metadata from the records that verify, deleting nothing.
#include "keyd/adapters/file_store/file_store.hpp"
#include "keyd/adapters/file_store/file_store_repair.hpp"

#include "failing_file_system.hpp"
#include "file_store_test_helpers.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>

namespace keyd::adapters {
namespace {

using keyd::testing::contains;
using keyd::testing::expect_data_is;
using keyd::testing::FailingFileSystem;
using keyd::testing::FileStoreTest;
using keyd::testing::k_path;
using keyd::testing::read_file;
using keyd::testing::version_data;
using keyd::testing::write_file;

class FileStoreRecoveryTest : public FileStoreTest {
 protected:
  // Every regular file under the store root with its bytes: "nothing changed" means this is equal.
  [[nodiscard]] std::map<std::string, std::string> snapshot() const {
    std::map<std::string, std::string> files;
    for (const auto& e : std::filesystem::recursive_directory_iterator(store_dir())) {
      if (e.is_regular_file()) files[e.path().string()] = read_file(e.path());
    }
    return files;
  }

  std::unique_ptr<ports::StoreRepair> open_repair(std::filesystem::path master_key = {}) {
    auto repair = make_file_store_repair(
        {.dir = store_dir(), .master_key_file = std::move(master_key), .max_versions = 10}, m_clock);
    EXPECT_TRUE(repair) << repair.error().message;
    return std::move(*repair);
  }

  // Three versions, then the metadata file deleted.
  void three_versions_without_metadata() {
    write_versions(*open_store(), 3);
    ASSERT_TRUE(std::filesystem::remove(metadata_file()));
  }

  static void flip_last_byte(const std::filesystem::path& file) {
    std::string bytes = read_file(file);
    bytes.back() = static_cast<char>(bytes.back() ^ 0x01);
    write_file(file, bytes);
  }

  void expect_refused(const Error& error, const std::string& records) const {
    EXPECT_EQ(error.code, ErrorCode::integrity) << error.message;
    EXPECT_TRUE(contains(error.message, path_dir().string())) << error.message;
    EXPECT_TRUE(contains(error.message, records)) << error.message;
    EXPECT_TRUE(contains(error.message, "keyd store repair")) << error.message;
  }
};

TEST_F(FileStoreRecoveryTest, RecordsWithoutMetadataAreRefusedAndNothingChanges) {
  three_versions_without_metadata();
  const auto before = snapshot();
  auto store = open_store();

  const auto meta = store->metadata(k_path);
  ASSERT_FALSE(meta) << "a path with three records was taken for one never written";
  expect_refused(meta.error(), "_v1.rec, _v2.rec, _v3.rec");
  for (const auto version : {std::optional<int>{}, std::optional<int>{2}}) {
    const auto read = store->read(k_path, version);
    ASSERT_FALSE(read);
    expect_refused(read.error(), "_v1.rec, _v2.rec, _v3.rec");
  }
  for (const int cas : {0, 3}) {
    const auto written = store->write(k_path, version_data(9), cas);
    ASSERT_FALSE(written) << "wrote version " << *written << " over existing records";
    expect_refused(written.error(), "_v1.rec, _v2.rec, _v3.rec");
  }
  EXPECT_EQ(snapshot(), before);
}

TEST_F(FileStoreRecoveryTest, RecordsWithoutMetadataOrMasterKeyCreateNoMasterKey) {
  three_versions_without_metadata();
  ASSERT_TRUE(std::filesystem::remove(store_dir() / "master.key"));
  const auto before = snapshot();
  const auto written = open_store()->write(k_path, version_data(9), 0);
  ASSERT_FALSE(written);
  expect_refused(written.error(), "_v1.rec, _v2.rec, _v3.rec");
  EXPECT_FALSE(std::filesystem::exists(store_dir() / "master.key"));
  EXPECT_EQ(snapshot(), before);
}

// A crash of the very first write after its record was renamed into place and before the metadata
// commit looks exactly like deleted metadata: refused the same way (never overwritten), and the
// repair adopts the record as version 1.
TEST_F(FileStoreRecoveryTest, AFirstWriteCrashedBeforeItsCommitIsRefusedThenRepaired) {
  // Six calls create the master key, six write the record; the 13th starts the metadata commit.
  FailingFileSystem crashing(13);
  {
    auto store = make_file_store({.dir = store_dir(), .master_key_file = {}, .max_versions = 10}, m_clock, crashing);
    ASSERT_TRUE(store);
    ASSERT_FALSE((*store)->write(k_path, version_data(1), 0));
  }
  ASSERT_TRUE(std::filesystem::exists(record(1)));
  ASSERT_FALSE(std::filesystem::exists(metadata_file()));
  const std::string record_bytes = read_file(record(1));

  const auto written = open_store()->write(k_path, version_data(2), 0);
  ASSERT_FALSE(written);
  expect_refused(written.error(), "_v1.rec");
  EXPECT_EQ(read_file(record(1)), record_bytes);

  const auto repaired = open_repair()->repair(k_path);
  ASSERT_TRUE(repaired) << repaired.error().message;
  EXPECT_EQ(repaired->current_version, 1);
  const auto got = open_store()->read(k_path, std::nullopt);
  ASSERT_TRUE(got) << got.error().message;
  expect_data_is(got->data, 1);
}

TEST_F(FileStoreRecoveryTest, RepairRestoresTheHistoryAndTheNextWriteContinuesIt) {
  three_versions_without_metadata();
  const auto before = snapshot();
  const auto report = open_repair()->repair(k_path);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->location, path_dir().string());
  EXPECT_EQ(report->current_version, 3);
  EXPECT_TRUE(report->skipped.empty());
  ASSERT_EQ(report->recovered.size(), 3U);
  for (int v = 1; v <= 3; ++v) {
    struct stat st {};
    ASSERT_EQ(::stat(record(v).c_str(), &st), 0);
    const auto mtime = std::chrono::system_clock::time_point{std::chrono::seconds{st.st_mtim.tv_sec}};
    const auto& recovered = report->recovered[static_cast<std::size_t>(v - 1)];
    EXPECT_EQ(recovered.version, v);
    EXPECT_EQ(recovered.created_time, ports::format_rfc3339(mtime)) << "the record's mtime";
  }
  // Only the metadata file is new; every record is as it was.
  auto after = snapshot();
  ASSERT_EQ(after.erase(metadata_file().string()), 1U);
  EXPECT_EQ(after, before);

  auto store = open_store();
  const auto meta = store->metadata(k_path);
  ASSERT_TRUE(meta) << meta.error().message;
  EXPECT_EQ(meta->current_version, 3);
  EXPECT_EQ(meta->oldest_version, 1);
  const auto next = store->write(k_path, version_data(4), 3);
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_EQ(*next, 4);
  for (int v = 1; v <= 4; ++v) {
    const auto got = store->read(k_path, v);
    ASSERT_TRUE(got) << got.error().message;
    expect_data_is(got->data, v);
  }
}

TEST_F(FileStoreRecoveryTest, RepairSkipsAndListsATamperedRecordAndDeletesNothing) {
  three_versions_without_metadata();
  flip_last_byte(record(2));
  const std::string tampered = read_file(record(2));
  const auto report = open_repair()->repair(k_path);
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->recovered.size(), 2U);
  EXPECT_EQ(report->recovered[0].version, 1);
  EXPECT_EQ(report->recovered[1].version, 3);
  EXPECT_EQ(report->current_version, 3);
  ASSERT_EQ(report->skipped.size(), 1U);
  EXPECT_EQ(report->skipped[0].file, record(2).string());
  EXPECT_TRUE(contains(report->skipped[0].reason, "authentication failed")) << report->skipped[0].reason;

  // The next write keeps the skipped record for inspection (only pruning removes it later).
  auto store = open_store();
  ASSERT_TRUE(store->write(k_path, version_data(4), 3));
  ASSERT_TRUE(std::filesystem::exists(record(2)));
  EXPECT_EQ(read_file(record(2)), tampered);
  const auto missing = store->read(k_path, 2);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
}

TEST_F(FileStoreRecoveryTest, RepairRefusesAuthenticMetadata) {
  write_versions(*open_store(), 2);
  const auto before = snapshot();
  const auto report = open_repair()->repair(k_path);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::conflict);
  EXPECT_TRUE(contains(report.error().message, "nothing to repair")) << report.error().message;
  EXPECT_EQ(snapshot(), before);
}

TEST_F(FileStoreRecoveryTest, RepairDoesNotReplaceMetadataThatFailsAuthentication) {
  write_versions(*open_store(), 2);
  flip_last_byte(metadata_file());
  const auto before = snapshot();
  const auto report = open_repair()->repair(k_path);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::integrity);
  EXPECT_TRUE(contains(report.error().message, metadata_file().string())) << report.error().message;
  EXPECT_EQ(snapshot(), before);
}

TEST_F(FileStoreRecoveryTest, RepairRefusesWithoutTheMasterKey) {
  three_versions_without_metadata();
  ASSERT_TRUE(std::filesystem::remove(store_dir() / "master.key"));
  const auto before = snapshot();
  const auto report = open_repair()->repair(k_path);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::invalid_config);
  EXPECT_TRUE(contains(report.error().message, "master.key")) << report.error().message;
  EXPECT_FALSE(std::filesystem::exists(store_dir() / "master.key"));
  EXPECT_EQ(snapshot(), before);
}

TEST_F(FileStoreRecoveryTest, RepairUnderAnotherMasterKeyVerifiesNothingAndWritesNothing) {
  three_versions_without_metadata();
  const auto other_key = m_tmp.path() / "other.key";
  write_file(other_key, std::string(32, 'k'));
  ASSERT_EQ(::chmod(other_key.c_str(), 0600), 0);
  const auto before = snapshot();
  const auto report = open_repair(other_key)->repair(k_path);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::integrity);
  EXPECT_TRUE(contains(report.error().message, "none of the 3 record files")) << report.error().message;
  EXPECT_EQ(snapshot(), before);
}

TEST_F(FileStoreRecoveryTest, RepairOfAPathNeverWrittenIsNotFound) {
  write_versions(*open_store(), 1);
  const auto report = open_repair()->repair("other/path");
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::not_found);
}

}  // namespace
}  // namespace keyd::adapters
