// Issue 14 item 1 end to end: `keyd rotate` refuses a store path whose records remain without
// metadata and changes nothing; `keyd store repair` rebuilds the metadata (audited, nothing
// deleted, tampered records listed); `keyd history` lists a tampered version as unreadable.
#include "cli_support.hpp"

#include <filesystem>
#include <map>

namespace keyd::testing {
namespace {

class StoreRecoveryCli : public KeydCli {
 protected:
  [[nodiscard]] std::filesystem::path path_dir() const { return dir / ".keyd/store/ipfs-overlay/swarm-key"; }
  [[nodiscard]] std::filesystem::path record(int v) const { return path_dir() / ("_v" + std::to_string(v) + ".rec"); }
  [[nodiscard]] std::filesystem::path target() const { return dir / ".keyd/ipfs/swarm.key"; }

  // Every regular file of the store and the target with its bytes.
  [[nodiscard]] std::map<std::string, std::string> snapshot() const {
    std::map<std::string, std::string> files;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir / ".keyd/store")) {
      if (e.is_regular_file()) files[e.path().string()] = read_file(e.path());
    }
    files[target().string()] = read_file(target());
    return files;
  }

  // Three rotations: fingerprints of versions 1..3.
  std::vector<std::string> rotate_three_times() {
    std::vector<std::string> fingerprints;
    for (int v = 1; v <= 3; ++v) fingerprints.push_back(ok_json({"rotate"})["fingerprint"]);
    return fingerprints;
  }

  void flip_a_byte(const std::filesystem::path& file) {
    std::string bytes = read_file(file);
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x40);
    write_file(file, bytes);
  }

  CommandResult run(std::vector<std::string> args) {
    args.insert(args.end(), {"--config", "keyd.yaml"});
    return keyd(args);
  }

  static bool has(const std::string& text, std::string_view needle) { return text.find(needle) != std::string::npos; }
};

TEST_F(StoreRecoveryCli, RotateRefusesRecordsWithoutMetadataAndChangesNothing) {
  rotate_three_times();
  ASSERT_TRUE(std::filesystem::remove(path_dir() / "_metadata.json"));
  const auto before = snapshot();
  const auto r = run({"rotate"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_TRUE(has(r.err, path_dir().filename().string())) << r.err;
  EXPECT_TRUE(has(r.err, "_v1.rec, _v2.rec, _v3.rec")) << r.err;
  EXPECT_TRUE(has(r.err, "keyd store repair")) << r.err;
  EXPECT_EQ(snapshot(), before) << "a record, the master key or the target changed";
  for (const char* cmd : {"sync", "history"}) {
    const auto again = run({cmd});
    EXPECT_EQ(again.exit_code, 1) << cmd << ": " << again.out << again.err;
  }
  EXPECT_EQ(snapshot(), before);
}

TEST_F(StoreRecoveryCli, RepairRestoresTheHistoryAndRotationContinuesIt) {
  const auto fingerprints = rotate_three_times();
  ASSERT_TRUE(std::filesystem::remove(path_dir() / "_metadata.json"));
  const auto r = ok({"store", "repair"});
  EXPECT_TRUE(has(r.out, "recovered versions 1, 2, 3 (current version 3)")) << r.out;
  EXPECT_TRUE(has(r.out, "modification time")) << r.out;
  EXPECT_TRUE(has(r.out, "nothing was deleted")) << r.out;
  EXPECT_FALSE(has(r.out, "/key/swarm/psk")) << "key material in the output";

  const auto h = ok_json({"history"});
  ASSERT_EQ(h.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(h[i]["fingerprint"], fingerprints[i]) << h.dump();
  EXPECT_EQ(ok_json({"rotate"})["version"], 4);
  for (std::size_t v = 1; v <= 3; ++v) {
    const auto fetched = ok({"fetch", "--version", std::to_string(v), "--out", "v.key"});
    EXPECT_TRUE(has(fetched.out, fingerprints[v - 1])) << fetched.out;
  }
  const std::string audit = read_file(dir / ".keyd/audit.jsonl");
  EXPECT_TRUE(has(audit, R"("action":"repair")")) << audit;
  EXPECT_TRUE(ok({"audit", "verify"}).exit_code == 0);
}

TEST_F(StoreRecoveryCli, RepairListsATamperedRecordAndDeletesNothing) {
  rotate_three_times();
  ASSERT_TRUE(std::filesystem::remove(path_dir() / "_metadata.json"));
  flip_a_byte(record(2));
  const auto before = snapshot();
  const auto j = ok_json({"store", "repair"});
  EXPECT_EQ(j["current_version"], 3);
  ASSERT_EQ(j["recovered"].size(), 2U);
  EXPECT_EQ(j["recovered"][0]["version"], 1);
  EXPECT_EQ(j["recovered"][1]["version"], 3);
  ASSERT_EQ(j["skipped"].size(), 1U);
  EXPECT_TRUE(has(j["skipped"][0]["file"].get<std::string>(), "_v2.rec")) << j.dump();
  auto after = snapshot();
  ASSERT_EQ(after.erase((path_dir() / "_metadata.json").string()), 1U);
  EXPECT_EQ(after, before);
}

TEST_F(StoreRecoveryCli, RepairRefusesWhenThereIsNothingToRepairOrNoMasterKey) {
  rotate_three_times();
  auto r = run({"store", "repair"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.err, "nothing to repair")) << r.err;

  ASSERT_TRUE(std::filesystem::remove(path_dir() / "_metadata.json"));
  ASSERT_TRUE(std::filesystem::remove(dir / ".keyd/store/master.key"));
  r = run({"store", "repair"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(has(r.err, "master.key")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / ".keyd/store/master.key"));
  EXPECT_FALSE(std::filesystem::exists(path_dir() / "_metadata.json"));
}

TEST_F(StoreRecoveryCli, HistoryShowsATamperedRecordAsUnreadable) {
  const auto fingerprints = rotate_three_times();
  flip_a_byte(record(2));
  const auto text = ok({"history"});
  EXPECT_TRUE(has(text.out, fingerprints[0])) << text.out;
  EXPECT_TRUE(has(text.out, fingerprints[2])) << text.out;
  EXPECT_FALSE(has(text.out, fingerprints[1])) << text.out;
  EXPECT_TRUE(has(text.out, "(unreadable)")) << text.out;
  EXPECT_TRUE(has(text.out, "version 2 is unreadable")) << text.out;
  EXPECT_TRUE(has(text.out, "authentication failed")) << text.out;

  const auto j = ok_json({"history"});
  ASSERT_EQ(j.size(), 3U);
  EXPECT_EQ(j[0]["fingerprint"], fingerprints[0]);
  EXPECT_EQ(j[2]["fingerprint"], fingerprints[2]);
  EXPECT_EQ(j[1]["unreadable"], true);
  EXPECT_TRUE(has(j[1]["unreadable_reason"].get<std::string>(), "_v2.rec")) << j.dump();
}

}  // namespace
}  // namespace keyd::testing
