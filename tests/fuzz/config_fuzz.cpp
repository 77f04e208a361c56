// The configuration parser (keyd/config: parse_config, YAML → typed Config).
// Asserts: an error is invalid_config and every line of its message names the source
// ("fuzz.yaml:<line>:<column>: ..." or "fuzz.yaml: ..."); no message carries a swarm key; parsing is
// deterministic (a second parse gives the same outcome); a parsed config has a named swarm for every
// entry and select_swarm finds each by its name.
#include "fuzz_check.hpp"
#include "keyd/config/config.hpp"
#include "leak_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace keyd;
  const auto text = fuzz::as_text(data, size);
  const auto parsed = config::parse_config(text, "fuzz.yaml");
  const auto again = config::parse_config(text, "fuzz.yaml");
  FUZZ_CHECK(parsed.has_value() == again.has_value());
  if (!parsed) {
    fuzz::check_config_error(parsed.error(), again.error(), "fuzz.yaml");
    return 0;
  }
  FUZZ_CHECK(parsed->swarms.size() == again->swarms.size());
  for (const auto& swarm : parsed->swarms) {
    const auto selected = config::select_swarm(*parsed, swarm.name);
    FUZZ_CHECK(selected.has_value());
    FUZZ_CHECK((*selected)->name == swarm.name);
  }
  if (parsed->swarms.size() == 1) FUZZ_CHECK(config::select_swarm(*parsed, "").has_value());
  return 0;
}
