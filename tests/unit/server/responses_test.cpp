// The API's JSON answers that carry no swarm state: errors and their status, a rotation report's
// status, and the key body, whose key text is escaped by hand into a buffer reserved up front.
#include "keyd/server/responses.hpp"

#include "keyd/domain/swarm_key.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace keyd::server {
namespace {

using nlohmann::json;

TEST(ApiResponses, ErrorsCarryTheirCodeAndAStatusPerErrorCode) {
  struct Case {
    ErrorCode code;
    int status;
  };
  for (const Case c :
       {Case{ErrorCode::not_found, 404}, Case{ErrorCode::conflict, 409}, Case{ErrorCode::unauthorized, 502},
        Case{ErrorCode::unavailable, 503}, Case{ErrorCode::timeout, 504}, Case{ErrorCode::invalid_input, 400},
        Case{ErrorCode::invalid_config, 400}, Case{ErrorCode::integrity, 500}, Case{ErrorCode::io, 500},
        Case{ErrorCode::internal, 500}}) {
    const auto r = from_error(Error{c.code, "what failed"});
    EXPECT_EQ(r.status, c.status) << to_string(c.code);
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(r.body, R"({"error":{"code":")" + std::string(to_string(c.code)) +
                          R"(","message":"what failed"}})"
                          "\n");
  }
}

TEST(ApiResponses, AReportWithAFailedTargetIs502) {
  app::KeyReport report;
  report.swarm = "s";
  report.version = 2;
  report.targets.push_back(app::TargetReport{"file /a", app::DeliveryOutcome::changed, ""});
  EXPECT_EQ(report_response(report).status, 200);
  report.targets.push_back(app::TargetReport{"file /b", app::DeliveryOutcome::failed, "EACCES"});
  const auto r = report_response(report);
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(json::parse(r.body)["targets"][1],
            (json{{"target", "file /b"}, {"outcome", "failed"}, {"error", "EACCES"}}));
}

TEST(JsonEscaping, QuotesBackslashesNewlinesAndControlCharacters) {
  std::string out = "x";
  append_json_escaped(out, "a\"b\\c\nd\te\x01\x1f/\xc3\xa9");
  EXPECT_EQ(out, "xa\\\"b\\\\c\\nd\\u0009e\\u0001\\u001f/\xc3\xa9");
}

TEST(KeyResponse, TheKeyGoesLastAndParsesBackExactly) {
  auto key = domain::generate_swarm_key();
  ASSERT_TRUE(key);
  ports::StoredVersion stored;
  stored.info.version = 3;
  stored.info.created_time = "2026-01-01T00:00:00Z";
  stored.data.key_text = key->canonical_text();
  stored.data.fingerprint = "00112233445566778899aabbccddeeff";
  const auto r = key_response("s", stored);
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(r.headers.size(), 1U);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Cache-Control", "no-store"}));
  EXPECT_TRUE(r.body.starts_with(
      R"({"created_time":"2026-01-01T00:00:00Z","fingerprint":"00112233445566778899aabbccddeeff","swarm":"s","version":3,"key":")"))
      << r.body;
  EXPECT_TRUE(r.body.ends_with("\"}\n"));
  EXPECT_EQ(json::parse(r.body)["key"], std::string(stored.data.key_text.reveal_text()));
}

// nlohmann's dump() throws type_error 316 on bytes that are not UTF-8; an error message or a stored
// version's fields can quote text from outside (a backend's answer, a file name). Replaced by U+FFFD.
TEST(ApiResponses, TextThatIsNotUtf8IsReplacedInsteadOfThrowing) {
  const auto r = from_error(Error{ErrorCode::unavailable, "backend said \xff\xfe"});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(json::parse(r.body)["error"]["message"], "backend said \xef\xbf\xbd\xef\xbf\xbd");
  ports::StoredVersion stored;
  stored.info.created_time = "2026-01-01\xc3";
  stored.data.key_text = Secret::from_text("k");
  const auto k = key_response("s", stored);
  EXPECT_EQ(json::parse(k.body)["created_time"], "2026-01-01\xef\xbf\xbd");
}

}  // namespace
}  // namespace keyd::server
