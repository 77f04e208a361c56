// keyd daemon (placeholder: being written).
#include "common.hpp"

namespace keyd::cli {

void add_daemon(CLI::App& /*app*/, Action& /*action*/) {}

}  // namespace keyd::cli
