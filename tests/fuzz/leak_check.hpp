// A second opinion on "no key material in messages": the key scanner must find no swarm key in any
// error message or warning a parser produced (whatever key the input held, the message may only name
// where it was).
#pragma once

#include "fuzz_check.hpp"
#include "keyd/domain/scan.hpp"

namespace keyd::fuzz {

inline void check_no_key_in(std::string_view message) {
  if (!domain::scan_for_keys(message).empty()) {
    std::fprintf(stderr, "a message carries a swarm key\n");
    std::abort();
  }
}

}  // namespace keyd::fuzz
