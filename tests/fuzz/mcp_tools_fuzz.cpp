// poly-secret-mcp's Vault tool results as keyd reads them (keyd/adapters/mcp/vault_tools.cpp) and
// the redaction of server text (mcp_text.cpp).
// The input: byte 0 picks the part; the rest is the tool's text (or the fields of a write).
// Asserts: what a failed tool said becomes not_found / unauthorized / unavailable with a message
// naming the tool and the path that has no swarm key, no control character and at most about 200
// characters of the server's text; the read output parser returns exactly data.data's fields;
// redact_for_message leaves no 16-hex-digit run; vault_write's arguments carry exactly the fields
// given, as "name=value" items, or refuse a value the vault CLI would read as a file or stdin.
#include "fuzz_check.hpp"
#include "leak_check.hpp"
#include "mcp/mcp_text.hpp"
#include "mcp/vault_tools.hpp"

#include <algorithm>

namespace {

using namespace keyd;
using namespace keyd::adapters;

bool has_hex_run(std::string_view text, std::size_t n) {
  std::size_t run = 0;
  for (const char c : text) {
    run = std::isxdigit(static_cast<unsigned char>(c)) != 0 ? run + 1 : 0;
    if (run >= n) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const int which = data[0] % 4;
  const auto text = fuzz::as_text(data + 1, size - 1);
  const auto secret = Secret::from_text(text);
  const std::string path = mcp::cli_path("secret", "ipfs-overlay/swarm-key");
  switch (which) {
    case 0: {
      const auto error = mcp::tool_failure("vault_read", path, secret);
      FUZZ_CHECK(error.code == ErrorCode::not_found || error.code == ErrorCode::unauthorized ||
                 error.code == ErrorCode::unavailable || error.code == ErrorCode::invalid_input);
      FUZZ_CHECK(error.message.find("vault_read") != std::string::npos);
      FUZZ_CHECK(std::ranges::none_of(error.message, [](char c) { return c == '\n' || c == '\r'; }));
      fuzz::check_no_key_in(error.message);
      break;
    }
    case 1: {
      const auto doc = mcp::parse_tool_json("vault_read", path, secret);
      if (!doc) {
        fuzz::check_no_key_in(doc.error().message);
        break;
      }
      const auto read = mcp::parse_read_output(*doc, "vault_read secret/ipfs-overlay/swarm-key");
      if (!read) fuzz::check_no_key_in(read.error().message);
      break;
    }
    case 2: {
      const auto redacted = mcp::redact_for_message(text);
      FUZZ_CHECK(!has_hex_run(redacted, 16));
      FUZZ_CHECK(std::ranges::none_of(redacted, [](char c) { return static_cast<unsigned char>(c) < 0x20; }));
      fuzz::check_no_key_in(redacted);
      fuzz::check_no_key_in(mcp::first_line_for_message(text));
      break;
    }
    default: {
      fuzz::Splitter parts(text, "|");
      ports::VersionData version{Secret::from_text(parts.next()), std::string(parts.next()), std::string(parts.next()),
                                 std::string(parts.next()), std::string(parts.next())};
      const auto args = mcp::write_arguments(path, version);
      if (!args) {
        fuzz::check_no_key_in(args.error().message);
        break;
      }
      const auto& items = (*args)["data"];
      FUZZ_CHECK(items.is_array() && items.size() == (version.audit_anchor.empty() ? 4U : 5U));
      const auto& key = items[0].get_ref<const detail::WipedString&>();
      FUZZ_CHECK(std::string_view(key.data(), key.size()) == "swarm.key=" + std::string(version.key_text.reveal_text()));
      break;
    }
  }
  return 0;
}
