#include "keyd/cli/run.hpp"

int main(int argc, char** argv) { return keyd::cli::run(argc, argv); }
