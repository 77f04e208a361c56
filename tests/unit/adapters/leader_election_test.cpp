// Leader election: the file lock (two electors, a killed holder) and the Lease against the
// kube-apiserver double with the fake clock (one leader, takeover after expiry, release, renew deadline).
#include "keyd/adapters/election/leader_election.hpp"

#include "kube_test_helpers.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

namespace keyd::adapters {
namespace {

using namespace std::chrono_literals;
using kube_test::connection_to;
using nlohmann::json;

TEST(FileLockElector, OneHolderAtATimeAndReleaseHandsOver) {
  testing::TempDir dir;
  const auto path = dir / "run" / "daemon.lock";  // the directory is created on demand
  auto a = make_file_lock_elector(path, "a");
  auto b = make_file_lock_elector(path, "b");
  EXPECT_EQ(a->describe(), "lock file " + path.string());

  const auto first = a->step();
  EXPECT_TRUE(first.leading);
  EXPECT_TRUE(first.known);
  const auto second = b->step();
  EXPECT_FALSE(second.leading);
  EXPECT_TRUE(second.known);
  EXPECT_EQ(second.holder, "a");
  EXPECT_EQ(second.error, "");
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(a->step().leading);
    EXPECT_FALSE(b->step().leading);
  }
  ASSERT_TRUE(a->release());
  EXPECT_TRUE(b->step().leading);
  EXPECT_FALSE(a->step().leading);
  EXPECT_EQ(a->step().holder, "b");
}

TEST(FileLockElector, AKilledHolderLosesTheLockAtOnce) {
  testing::TempDir dir;
  const auto path = dir / "daemon.lock";
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto holder = make_file_lock_elector(path, "child");
    const char ok = holder->step().leading ? 'y' : 'n';
    (void)::write(ready[1], &ok, 1);
    ::pause();  // until killed
    ::_exit(0);
  }
  ::close(ready[1]);
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  ::close(ready[0]);
  ASSERT_EQ(ok, 'y');
  auto follower = make_file_lock_elector(path, "parent");
  const auto before = follower->step();
  EXPECT_FALSE(before.leading);
  EXPECT_EQ(before.holder, "child");
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(follower->step().leading);
}

TEST(FileLockElector, AnUnusableLockFileIsAnErrorNotLeadership) {
  testing::TempDir dir;
  testing::write_file(dir / "file", "x");
  auto elector = make_file_lock_elector(dir / "file" / "daemon.lock", "a");  // a parent that is a file
  const auto status = elector->step();
  EXPECT_FALSE(status.leading);
  EXPECT_FALSE(status.known);
  EXPECT_NE(status.error.find("daemon.lock"), std::string::npos) << status.error;
}

class LeaseElectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { s_kube = std::make_unique<testing::KubeDouble>(); }
  static void TearDownTestSuite() { s_kube.reset(); }
  void SetUp() override { kube().reset(); }
  static testing::KubeDouble& kube() { return *s_kube; }

  std::unique_ptr<ports::LeaderElector> elector(const std::string& identity) {
    auto api = make_kube_api(connection_to(kube(), kube().admin_token()), clock, fixed_random);
    EXPECT_TRUE(api) << api.error().message;
    LeaseOptions options;
    options.namespace_name = "default";
    options.name = "keyd";
    options.identity = identity;
    return make_lease_elector(options, *api, clock);
  }

  [[nodiscard]] json lease() const { return kube().object("coordination.k8s.io", "leases", "default", "keyd"); }

  testing::FakeClock clock;
  testing::FixedRandom fixed_random;
  inline static std::unique_ptr<testing::KubeDouble> s_kube;
};

TEST_F(LeaseElectorTest, ExactlyOneLeaderOverManyRounds) {
  auto a = elector("keyd-a");
  auto b = elector("keyd-b");
  EXPECT_EQ(a->describe(), "lease default/keyd");
  for (int round = 0; round < 20; ++round) {
    // Alternate who goes first: the holder keeps it either way.
    const auto sa = round % 2 == 0 ? a->step() : ports::LeadershipStatus{};
    const auto sb = b->step();
    const auto sa2 = round % 2 == 1 ? a->step() : sa;
    ASSERT_TRUE(sa2.leading) << "round " << round;
    ASSERT_FALSE(sb.leading) << "round " << round;
    ASSERT_TRUE(sb.known);
    ASSERT_EQ(sb.holder, "keyd-a");
    clock.advance(2s);
  }
  const json l = lease();
  EXPECT_EQ(l["spec"]["holderIdentity"], "keyd-a");
  EXPECT_EQ(l["spec"]["leaseDurationSeconds"], 15);
  EXPECT_EQ(l["spec"]["leaseTransitions"], 0);
  EXPECT_EQ(l["spec"]["renewTime"], ports::format_rfc3339(clock.now() - 2s).substr(0, 26) + "Z");
}

