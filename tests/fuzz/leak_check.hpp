// A second opinion on "no key material in messages": the key scanner must find no swarm key in any
// error message or warning a parser produced (whatever key the input held, the message may only name
// where it was).
#pragma once

#include "fuzz_check.hpp"
#include "keyd/common/result.hpp"
#include "keyd/domain/scan.hpp"

namespace keyd::fuzz {

inline void check_no_key_in(std::string_view message) {
  if (!domain::scan_for_keys(message).empty()) {
    std::fprintf(stderr, "a message carries a swarm key\n");
    std::abort();
  }
}

// An invalid_config error from a parser of the file `source`: every line of its message names the
// source ("<source>:<line>:<column>: ..." or "<source>: ..."), the message is the same as the second
// parse's (`again`), and it carries no swarm key.
inline void check_config_error(const Error& error, const Error& again, std::string_view source) {
  const auto& message = error.message;
  FUZZ_CHECK(error.code == ErrorCode::invalid_config);
  FUZZ_CHECK(message == again.message);
  Splitter lines(message, "\n");
  for (auto line = lines.next(); !line.empty() || !lines.rest().empty(); line = lines.next()) {
    if (!line.starts_with(source)) std::fprintf(stderr, "message: %s\n", message.c_str());
    FUZZ_CHECK(line.starts_with(source));
  }
  check_no_key_in(message);
}

}  // namespace keyd::fuzz
