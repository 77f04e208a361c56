// errno as text for error messages, shared by the adapters' POSIX code.
#pragma once

#include <string>
#include <system_error>

namespace keyd::adapters::detail {

[[nodiscard]] inline std::string errno_text(int err) { return std::system_category().message(err); }

}  // namespace keyd::adapters::detail
