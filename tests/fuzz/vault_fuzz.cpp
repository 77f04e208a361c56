// Vault's answers as keyd reads them (keyd/adapters/vault/vault_api.cpp): KV v2 data and metadata,
// write results, login (auth) and token lookup answers, error bodies and their status mapping.
// The input: byte 0 picks the parser, bytes 1-2 an HTTP status, the rest is the body.
// Asserts: no exception escapes (a hostile or broken Vault must give an error, not a crash); parse_read
// returns exactly the fields of data.data (checked against a direct reading of the JSON); metadata
// versions are positive and ascending; status_error maps 404 → not_found, 401/403 → unauthorized,
// 412/429/5xx → unavailable (retryable), and no message carries a swarm key; and a round trip:
// the write body keyd sends for fields taken from the input, answered back as a read, gives the
// same fields (any bytes: what is not UTF-8 is replaced, never thrown).
#include "fuzz_check.hpp"
#include "leak_check.hpp"
#include "vault/vault_api.hpp"

#include <string>

namespace {

using namespace keyd;
using namespace keyd::adapters;

std::string field(const vault::SecretJson& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  const auto& s = it->get_ref<const detail::WipedString&>();
  return {s.begin(), s.end()};
}

void check_read(const vault::SecretJson& doc) {
  const auto read = vault::parse_read(doc, "vault GET secret/data/x");
  if (!read) {
    fuzz::check_no_key_in(read.error().message);
    return;
  }
  const auto& data = doc["data"]["data"];
  const auto& key = data["swarm.key"].get_ref<const detail::WipedString&>();
  FUZZ_CHECK(read->data.key_text.reveal_text() == std::string_view(key.data(), key.size()));
  FUZZ_CHECK(read->data.fingerprint == field(data, "fingerprint"));
  FUZZ_CHECK(read->data.issued_by == field(data, "issued_by"));
  FUZZ_CHECK(read->data.reason == field(data, "reason"));
  FUZZ_CHECK(read->data.audit_anchor == field(data, "audit_anchor"));
}

void round_trip(std::string_view rest) {
  fuzz::Splitter parts(rest, "|");
  ports::VersionData data{Secret::from_text(parts.next()), std::string(parts.next()), std::string(parts.next()),
                          std::string(parts.next()), std::string(parts.next())};
  const auto body = vault::write_body(data, 1);
  auto written = vault::parse_json(body, "write body");
  FUZZ_CHECK(written.has_value());
  vault::SecretJson answer;
  answer["data"]["data"] = (*written)["data"];
  answer["data"]["metadata"]["version"] = 1;
  const auto read = vault::parse_read(answer, "round trip");
  FUZZ_CHECK(read.has_value());
  // Bytes that are not UTF-8 are sent as U+FFFD (nothing else can go into JSON): compare the rest.
  if (!fuzz::valid_utf8(rest)) return;
  FUZZ_CHECK(read->data.key_text == data.key_text);
  FUZZ_CHECK(read->data.fingerprint == data.fingerprint);
  FUZZ_CHECK(read->data.issued_by == data.issued_by);
  FUZZ_CHECK(read->data.reason == data.reason);
  FUZZ_CHECK(read->data.audit_anchor == data.audit_anchor);
  FUZZ_CHECK(read->info.version == 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const int which = data[0] % 7;
  const int status = 100 + (data[1] << 8 | data[2]) % 500;
  const auto text = fuzz::as_text(data + 3, size - 3);
  const auto body = Secret::from_text(text);

  if (which == 6) {
    round_trip(text);
    return 0;
  }
  if (which == 5) {
    const auto error = vault::status_error("vault GET secret/data/x", status, body);
    fuzz::check_no_key_in(error.message);
    FUZZ_CHECK(error.message.starts_with("vault GET secret/data/x: "));
    if (status == 404) FUZZ_CHECK(error.code == ErrorCode::not_found);
    if (status == 401 || status == 403) FUZZ_CHECK(error.code == ErrorCode::unauthorized);
    if (vault::is_retryable_status(status)) FUZZ_CHECK(error.code == ErrorCode::unavailable);
    FUZZ_CHECK(vault::is_retryable_status(status) == (status == 412 || status == 429 || status >= 500));
    return 0;
  }
  const auto doc = vault::parse_json(body, "vault GET x");
  if (!doc) {
    fuzz::check_no_key_in(doc.error().message);
    return 0;
  }
  switch (which) {
    case 0:
      check_read(*doc);
      break;
    case 1: {
      const auto version = vault::parse_write(*doc, "vault POST x");
      if (!version) fuzz::check_no_key_in(version.error().message);
      break;
    }
    case 2: {
      const auto meta = vault::parse_metadata(*doc, "vault GET x");
      if (!meta) break;
      int previous = 0;
      for (const auto& v : meta->versions) {
        FUZZ_CHECK(v.version > 0);
        FUZZ_CHECK(v.version >= previous);
        previous = v.version;
      }
      break;
    }
    case 3: {
      const auto grant = vault::parse_login(*doc, "vault POST auth/approle/login");
      if (grant) FUZZ_CHECK(!grant->token.empty());
      break;
    }
    default:
      (void)vault::parse_lookup(*doc, "vault GET auth/token/lookup-self");
      break;
  }
  return 0;
}
