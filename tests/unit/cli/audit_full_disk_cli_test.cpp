// `keyd rotate` with its audit log on a full disk (a small tmpfs mounted by the test; needs root,
// which CI has): commands fail while there is no space, never as tampering, and work again with an
// intact chain as soon as space is freed.
#include "support/small_tmpfs.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace keyd::testing {
namespace {

constexpr std::size_t k_page = 4096;

TEST(AuditFullDiskCli, CommandsWorkAgainOnceSpaceIsFreed) {
  SmallTmpfs fs(256 * 1024);
  if (!fs.skip_reason().empty()) GTEST_SKIP() << fs.skip_reason();
  TempDir dir;
  write_file(dir / "keyd.yaml", "store: {backend: file, file: {dir: store}}\n"
                                "audit: {file: " + (fs / "audit.jsonl").string() + "}\n"
                                "swarms:\n"
                                "  - name: ipfs-overlay\n"
                                "    targets: [{type: file, path: ipfs/swarm.key}]\n");
  const auto keyd = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--config", "keyd.yaml"});
    return run_keyd(args, dir.path());
  };
  ASSERT_EQ(keyd({"rotate"}).exit_code, 0);
  const auto log_size = std::filesystem::file_size(fs / "audit.jsonl");
  ASSERT_GE(k_page - log_size % k_page, 1500U) << "the next lines must fit into the log's last page";
  // With its spare a head update rewrites a file in place and needs no space
  // (AuditHead.WithASpareTheHeadUpdatesOnAFullDisk); without it, it needs a page.
  std::filesystem::remove(fs / "audit.jsonl.head.spare");
  ASSERT_EQ(fs.fill(), 0U);

  // The first rotation's audit line fits; its head update does not. Later ones fail the same way.
  for (int run = 1; run <= 3; ++run) {
    SCOPED_TRACE("rotation " + std::to_string(run) + " on the full disk");
    const auto r = keyd({"rotate"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("refusing to append"), std::string::npos) << r.err;
  }

  fs.free_space();
  auto r = keyd({"rotate"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = keyd({"history"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = keyd({"audit", "verify"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("hash chain intact"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace keyd::testing
