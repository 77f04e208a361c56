#pragma once

namespace keyd::cli {

// Parse argv, run the subcommand, return the process exit code:
// 0 ok, 1 runtime failure, 2 usage error. Errors are printed to stderr as "keyd: error: ...".
int run(int argc, char** argv);

}  // namespace keyd::cli
