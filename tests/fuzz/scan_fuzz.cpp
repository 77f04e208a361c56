// The key scanner behind `keyd scan` (keyd/domain/scan.cpp, scan_key_file.cpp), checked against the
// key file parser as a second opinion.
// Asserts, on any input: findings are ordered by offset, one per place, inside the text, with `line`
// = 1 + the line breaks before `offset`, and a finding's key parses (its fingerprint is a key's).
// Differential, when parse_swarm_key accepts the input as a key file: the scanner finds that key
// (same fingerprint, same weakness verdict as check_key_strength) in the input itself, and in its
// canonical form embedded in a YAML block scalar, a JSON string with escaped line breaks, a
// labelled hex value, and in the base64 of the input as a Kubernetes Secret's `data:` holds it.
// Keys are never committed: the corpus seeds are look-alikes; scripts/fuzz.sh adds generated keys.
#include "fuzz_check.hpp"
#include "keyd/common/base64.hpp"
#include "keyd/domain/scan.hpp"

#include <algorithm>
#include <string>

namespace {

using namespace keyd;

void check_findings(std::string_view text, const std::vector<domain::KeyFinding>& findings) {
  std::size_t previous = 0;
  bool first = true;
  for (const auto& f : findings) {
    FUZZ_CHECK(f.offset < text.size());
    FUZZ_CHECK(first || f.offset > previous);
    FUZZ_CHECK(f.line == 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(f.offset), '\n')));
    FUZZ_CHECK(!domain::describe_encoding(f).empty());
    previous = f.offset;
    first = false;
  }
}

bool finds(std::string_view text, const domain::Fingerprint& fingerprint, bool weak) {
  const auto findings = domain::scan_for_keys(text);
  check_findings(text, findings);
  return std::ranges::any_of(findings, [&](const domain::KeyFinding& f) {
    return f.fingerprint == fingerprint && f.weak == weak;
  });
}


void report(const char* where) { std::fprintf(stderr, "the scanner missed a key the parser accepts: %s\n", where); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::as_text(data, size);
  check_findings(text, domain::scan_for_keys(text));

  const auto parsed = domain::parse_swarm_key(std::span(data, size));
  if (!parsed) return 0;
  const auto fingerprint = parsed->key.fingerprint();
  const bool weak = !domain::check_key_strength(parsed->key).has_value();
  const auto key_hex = fuzz::hex(parsed->key.bytes());
  const std::string header(domain::k_psk_header);

  if (!finds(text, fingerprint, weak)) report("the key file itself"), std::abort();
  const std::string yaml = "apiVersion: v1\nkind: ConfigMap\ndata:\n  swarm.key: |\n    " + header +
                           "\n    /base16/\n    " + key_hex + "\n";
  if (!finds(yaml, fingerprint, weak)) report("YAML block scalar"), std::abort();
  const std::string json = "{\"swarm.key\": \"" + header + "\\n/base16/\\n" + key_hex + "\\n\"}";
  if (!finds(json, fingerprint, weak)) report("JSON string"), std::abort();
  const std::string labelled = "SWARM_KEY=" + key_hex + "\n";
  if (!finds(labelled, fingerprint, weak)) report("labelled hex"), std::abort();
  const auto b64 = base64_encode(std::span(data, size));
  const std::string secret = "kind: Secret\ndata:\n  swarm.key: " + std::string(b64.reveal_text()) + "\n";
  if (!finds(secret, fingerprint, weak)) report("base64 of the key file in a Secret"), std::abort();
  return 0;
}
