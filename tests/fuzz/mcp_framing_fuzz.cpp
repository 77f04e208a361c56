// The MCP client's JSON-RPC framing (keyd/adapters/mcp/json_rpc.cpp: RpcClient): the input is what
// the server prints on stdout, delivered through an in-memory RpcChannel (no process) in reads cut
// at points the input chooses. keyd sends tools/list requests (ids 1, 2, …) until the stream breaks
// or ends. Byte 0: the read sizes (1 + a multiple of it, cycling); the rest: the server's stdout.
// Asserts: no exception escapes; a result is the `result` of a line whose id is the request's id (a
// request keyd sent), never a notification's or a server request's; a JSON-RPC error answer and
// every other error carry no key-shaped run and no swarm key; keyd answers each server request it
// reads; delivering the stream in one read gives the same outcomes and the same writes (differential).
#include "fuzz_check.hpp"
#include "leak_check.hpp"
#include "mcp/json_rpc.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace {

using namespace keyd;
using namespace keyd::adapters::mcp;

class StreamChannel final : public RpcChannel {
 public:
  StreamChannel(std::string_view stream, std::size_t step) : m_stream(stream), m_step(step) {}

  Status write_all(std::string_view bytes, Deadline /*deadline*/) override {
    writes.emplace_back(bytes);
    return {};
  }
  ReadOutcome read_stdout(adapters::detail::WipedString& out, Deadline /*deadline*/) override {
    if (m_at == m_stream.size()) return ReadOutcome::eof;
    // Sizes 1, 1+step, 1+2·step, … (mod 97), so reads split lines, JSON tokens and UTF-8 anywhere.
    const std::size_t size = m_step == 0 ? m_stream.size() : 1 + (m_step * m_reads++) % 97;
    const auto part = m_stream.substr(m_at, size);
    out.append(part.begin(), part.end());
    m_at += part.size();
    return ReadOutcome::data;
  }
  std::string exit_description(std::chrono::milliseconds /*wait*/) override { return "exited with status 0"; }
  std::string last_stderr_line() override { return {}; }

  std::vector<std::string> writes;

 private:
  std::string_view m_stream;
  std::size_t m_step;
  std::size_t m_at = 0;
  std::size_t m_reads = 0;
};

struct Outcome {
  std::vector<std::string> results;  // "ok <result>" or "error <code> <message>" per request
  std::vector<std::string> writes;
};

// The lines of the stream that answer request `id` (no method, integer id equal to it), parsed.
std::vector<nlohmann::json> answers_to(std::string_view stream, std::int64_t id) {
  std::vector<nlohmann::json> answers;
  fuzz::Splitter lines(stream, "\n");
  for (auto line = lines.next(); !line.empty() || !lines.rest().empty(); line = lines.next()) {
    const auto message = nlohmann::json::parse(line, nullptr, false);
    if (!message.is_object() || message.contains("method")) continue;
    const auto it = message.find("id");
    if (it != message.end() && it->is_number_integer() && it->get<std::int64_t>() == id) answers.push_back(message);
  }
  return answers;
}

Outcome converse(std::string_view stream, std::size_t step) {
  StreamChannel channel(stream, step);
  RpcClient rpc(channel, "MCP server 'fuzz'");
  const auto deadline = SteadyClock::now() + std::chrono::hours(1);
  Outcome outcome;
  for (std::int64_t id = 1; id <= 16 && !rpc.broken(); ++id) {
    auto result = rpc.request("tools/list", SecretJson::object(), deadline);
    if (!result) {
      const auto& message = result.error().message;
      FUZZ_CHECK(message.starts_with("MCP server 'fuzz'"));
      fuzz::check_no_key_in(message);
      fuzz::check_redacted(message);
      outcome.results.push_back(fmt::format("error {} {}", static_cast<int>(result.error().code), message));
      continue;
    }
    FUZZ_CHECK(result->is_object());
    const auto dumped = result->dump();  // parsed from JSON: valid UTF-8, dump cannot throw
    const auto got = nlohmann::json::parse(dumped.begin(), dumped.end());
    bool found = false;
    for (const auto& answer : answers_to(stream, id)) found = found || (answer.contains("result") && answer["result"] == got);
    FUZZ_CHECK(found);
    outcome.results.push_back("ok " + std::string(dumped.begin(), dumped.end()));
  }
  outcome.writes = std::move(channel.writes);
  // Every write is one JSON-RPC message on one line.
  for (const auto& line : outcome.writes) {
    FUZZ_CHECK(line.ends_with('\n') && line.find('\n') == line.size() - 1);
    FUZZ_CHECK(nlohmann::json::parse(line, nullptr, false).is_object());
  }
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto stream = fuzz::as_text(data + 1, size - 1);
  const auto chunked = converse(stream, 1 + data[0]);
  const auto whole = converse(stream, 0);
  FUZZ_CHECK(chunked.results == whole.results);
  FUZZ_CHECK(chunked.writes == whole.writes);
  return 0;
}
