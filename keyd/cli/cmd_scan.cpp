// keyd scan (placeholder: being written).
#include "common.hpp"

namespace keyd::cli {

void add_scan(CLI::App& /*app*/, Action& /*action*/) {}

}  // namespace keyd::cli
