// A store write whose reply was lost (issue 14, item 2): after an ambiguous failure the use case
// reads version cas+1 back and treats the write as done only when it holds exactly what this run
// wrote; otherwise the failure stands as before.
#include "keyd/app/use_cases.hpp"
#include "keyd/domain/swarm_key.hpp"
#include "support/fakes.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <ostream>

#include <utility>

namespace keyd::app {
namespace {

constexpr const char* k_path = "ipfs-overlay/swarm-key";

// What a lossy write leaves at version cas+1.
enum class Lands {
  ours,          // this run's data: the write committed, only the reply was lost
  other,         // another writer's version
  other_issuer,  // this run's key, fingerprint and reason, but another issued_by
  nothing,       // nothing was stored
  ours_then_other,  // this run's data, then another writer's version cas+2
};

// An InMemoryStore whose next write stores what `lands` says and then fails with `lost`, as a
// store does when its reply is lost after (or without) the commit. Reads and metadata fail after
// that write while `reads_fail` is set.
class LossyStore final : public ports::SecretStore {
 public:
  [[nodiscard]] std::string describe() const override { return "lossy store"; }
  [[nodiscard]] ports::StoreCapabilities capabilities() const override { return caps; }
  Result<ports::PathMetadata> metadata(std::string_view path) override {
    if (m_failing_reads) return fail(ErrorCode::unavailable, "metadata: connection refused");
    return inner.metadata(path);
  }
  Result<ports::StoredVersion> read(std::string_view path, std::optional<int> version) override {
    ++reads;
    if (m_failing_reads) return fail(ErrorCode::unavailable, "read: connection refused");
    return inner.read(path, version);
  }
  Result<int> write(std::string_view path, const ports::VersionData& data, int cas) override {
    if (!lost) return inner.write(path, data, cas);
    const Error error = *std::exchange(lost, std::nullopt);
    auto other_key = domain::generate_swarm_key();
    if (lands == Lands::ours || lands == Lands::ours_then_other) {
      EXPECT_TRUE(inner.write(path, data, cas));
    }
    if (lands == Lands::other || lands == Lands::ours_then_other) {
      const int after = lands == Lands::other ? cas : cas + 1;
      EXPECT_TRUE(inner.write(path, {other_key->canonical_text(), other_key->fingerprint().hex(), "bob", "rotate"}, after));
    }
    if (lands == Lands::other_issuer) {
      EXPECT_TRUE(inner.write(path, {data.key_text.clone(), data.fingerprint, "bob", data.reason}, cas));
    }
    m_failing_reads = reads_fail;
    reads = 0;
    return fail(error);
  }

  testing::InMemoryStore inner;
  ports::StoreCapabilities caps;
  std::optional<Error> lost;
  Lands lands = Lands::ours;
  bool reads_fail = false;
  int reads = 0;  // read() calls since the lossy write

