// Malformed and ambiguous requests over a socket (issue 15 items 2-3): each gets the status the
// parser assigns, with a JSON body and Connection: close, and never reaches the handler.
#include "api_server_abuse_helpers.hpp"

#include <vector>

namespace keyd::adapters::abuse {
namespace {

class ApiServerSmuggling : public AbuseServerTest {};

TEST_F(ApiServerSmuggling, AmbiguousOrOversizedRequestsAreRefusedWithTheirStatus) {
  start();
  const std::string post = "POST /v1/swarms/s1/sync HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good\r\n";
  struct Case {
    std::string bytes;
    int status;
    const char* why;
  };
  std::string many_headers = "GET /v1/swarms HTTP/1.1\r\n";
  for (int i = 0; i < 101; ++i) many_headers += "X-H" + std::to_string(i) + ": v\r\n";
  const std::vector<Case> cases{
      {post + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400, "conflicting Content-Length"},
      {post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "Content-Length and chunked"},
      {post + "Transfer-Encoding: gzip\r\n\r\n", 501, "unknown transfer encoding"},
      {post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501, "two encodings"},
      {"GET /v1/swarms HTTP/1.1\r\nHost: x\r\nX-A: a\r\n folded\r\n\r\n", 400, "obs-fold"},
      {"GET /v1/swarms HTTP/1.1\r\nHost: x\rX-A: a\r\n\r\n", 400, "bare CR"},
      {"GET /v1/swarms HTTP/2.0\r\nHost: x\r\n\r\n", 505, "HTTP/2 over HTTP/1 framing"},
      {"GET /" + std::string(9 * 1024, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "a 9 KiB request line"},
      {"GET /v1/swarms HTTP/1.1\r\nX-Big: " + std::string(17 * 1024, 'a') + "\r\n\r\n", 431, "a 17 KiB head"},
      {many_headers + "\r\n", 431, "101 headers"},
      {post + "Content-Length: -1\r\n\r\n", 400, "negative length"},
      {post + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "bad chunk size"},
  };
  for (const Case& c : cases) {
    RawClient client(server->port());
    client.send(c.bytes);
    const std::string answer = client.receive(3s, "}\n");
    EXPECT_EQ(status_of(answer), c.status) << c.why << ": " << answer.substr(0, 200);
    EXPECT_NE(answer.find("Connection: close"), std::string::npos) << c.why;
    EXPECT_NE(answer.find("{\"error\":"), std::string::npos) << c.why;
  }
  EXPECT_EQ(handler.calls, 0);
}

TEST_F(ApiServerSmuggling, PipelinedRequestsAreAnsweredInOrderOneAtATime) {
  start();
  RawClient client(server->port());
  client.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nAuthorization: Bearer good\r\n"
              "Content-Length: 3\r\n\r\nabcGET /c HTTP/1.1\r\nConnection: close\r\n\r\n");
  const std::string answer = client.receive(3s);
  EXPECT_TRUE(client.closed_by_peer);
  std::size_t responses = 0;
  for (std::size_t at = answer.find("HTTP/1.1 200"); at != std::string::npos; at = answer.find("HTTP/1.1 200", at + 1)) {
    ++responses;
  }
  EXPECT_EQ(responses, 3u) << answer;
  EXPECT_NE(answer.find("\"body_size\":3"), std::string::npos);
  EXPECT_EQ(handler.calls, 3);
}

}  // namespace
}  // namespace keyd::adapters::abuse
