// The KubeDouble fixture itself: HTTPS with its own CA, a kubeconfig naming that CA, plain HTTP,
// seeding and reading objects, tokens, the request log.
#include "keyd/adapters/curl/curl_transport.hpp"

#include "support/kube_double.hpp"

#include <gtest/gtest.h>

#include <string>

namespace keyd::testing {
namespace {

using nlohmann::json;

TEST(KubeDoubleFixture, ServesHttpsWithItsCaAndWritesAKubeconfig) {
  KubeDouble kube;
  EXPECT_EQ(kube.address(), "https://127.0.0.1:" + std::to_string(kube.port()));
  EXPECT_TRUE(kube.admin_token().starts_with("kd-"));
  const json config = json::parse(read_file(kube.kubeconfig_file()));
  EXPECT_EQ(config["clusters"][0]["cluster"]["server"], kube.address());
  EXPECT_EQ(config["clusters"][0]["cluster"]["certificate-authority"], kube.ca_file());
  EXPECT_EQ(config["users"][0]["user"]["token"], kube.admin_token());

  ports::TlsOptions tls;
  tls.ca_file = kube.ca_file();
  auto transport = adapters::make_curl_transport(tls);
  ASSERT_TRUE(transport) << transport.error().message;
  ports::HttpRequest request;
  request.method = "GET";
  request.url = kube.address() + "/api/v1/namespaces/default/secrets";
  request.headers.push_back({"Authorization", "Bearer " + kube.admin_token(), true});
  const auto response = (*transport)->send(request);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);

  const json log = kube.requests();
  ASSERT_EQ(log.size(), 1U);
  EXPECT_EQ(log[0]["resource"], "secrets");
  EXPECT_EQ(log[0]["user"], "admin");
  kube.clear_requests();
  EXPECT_TRUE(kube.requests().empty());
}

TEST(KubeDoubleFixture, SeedsReadsAndMergesObjectsOverPlainHttp) {
  KubeDoubleOptions options;
  options.tls = false;
  KubeDouble kube(options);
  EXPECT_TRUE(kube.address().starts_with("http://"));
  kube.create_object("", "secrets",
                     {{"apiVersion", "v1"},
                      {"kind", "Secret"},
                      {"metadata", {{"name", "s"}, {"namespace", "fixture"}}},
                      {"data", {{"a", "eA=="}}}});
  EXPECT_EQ(kube.object("", "secrets", "fixture", "s")["type"], "Opaque");
  kube.merge_object("", "secrets", "fixture", "s", {{"data", {{"b", "eQ=="}}}});
  EXPECT_EQ(kube.object("", "secrets", "fixture", "s")["data"], (json{{"a", "eA=="}, {"b", "eQ=="}}));
  EXPECT_TRUE(kube.object("", "secrets", "fixture", "missing").is_null());
  EXPECT_EQ(kube.objects("", "secrets", "fixture").size(), 1U);
  EXPECT_TRUE(kube.token_for("reader", json::array()).starts_with("kd-"));
  EXPECT_TRUE(kube.requests().empty()) << "fixture calls bypass the request log";
  kube.reset();
  EXPECT_TRUE(kube.object("", "secrets", "fixture", "s").is_null());
}

}  // namespace
}  // namespace keyd::testing
