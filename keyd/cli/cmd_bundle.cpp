// keyd bundle (placeholder: being written).
#include "common.hpp"

namespace keyd::cli {

void add_bundle(CLI::App& /*app*/, Action& /*action*/) {}

}  // namespace keyd::cli