 private:
  bool m_failing_reads = false;
};

constexpr ports::StoreCapabilities k_vault_like{};
constexpr ports::StoreCapabilities k_mcp_like{.past_versions = false, .check_and_set = false};

struct Case {
  const char* why;
  ports::StoreCapabilities caps;
  ErrorCode lost;
  Lands lands;
  bool reads_fail;
  bool succeeds;
  const char* message;  // in the error when it fails
};

// Test names carry the case's reason (as words joined by '_'), not the bytes of the struct.
void PrintTo(const Case& c, std::ostream* out) {
  for (const char* p = c.why; *p != '\0'; ++p) *out << (std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_');
}

const Case k_cases[] = {
    {"a retried check-and-set write met its own first attempt", k_vault_like, ErrorCode::conflict, Lands::ours, false,
     true, ""},
    {"a 5xx after the commit, retries exhausted", k_vault_like, ErrorCode::unavailable, Lands::ours, false, true, ""},
    {"the reply timed out after the commit", k_vault_like, ErrorCode::timeout, Lands::ours, false, true, ""},
    {"an unexpected status after the commit", k_vault_like, ErrorCode::internal, Lands::ours, false, true, ""},
    {"MCP: vault_write failed after Vault stored it", k_mcp_like, ErrorCode::unavailable, Lands::ours, false, true,
     ""},
    {"MCP: vault_write's answer never came", k_mcp_like, ErrorCode::timeout, Lands::ours, false, true, ""},
    {"a concurrent writer won: still a conflict naming the winner", k_vault_like, ErrorCode::conflict, Lands::other,
     false, false, "expected current version 1, now 2); nothing was written"},
    {"the same key from another issuer is not this run's write", k_vault_like, ErrorCode::conflict,
     Lands::other_issuer, false, false, "expected current version 1, now 2"},
    {"a 5xx and another writer's version: the original error", k_vault_like, ErrorCode::unavailable, Lands::other,
     false, false, "lost reply"},
    {"MCP: another writer's version: the original error", k_mcp_like, ErrorCode::timeout, Lands::other, false, false,
     "lost reply"},
    {"a timeout and nothing stored: the original error", k_vault_like, ErrorCode::timeout, Lands::nothing, false,
     false, "lost reply"},
    {"the read-back fails: no proof, the original error", k_vault_like, ErrorCode::unavailable, Lands::ours, true,
     false, "lost reply"},
    {"the read-back fails after a conflict: the conflict, winner unknown", k_vault_like, ErrorCode::conflict,
     Lands::ours, true, false, "now unknown); nothing was written"},
    {"a refusal (403) is not ambiguous", k_vault_like, ErrorCode::unauthorized, Lands::nothing, false, false,
     "lost reply"},
};

class LostReplyFixture : public ::testing::Test {
 protected:
  LostReplyFixture() {
    swarm.name = "ipfs-overlay";
    swarm.path = k_path;
    auto t = std::make_unique<testing::FakeTarget>("t");
    target = t.get();
    swarm.targets.push_back(std::move(t));
  }

  // The result entries of rotations (each also has an "intent" entry before its store write).
  [[nodiscard]] std::vector<ports::AuditEvent> rotations() const {
    std::vector<ports::AuditEvent> out;
    for (const auto& e : audit.events)
      if (e.action == "rotate" && e.outcome != "intent") out.push_back(e);
    return out;
  }

  LossyStore store;
  testing::RecordingAudit audit;
  testing::FakeClock clock;
  Context ctx{store, audit, clock, "alice"};
  Swarm swarm;
  testing::FakeTarget* target = nullptr;
};

class LostReply : public LostReplyFixture, public ::testing::WithParamInterface<Case> {};

TEST_P(LostReply, IsASuccessExactlyWhenVersionCasPlusOneHoldsThisRunsData) {
  const Case& c = GetParam();
  SCOPED_TRACE(c.why);
  ASSERT_TRUE(rotate(ctx, swarm));  // version 1, delivered
  const std::string delivered = target->fingerprint;
  store.caps = c.caps;
  store.lost = Error{c.lost, "vault POST secret/data/ipfs-overlay/swarm-key: lost reply"};
  store.lands = c.lands;
  store.reads_fail = c.reads_fail;

  auto report = rotate(ctx, swarm);
  const auto audited = rotations();
  ASSERT_EQ(audited.size(), 2U);
  if (c.succeeds) {
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->version, 2);
    auto stored = store.inner.read(k_path, std::nullopt);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->info.version, 2);
    EXPECT_EQ(stored->data.fingerprint, report->fingerprint);
    EXPECT_EQ(store.inner.writes, 2);  // exactly one new version
    EXPECT_EQ(target->fingerprint, report->fingerprint);
    EXPECT_EQ(audited[1].outcome, "success");
    EXPECT_EQ(audited[1].version, 2);
    EXPECT_EQ(audited[1].fingerprint, report->fingerprint);
  } else {
    ASSERT_FALSE(report);
    EXPECT_EQ(report.error().code, c.lost);
    EXPECT_NE(report.error().message.find(c.message), std::string::npos) << report.error().message;
    EXPECT_EQ(target->fingerprint, delivered);
    EXPECT_EQ(audited[1].outcome, "failure");
  }
}

INSTANTIATE_TEST_SUITE_P(DecisionTable, LostReply, ::testing::ValuesIn(k_cases));

TEST_F(LostReplyFixture, ARefusalIsNotReadBack) {
  ASSERT_TRUE(rotate(ctx, swarm));
  store.lost = Error{ErrorCode::invalid_input, "vault POST secret/data/x: 400 bad request"};
  store.lands = Lands::nothing;
  ASSERT_FALSE(rotate(ctx, swarm));
  EXPECT_EQ(store.reads, 0);
}

// Vault reads past versions: this run's version counts even when a newer one followed it, and the
// delivery then catches up to the newer one.
TEST_F(LostReplyFixture, AVersionSupersededAfterItLandedIsStillThisRunsAndDeliveryCatchesUp) {
  ASSERT_TRUE(rotate(ctx, swarm));
  store.lost = Error{ErrorCode::timeout, "vault POST secret/data/x: timed out"};
  store.lands = Lands::ours_then_other;
  auto report = rotate(ctx, swarm);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->version, 2);
  EXPECT_EQ(store.inner.read(k_path, 2)->data.fingerprint, report->fingerprint);
  EXPECT_EQ(target->version, 3);
  EXPECT_EQ(target->fingerprint, store.inner.read(k_path, 3)->data.fingerprint);
  EXPECT_EQ(rotations().back().outcome, "success");
  EXPECT_EQ(rotations().back().version, 2);
}

// Without past versions (MCP) only the current version can prove it: a newer one hides ours.
TEST_F(LostReplyFixture, WithoutPastVersionsASupersededVersionIsNoProof) {
  ASSERT_TRUE(rotate(ctx, swarm));
  const std::string delivered = target->fingerprint;
  store.caps = k_mcp_like;
  store.lost = Error{ErrorCode::timeout, "tool vault_write: timed out"};
  store.lands = Lands::ours_then_other;
  auto report = rotate(ctx, swarm);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::timeout);
  EXPECT_EQ(target->fingerprint, delivered);
}

}  // namespace
}  // namespace keyd::app
