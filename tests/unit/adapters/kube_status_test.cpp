// The pure Kubernetes API layer: status mapping, paths, names, selectors, base64.
#include "kube/kube_json.hpp"
#include "kube/kube_names.hpp"
#include "kube/kube_paths.hpp"
#include "kube/kube_status.hpp"

#include "keyd/common/base64.hpp"  // Secret data's base64 lives there now

#include <gtest/gtest.h>

#include <string>

namespace keyd::adapters::kube {
namespace {

std::string code_of(const Error& e) { return std::string(to_string(e.code)); }

TEST(KubeStatus, MapsEveryStatusOnce) {
  struct Case {
    int status;
    const char* body;
    const char* code;
    const char* message;
    const char* why;
  };
  const char* what = "kubernetes GET /api/v1/namespaces/ipfs/secrets/k";
  for (const Case& c : {
           Case{404,
                R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"secrets \"k\" not found","reason":"NotFound","details":{"name":"k","kind":"secrets"},"code":404})",
                "not_found", "404 secrets \"k\" not found", "NotFound keeps the server's message"},
           Case{409,
                R"({"kind":"Status","message":"Operation cannot be fulfilled on secrets \"k\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","code":409})",
                "conflict", "409 Operation cannot be fulfilled on secrets \"k\"", "stale resourceVersion"},
           Case{409, R"({"kind":"Status","message":"secrets \"k\" already exists","reason":"AlreadyExists","code":409})",
                "conflict", "409 secrets \"k\" already exists", "create of an existing object"},
           Case{403,
                R"({"kind":"Status","message":"secrets \"k\" is forbidden: User \"u\" cannot update resource \"secrets\" in API group \"\" in the namespace \"ipfs\"","reason":"Forbidden","code":403})",
                "unauthorized", "cannot update resource \"secrets\"", "403 names verb and resource"},
           Case{401, R"({"kind":"Status","message":"Unauthorized","reason":"Unauthorized","code":401})", "unauthorized",
                "401 Unauthorized", "rejected credentials"},
           Case{422,
                R"({"kind":"Status","message":"Secret \"k\" is invalid: data: Forbidden: field is immutable when `immutable` is set","reason":"Invalid","details":{"name":"k","kind":"Secret","causes":[{"reason":"FieldValueForbidden","message":"Forbidden: field is immutable when `immutable` is set","field":"data"}]},"code":422})",
                "invalid_input", "422 Secret \"k\" is invalid: data: Forbidden: field is immutable", "cause already in the message"},
           Case{422,
                R"({"kind":"Status","message":"invalid","reason":"Invalid","details":{"causes":[{"message":"Required value","field":"metadata.name"}]},"code":422})",
                "invalid_input", "422 invalid; metadata.name: Required value", "causes are appended"},
           Case{429, R"({"kind":"Status","message":"Too many requests","reason":"TooManyRequests","code":429})",
                "unavailable", "429 Too many requests", "throttled"},
           Case{503, "<html>busy</html>", "unavailable", "503 the API server is unavailable", "not a Status body"},
           Case{400, "", "invalid_input", "400 invalid request", "empty body"},
           Case{418, "", "internal", "418 unexpected status", "anything else"},
       }) {
    const Error e = status_error(what, c.status, Secret::from_text(c.body));
    EXPECT_EQ(code_of(e), c.code) << c.why;
    EXPECT_TRUE(e.message.starts_with(what)) << c.why << ": " << e.message;
    EXPECT_NE(e.message.find(c.message), std::string::npos) << c.why << ": " << e.message;
  }
  EXPECT_TRUE(is_retryable_status(429));
  EXPECT_TRUE(is_retryable_status(500));
  EXPECT_TRUE(is_retryable_status(504));
  EXPECT_FALSE(is_retryable_status(409));
  EXPECT_FALSE(is_retryable_status(404));
}

TEST(KubeStatus, LongMessagesAreClipped) {
  const std::string body = R"({"kind":"Status","message":")" + std::string(2000, 'x') + R"(","code":500})";
  const Error e = status_error("w", 500, Secret::from_text(body));
  EXPECT_LT(e.message.size(), 500U);
}

TEST(KubeStatus, PathsAndWorkloadKinds) {
  EXPECT_EQ(secret_path("ipfs", "k"), "/api/v1/namespaces/ipfs/secrets/k");
  EXPECT_EQ(secrets_path("ipfs"), "/api/v1/namespaces/ipfs/secrets");
  EXPECT_EQ(pods_path("ipfs"), "/api/v1/namespaces/ipfs/pods");
  EXPECT_EQ(pod_path("ipfs", "ipfs-0"), "/api/v1/namespaces/ipfs/pods/ipfs-0");
  EXPECT_EQ(events_path("ipfs"), "/api/v1/namespaces/ipfs/events");
  for (const char* kind : {"StatefulSet", "statefulset", "statefulsets", "sts", "STS"}) {
    const auto t = workload_type(kind);
    ASSERT_TRUE(t) << kind;
    EXPECT_EQ(workload_path(*t, "ipfs", "ipfs"), "/apis/apps/v1/namespaces/ipfs/statefulsets/ipfs") << kind;
  }
  EXPECT_EQ(workload_type("Deployment")->resource, "deployments");
  EXPECT_EQ(workload_type("deploy")->kind, domain::WorkloadKind::deployment);
  EXPECT_EQ(workload_type("DaemonSet")->short_name, "ds");
  const auto bad = workload_type("CronJob");
  ASSERT_FALSE(bad);
  EXPECT_EQ(code_of(bad.error()), "invalid_config");
  EXPECT_NE(bad.error().message.find("StatefulSet, Deployment or DaemonSet"), std::string::npos);
}

