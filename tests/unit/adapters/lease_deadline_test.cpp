// The Lease elector against an API server that hangs (issue 15 item 7: the daemon's stop path is
// bounded): a round and the release on SIGTERM make one attempt per call, each within half the
// renew deadline, instead of four attempts of the 30 s request timeout (two minutes per call).
#include "keyd/adapters/election/leader_election.hpp"
#include "kube/kube_api.hpp"

#include "kube_test_helpers.hpp"
#include "support/test_support.hpp"

#include <fmt/format.h>

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace keyd::adapters {
namespace {

using namespace std::chrono_literals;

// Answers from a script; a missing answer is a timeout, as from an API server that hangs.
struct Script {
  std::deque<std::pair<int, std::string>> answers;
  std::vector<std::pair<std::string, std::chrono::milliseconds>> sent;  // method, total timeout
};

class ScriptedTransport final : public ports::HttpTransport {
 public:
  explicit ScriptedTransport(std::shared_ptr<Script> script) : m_script(std::move(script)) {}
  Result<ports::HttpResponse> send(const ports::HttpRequest& request) override {
    m_script->sent.emplace_back(request.method, request.total_timeout);
    if (m_script->answers.empty()) {
      return fail(ErrorCode::timeout, fmt::format("{} {}: no answer within {} ms", request.method, request.url,
                                                  request.total_timeout.count()));
    }
    auto [status, body] = std::move(m_script->answers.front());
    m_script->answers.pop_front();
    ports::HttpResponse response;
    response.status = status;
    response.body = Secret::from_text(body);
    return response;
  }

 private:
  std::shared_ptr<Script> m_script;
};

class LeaseDeadlineTest : public ::testing::Test {
 protected:
  std::unique_ptr<ports::LeaderElector> elector() {
    KubeConnection conn;
    conn.server = "https://kube.test:6443";
    conn.default_namespace = "default";
    conn.credentials = std::make_shared<kube_test::StaticCredentials>("token");
    conn.description = "test connection";
    auto api = std::make_shared<KubeApi>(conn, clock, fixed_random, [script = script](const ports::TlsOptions&) {
      return Result<std::unique_ptr<ports::HttpTransport>>(std::make_unique<ScriptedTransport>(script));
    });
    LeaseOptions options;
    options.namespace_name = "default";
    options.identity = "keyd-a";
    options.renew_deadline = 10s;
    return make_lease_elector(options, api, clock);
  }

  testing::FakeClock clock;
  testing::FixedRandom fixed_random;
  std::shared_ptr<Script> script = std::make_shared<Script>();
};

TEST_F(LeaseDeadlineTest, ARoundAgainstAHungApiServerIsOneAttemptWithinHalfTheRenewDeadline) {
  auto e = elector();
  const auto status = e->step();
  EXPECT_FALSE(status.leading);
  EXPECT_NE(status.error.find("no answer"), std::string::npos) << status.error;
  ASSERT_EQ(script->sent.size(), 1U) << "the next round is the retry";
  EXPECT_EQ(script->sent[0].first, "GET");
  EXPECT_LE(script->sent[0].second, 5s);
}

TEST_F(LeaseDeadlineTest, TheReleaseOnStopIsBoundedToo) {
  const std::string lease = R"({"metadata":{"name":"keyd","namespace":"default","resourceVersion":"1"},)"
                            R"("spec":{"holderIdentity":"keyd-a","leaseDurationSeconds":15,"leaseTransitions":0}})";
  script->answers = {{404, R"({"kind":"Status","code":404,"reason":"NotFound"})"}, {201, lease}};
  auto e = elector();
  ASSERT_TRUE(e->step().leading);
  script->sent.clear();
  const auto released = e->release();  // the API server hangs from now on
  EXPECT_FALSE(released);
  ASSERT_EQ(script->sent.size(), 1U);
  EXPECT_LE(script->sent[0].second, 5s);
}

}  // namespace
}  // namespace keyd::adapters
