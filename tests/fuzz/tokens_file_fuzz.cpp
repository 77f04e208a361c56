// The daemon's tokens file (keyd/adapters/http/tokens_file.cpp: "<sha256 hex> <caller name>" per
// line, '#' comments) and the authenticator made from it.
// The input: "<tokens file text>\x00<token A>\x00<token B>".
// Asserts: an error is invalid_config naming the file and a line that exists; with a line for
// token A's SHA-256 appended (name "fuzz-a"), the file loads whenever the fuzzed part did, and
// A authenticates as "token:fuzz-a" with write rights; B (≠ A) is never taken for A; no error
// carries a token; a token whose digest differs from A's only in its last byte is refused.
#include "fuzz_check.hpp"
#include "keyd/adapters/http/http_server.hpp"
#include "keyd/common/digest.hpp"
#include "temp_file.hpp"

#include <string>

namespace {


std::size_t lines_in(std::string_view text) {
  std::size_t lines = 0;
  for (std::size_t at = 0; at < text.size(); ++lines) {
    const auto nl = text.find('\n', at);
    at = nl == std::string_view::npos ? text.size() : nl + 1;
  }
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace keyd;
  fuzz::Splitter parts(fuzz::as_text(data, size), std::string_view("\0", 1));
  const std::string file_text(parts.next());
  const std::string token_a(parts.next());
  const std::string token_b(parts.next());
  const auto& dir = fuzz::temp_dir();

  const auto file = dir.write("tokens", file_text);
  const auto plain = adapters::make_tokens_file_authenticator(file.string());
  if (!plain) {
    FUZZ_CHECK(plain.error().code == ErrorCode::invalid_config);
    const auto& message = plain.error().message;
    FUZZ_CHECK(message.starts_with("tokens file " + file.string()));
    const auto line_at = message.find(file.string() + ":");
    if (line_at != std::string::npos) {
      const auto number = std::stoul(message.substr(line_at + file.string().size() + 1));
      FUZZ_CHECK(number >= 1 && number <= lines_in(file_text));
    }
    return 0;
  }
  if (token_a.empty()) return 0;
  const auto digest_a = sha256(token_a);
  FUZZ_CHECK(digest_a.has_value());
  std::string with_a = file_text;
  if (!with_a.empty() && with_a.back() != '\n') with_a += '\n';
  with_a += fuzz::hex(*digest_a) + " fuzz-a\n";
  const auto auth = adapters::make_tokens_file_authenticator(dir.write("tokens", with_a).string());
  FUZZ_CHECK(auth.has_value());
  const auto a = (*auth)->authenticate(token_a);
  FUZZ_CHECK(a.has_value() && a->has_value());
  FUZZ_CHECK((*a)->name == "token:fuzz-a");
  FUZZ_CHECK((*a)->may_write);
  if (token_b != token_a) {
    const auto b = (*auth)->authenticate(token_b);
    FUZZ_CHECK(b.has_value());
    FUZZ_CHECK(!b->has_value() || (*b)->name != "token:fuzz-a");
  }
  // A file line whose digest shares all but the last byte with A's: A must not match it.
  auto near = *digest_a;
  near.back() = static_cast<unsigned char>(near.back() ^ 1U);
  const auto near_auth =
      adapters::make_tokens_file_authenticator(dir.write("tokens", fuzz::hex(near) + " near\n").string());
  FUZZ_CHECK(near_auth.has_value());
  const auto refused = (*near_auth)->authenticate(token_a);
  FUZZ_CHECK(refused.has_value() && !refused->has_value());
  return 0;
}