TEST(KubeStatus, NamesKeysAndQueries) {
  for (const char* ok : {"ipfs", "ipfs-swarm-key", "a.b-c", "0x"}) EXPECT_TRUE(check_object_name("secret", ok)) << ok;
  for (const char* bad : {"", "Ipfs", "-a", "a-", "a_b", "a/b", "a b"}) {
    EXPECT_FALSE(check_object_name("secret", bad)) << bad;
  }
  for (const char* ok : {"swarm.key", "SWARM_KEY", "a-b"}) EXPECT_TRUE(check_data_key(ok)) << ok;
  for (const char* bad : {"", ".", "..", "a/b", "a b"}) EXPECT_FALSE(check_data_key(bad)) << bad;
  EXPECT_EQ(query_escape("app=ipfs,tier in (a,b)"), "app%3Dipfs%2Ctier%20in%20%28a%2Cb%29");
}

TEST(KubeStatus, SelectorsInQuerySyntax) {
  const auto sel = SecretJson::parse(R"({"matchLabels":{"app":"ipfs","tier":"p2p"},"matchExpressions":[
      {"key":"zone","operator":"In","values":["a","b"]},{"key":"old","operator":"NotIn","values":["x"]},
      {"key":"ready","operator":"Exists"},{"key":"gone","operator":"DoesNotExist"}]})");
  const auto text = selector_string(sel);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text, "app=ipfs,tier=p2p,zone in (a,b),old notin (x),ready,!gone");
  EXPECT_FALSE(selector_string(SecretJson::object())) << "an empty selector would select every pod";
  EXPECT_FALSE(selector_string(SecretJson::parse(R"({"matchExpressions":[{"key":"a","operator":"Gt"}]})")));
}

TEST(KubeStatus, Base64RoundTrip) {
  for (const std::string text : {"", "a", "ab", "abc", "abcd", "/key/swarm/psk/1.0.0/\n/base16/\n00ff\n"}) {
    const auto encoded = base64_encode(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    const auto decoded = base64_decode(encoded.reveal_text());
    ASSERT_TRUE(decoded) << text;
    EXPECT_EQ(decoded->reveal_text(), text);
  }
  EXPECT_EQ(std::string(base64_encode(std::span(reinterpret_cast<const std::uint8_t*>("hi"), 2)).reveal_text()), "aGk=");
  EXPECT_FALSE(base64_decode("abc"));
  EXPECT_FALSE(base64_decode("ab!d"));
}

TEST(KubeStatus, FieldAccess) {
  const auto doc = SecretJson::parse(R"({"a":{"b":{"c":"x","n":7}},"s":1})");
  EXPECT_EQ(string_at(doc, {"a", "b", "c"}), "x");
  EXPECT_EQ(string_at(doc, {"a", "b", "n"}), "");
  EXPECT_EQ(int_at(doc, {"a", "b", "n"}), 7);
  EXPECT_EQ(int_at(doc, {"a", "x"}, -1), -1);
  EXPECT_EQ(find_at(doc, {"s", "t"}), nullptr);
  const ApiStatus st = parse_status(Secret::from_text(R"({"message":"m","reason":"Invalid","details":{"causes":[{"field":"f","message":"bad"}]}})"));
  EXPECT_EQ(st.message, "m");
  EXPECT_EQ(st.reason, "Invalid");
  ASSERT_EQ(st.causes.size(), 1U);
  EXPECT_EQ(st.causes[0], "f: bad");
}

// A Status may quote what was sent (a Secret's data) and a server or proxy may say anything: keyd's
// error keeps the server's words but never a key-shaped run (fuzz finding 8: a 409 whose message
// held 64 hex digits was quoted whole).
TEST(KubeStatus, AQuotedMessageNeverCarriesAKeyShapedRun) {
  const std::string hex(64, 'a');
  const std::string b64 = "q83vEjRWeJq8PJ8Lk1oFHQ+3TgKZwTjxCV5ARdC2s0E=";
  for (const std::string& run : {hex, b64}) {
    for (const int status : {400, 403, 409, 422, 500}) {
      const std::string text = R"({"kind":"Status","message":"Operation cannot be fulfilled on secrets \"k\": data )" + run +
                               R"(","reason":"Conflict","details":{"causes":[{"field":"data[swarm.key]","message":")" + run +
                               R"( is invalid"}]},"code":409})";
      const Error e = status_error("kubernetes PUT /api/v1/namespaces/ipfs/secrets/k", status, Secret::from_text(text));
      EXPECT_EQ(e.message.find(run.substr(0, 16)), std::string::npos) << e.message;
      EXPECT_NE(e.message.find("Operation cannot be fulfilled"), std::string::npos) << e.message;
      EXPECT_NE(e.message.find("<redacted>"), std::string::npos) << e.message;
    }
  }
}

// nlohmann's dump() throws type_error 316 on bytes that are not UTF-8: a request body is built,
// whatever its text, with U+FFFD in their place.
TEST(KubeJson, ABodyWithTextThatIsNotUtf8IsReplacedNotThrown) {
  const auto body = to_body(SecretJson{{"metadata", {{"labels", {{"app", "ipfs\xff"}}}}}});
  EXPECT_EQ(body.reveal_text(), "{\"metadata\":{\"labels\":{\"app\":\"ipfs\xef\xbf\xbd\"}}}");
}

}  // namespace
}  // namespace keyd::adapters::kube