TEST_F(LeaseElectorTest, AFollowerTakesOverWithinLeaseDurationPlusRetryPeriod) {
  auto a = elector("keyd-a");
  auto b = elector("keyd-b");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(a->step().leading);
    ASSERT_FALSE(b->step().leading);
    clock.advance(2s);
  }
  const auto last_renew = clock.now() - 2s;  // a is "killed": it never steps again
  std::optional<std::chrono::system_clock::time_point> took_over;
  for (int i = 0; i < 20 && !took_over; ++i) {
    if (b->step().leading) took_over = clock.now();
    clock.advance(2s);
  }
  ASSERT_TRUE(took_over);
  EXPECT_GE(*took_over - last_renew, 15s) << "took over before the lease expired";
  EXPECT_LE(*took_over - last_renew, 15s + 2s) << "later than lease duration + retry period";
  const json l = lease();
  EXPECT_EQ(l["spec"]["holderIdentity"], "keyd-b");
  EXPECT_EQ(l["spec"]["leaseTransitions"], 1);
  EXPECT_EQ(l["spec"]["acquireTime"], ports::format_rfc3339(*took_over).substr(0, 26) + "Z");
  // The old leader, back from a pause, sees the new holder and does not lead.
  const auto back = a->step();
  EXPECT_FALSE(back.leading);
  EXPECT_EQ(back.holder, "keyd-b");
}

TEST_F(LeaseElectorTest, ReleaseLetsAFollowerLeadAtItsNextStep) {
  auto a = elector("keyd-a");
  auto b = elector("keyd-b");
  ASSERT_TRUE(a->step().leading);
  ASSERT_FALSE(b->step().leading);
  ASSERT_TRUE(a->release());
  json l = lease();
  EXPECT_EQ(l["spec"]["holderIdentity"], "");
  EXPECT_EQ(l["spec"]["leaseDurationSeconds"], 1);
  clock.advance(2s);
  EXPECT_TRUE(b->step().leading);
  l = lease();
  EXPECT_EQ(l["spec"]["holderIdentity"], "keyd-b");
  EXPECT_EQ(l["spec"]["leaseTransitions"], 1);
  ASSERT_TRUE(a->release());  // not leading: nothing to do, and b keeps it
  EXPECT_EQ(lease()["spec"]["holderIdentity"], "keyd-b");
}

TEST_F(LeaseElectorTest, ALeaderThatCannotRenewStepsDownAtTheRenewDeadline) {
  auto a = elector("keyd-a");
  ASSERT_TRUE(a->step().leading);
  kube().control("POST", "faults", {{"method", "PUT"}, {"path", "/leases/keyd$"}, {"status", 403}, {"times", 100}});
  clock.advance(2s);
  auto s = a->step();
  EXPECT_TRUE(s.leading) << "still inside the renew deadline";
  EXPECT_NE(s.error.find("lease default/keyd"), std::string::npos) << s.error;
  clock.advance(7s);
  EXPECT_TRUE(a->step().leading);
  clock.advance(1s);  // 10 s since the last renewal
  s = a->step();
  EXPECT_FALSE(s.leading);
  EXPECT_FALSE(s.error.empty());
}

TEST_F(LeaseElectorTest, TwoCandidatesRacingForANewLeaseGetOneWinner) {
  auto a = elector("keyd-a");
  auto b = elector("keyd-b");
  // b creates the lease between a's GET (404) and a's POST: a's create fails with 409 AlreadyExists.
  kube().control("POST", "faults", {{"method", "POST"}, {"path", "/leases$"}, {"status", 409}, {"times", 1}});
  EXPECT_FALSE(a->step().leading);
  EXPECT_TRUE(b->step().leading);
  EXPECT_FALSE(a->step().leading);
}

// Fuzz finding 17: a Lease whose spec is not an object (a broken or hostile API server) made the
// elector throw out of step() — std::terminate in the daemon. It is an error naming the lease.
TEST_F(LeaseElectorTest, ALeaseWhoseSpecIsNotAnObjectIsAnErrorNotACrash) {
  auto a = elector("keyd-a");
  for (const json& spec : {json("Lease"), json::array({1, 2}), json(7)}) {
    json body = {{"apiVersion", "coordination.k8s.io/v1"},
                 {"kind", "Lease"},
                 {"metadata", {{"name", "keyd"}, {"namespace", "default"}, {"resourceVersion", "5"}}},
                 {"spec", spec}};
    kube().control("POST", "faults",
                   {{"method", "GET"}, {"path", "/leases/keyd$"}, {"status", 200}, {"body", body}, {"times", 1}});
    const auto s = a->step();
    EXPECT_FALSE(s.leading) << spec.dump();
    EXPECT_NE(s.error.find("lease default/keyd"), std::string::npos) << s.error;
    EXPECT_NE(s.error.find("spec"), std::string::npos) << s.error;
  }
  EXPECT_TRUE(a->step().leading);  // a well-formed answer again: it leads
}

}  // namespace
}  // namespace keyd::adapters
