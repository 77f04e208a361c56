#include "support/mcp_double.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>

namespace keyd::testing {

namespace {

constexpr const char* k_server_script = KEYD_SOURCE_DIR "/tests/doubles/mcp/server.mjs";
constexpr const char* k_sdk_dir = KEYD_SOURCE_DIR "/tests/doubles/mcp/node_modules/@modelcontextprotocol/sdk";
constexpr const char* k_scripted = KEYD_SOURCE_DIR "/tests/doubles/mcp_scripted.py";

std::string yaml_quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string node_program() {
  if (::access("/usr/bin/node", X_OK) == 0) return "/usr/bin/node";
  if (const char* path = std::getenv("PATH")) {
    std::string dirs = path;
    std::size_t start = 0;
    while (start <= dirs.size()) {
      const auto end = std::min(dirs.find(':', start), dirs.size());
      const std::string candidate = dirs.substr(start, end - start) + "/node";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
      start = end + 1;
    }
  }
  throw std::runtime_error("node not found: run scripts/install-mcp-test-tools.sh");
}

std::string mcp_double_script() {
  if (!std::filesystem::exists(k_sdk_dir)) {
    throw std::runtime_error(std::string("the MCP double's npm packages are missing (") + k_sdk_dir +
                             "): run scripts/install-mcp-test-tools.sh");
  }
  return k_server_script;
}

std::string mcp_scripted_script() { return k_scripted; }

McpDouble::McpDouble() {
  write_file(token_file(), vault.root_token() + "\n");
  std::filesystem::permissions(token_file(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

std::vector<std::string> McpDouble::command() const { return {node_program(), mcp_double_script()}; }

std::map<std::string, std::string> McpDouble::environment(const std::vector<std::string>& faults) const {
  std::map<std::string, std::string> env{{"VAULT_ADDR", vault.address()},
                                         {"VAULT_TOKEN", vault.root_token()},
                                         {"MCP_DOUBLE_PID_FILE", pid_file().string()},
                                         {"MCP_DOUBLE_CALL_LOG", call_log().string()}};
  std::string joined;
  for (const auto& fault : faults) joined += (joined.empty() ? "" : ",") + fault;
  if (!joined.empty()) env["MCP_DOUBLE_FAULT"] = joined;
  return env;
}

std::string McpDouble::store_yaml(const std::vector<std::string>& faults, const std::string& timeout,
                                  const std::string& extra_lines) const {
  std::string yaml = "store:\n  backend: mcp\n  mcp:\n    command: [";
  const auto argv = command();
  for (std::size_t i = 0; i < argv.size(); ++i) yaml += (i ? ", " : "") + yaml_quoted(argv[i]);
  yaml += "]\n    env:\n";
  for (const auto& [name, value] : environment(faults)) {
    if (name != "VAULT_TOKEN") yaml += "      " + name + ": " + yaml_quoted(value) + "\n";
  }
  yaml += "    env_files: {VAULT_TOKEN: " + yaml_quoted(token_file().string()) + "}\n";
  yaml += "    mount: secret\n    timeout: " + timeout + "\n" + extra_lines;
  return yaml;
}

pid_t McpDouble::server_pid() const {
  if (!std::filesystem::exists(pid_file())) return 0;
  return static_cast<pid_t>(std::stol(read_file(pid_file())));
}

void McpDouble::clear_pid_file() const { std::filesystem::remove(pid_file()); }

bool process_gone(pid_t pid) { return pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH; }

}  // namespace keyd::testing
