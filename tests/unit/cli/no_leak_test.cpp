// A full rotate/fetch/history/import/rollback/sync flow with debug logging, proving that no key —
// as hex (either case), base64 or raw bytes — appears in any log, command output (other than an
// explicit --out -), audit entry or store file.
#include "cli_support.hpp"
#include "key_forms.hpp"

namespace keyd::testing {
namespace {

class NoLeak : public KeydCli {
 protected:
  void run(std::vector<std::string> args, bool key_on_stdout = false) {
    args.insert(args.end(), {"--config", "keyd.yaml"});
    auto r = keyd(args, {{"KEYD_LOG_LEVEL", "debug"}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    if (!key_on_stdout) m_transcript += r.out;
    m_transcript += r.err;
    m_saw_debug = m_saw_debug || r.err.find("[debug]") != std::string::npos;
  }

  std::string m_transcript;
  bool m_saw_debug = false;
};

TEST_F(NoLeak, NoKeyInLogsOutputAuditOrStore) {
  run({"rotate"});
  run({"rotate", "--output", "json"});
  ASSERT_EQ(keyd({"generate", "--out", "imported.key"}).exit_code, 0);
  run({"import", "imported.key"});
  run({"rollback", "--to-version", "1"});
  run({"sync"});
  run({"history"});
  run({"history", "--output", "json"});
  run({"fetch", "--version", "2", "--out", "v2.key"});
  run({"fetch", "--out", "-"}, /*key_on_stdout=*/true);
  auto inspect = keyd({"inspect", "v2.key", "--output", "json"}, {{"KEYD_LOG_LEVEL", "debug"}});
  m_transcript += inspect.out + inspect.err;
  run({"audit", "verify"});
  EXPECT_TRUE(m_saw_debug) << "debug logging was not on, the test proves nothing";

  // Every key the store holds.
  std::vector<KeyForms> keys;
  for (int v = 1; v <= 4; ++v) {
    const std::string out = "all-" + std::to_string(v) + ".key";
    ASSERT_EQ(keyd({"fetch", "--config", "keyd.yaml", "--version", std::to_string(v), "--out", out}).exit_code, 0);
    keys.push_back(forms_of_key_file(read_file(dir / out)));
  }

  // Everything that must not hold a key: the transcript, the audit trail, every store file.
  std::vector<std::pair<std::string, std::string>> haystacks{{"command output and logs", m_transcript}};
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / ".keyd")) {
    if (!entry.is_regular_file()) continue;
    if (entry.path() == dir / ".keyd/ipfs/swarm.key") continue;  // the target: it must hold the key
    haystacks.emplace_back(entry.path().string(), read_file(entry.path()));
  }
  ASSERT_GE(haystacks.size(), 4U);
  for (const auto& [name, text] : haystacks) {
    for (const auto& k : keys) {
      EXPECT_EQ(text.find(k.hex), std::string::npos) << name << " holds a key in hex";
      EXPECT_EQ(text.find(k.upper_hex), std::string::npos) << name << " holds a key in HEX";
      EXPECT_EQ(text.find(k.base64), std::string::npos) << name << " holds a key in base64";
      EXPECT_EQ(text.find(k.raw), std::string::npos) << name << " holds raw key bytes";
    }
    EXPECT_EQ(text.find("/key/swarm/psk/1.0.0/"), std::string::npos) << name << " holds a key file";
  }
}

}  // namespace
}  // namespace keyd::testing
