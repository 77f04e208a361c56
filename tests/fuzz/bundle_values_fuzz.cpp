// The values of `keyd bundle` (keyd/config: parse_bundle_values).
// Asserts: an error is invalid_config and every line names the source; parsing is deterministic
// (equal BundleValues twice); no message carries a swarm key; multiaddr_tcp_port of every parsed
// address (swarm, bootstrap, API, gateway) is a port (0..65535).
#include "fuzz_check.hpp"
#include "keyd/config/bundle_values.hpp"
#include "leak_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace keyd;
  const auto text = fuzz::as_text(data, size);
  const auto parsed = config::parse_bundle_values(text, "values.yaml");
  const auto again = config::parse_bundle_values(text, "values.yaml");
  FUZZ_CHECK(parsed.has_value() == again.has_value());
  if (!parsed) {
    fuzz::check_config_error(parsed.error(), again.error(), "values.yaml");
    return 0;
  }
  FUZZ_CHECK(*parsed == *again);
  const auto check_port = [](std::string_view address) {
    const int port = config::multiaddr_tcp_port(address);
    FUZZ_CHECK(port >= 0 && port <= 65535);
  };
  for (const auto& address : parsed->ipfs.swarm_addresses) check_port(address);
  for (const auto& address : parsed->ipfs.bootstrap) check_port(address);
  check_port(parsed->ipfs.api_address);
  check_port(parsed->ipfs.gateway_address);
  return 0;
}
