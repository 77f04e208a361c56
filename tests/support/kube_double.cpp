#include "support/kube_double.hpp"

#include "support/vault_double.hpp"  // plain_http
#include "unit/adapters/curl_test_pki.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

namespace keyd::testing {

namespace {

using namespace std::chrono_literals;

constexpr auto k_start_timeout = 10s;
constexpr auto k_stop_timeout = 5s;
constexpr const char* k_double_script = KEYD_SOURCE_DIR "/tests/doubles/kube_double.py";
constexpr const char* k_python = "/usr/bin/python3";

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

int read_port_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return 0;
  try {
    return std::stoi(trim(read_file(file)));
  } catch (const std::exception&) {
    return 0;
  }
}

// CA, server certificate for 127.0.0.1/localhost, client certificate: PEM files in `dir`.
void make_pki(const std::filesystem::path& dir) {
  namespace pki = keyd::adapters::curl_test;
  std::filesystem::create_directories(dir);
  const pki::Issued ca = pki::issue_ca("keyd kube double CA");
  pki::write_pem(ca, dir / "ca.pem");
  pki::write_pem(pki::issue_leaf("127.0.0.1", ca, "serverAuth", "IP:127.0.0.1,DNS:localhost"), dir / "server.pem",
                 dir / "server-key.pem");
  pki::write_pem(pki::issue_leaf("keyd test client", ca, "clientAuth", ""), dir / "client.pem",
                 dir / "client-key.pem");
}

}  // namespace

KubeDouble::KubeDouble(KubeDoubleOptions options) : m_options(std::move(options)) {
  try {
    start();
  } catch (...) {
    stop();
    throw;
  }
}

KubeDouble::~KubeDouble() { stop(); }

std::string KubeDouble::address() const {
  return std::string(tls() ? "https" : "http") + "://127.0.0.1:" + std::to_string(m_port);
}

std::string KubeDouble::log_text() const {
  try {
    return read_file(m_dir / "double.log");
  } catch (const std::exception&) {
    return {};
  }
}

std::string KubeDouble::describe_failure(const std::string& what) const {
  return "kube double: " + what + "; its log:\n" + log_text();
}

void KubeDouble::start() {
  const auto port_file = m_dir / "port";
  const auto control_port_file = m_dir / "control-port";
  const auto token_file = m_dir / "admin-token";
  const auto log_file = m_dir / "double.log";
  std::vector<std::string> args{k_python,         k_double_script,
                                "--host",         "127.0.0.1",
                                "--port",         "0",
                                "--port-file",    port_file.string(),
                                "--control-port-file", control_port_file.string(),
                                "--token-file",   token_file.string(),
                                "--kubeconfig",   kubeconfig_file(),
                                "--tick",         std::to_string(m_options.tick_seconds),
                                "--quiet",        "--exit-with-parent"};
  if (m_options.tls) {
    make_pki(m_dir / "pki");
    args.insert(args.end(), {"--tls-cert", (m_dir / "pki" / "server.pem").string(), "--tls-key",
                             (m_dir / "pki" / "server-key.pem").string(), "--ca-cert", ca_file()});
    if (m_options.client_certs) args.insert(args.end(), {"--client-ca", ca_file()});
  } else {
    args.emplace_back("--plain-http");
  }
  if (!m_options.config.is_null()) {
    const auto config_file = m_dir / "config.json";
    write_file(config_file, m_options.config.dump());
    args.insert(args.end(), {"--config", config_file.string()});
  }
  if (!m_options.admin_token.empty()) args.insert(args.end(), {"--token", m_options.admin_token});

  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addchdir_np(&actions, m_dir.path().c_str());
  const int rc = posix_spawn(&m_pid, k_python, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    m_pid = -1;
    throw std::runtime_error(std::string("kube double: cannot start ") + k_python + ": " + std::strerror(rc));
  }

  const auto deadline = std::chrono::steady_clock::now() + k_start_timeout;
  for (;;) {
    m_port = read_port_file(port_file);
    m_control_port = read_port_file(control_port_file);
    if (m_port > 0 && m_control_port > 0) break;
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
      m_pid = -1;
      throw std::runtime_error(describe_failure(
          "exited during start-up (" +
          (WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                             : "signal " + std::to_string(WTERMSIG(status))) +
          ")"));
    }
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error(describe_failure("no port file after 10 s"));
    std::this_thread::sleep_for(10ms);
  }
  m_admin_token = trim(read_file(token_file));
  if (m_admin_token.empty()) throw std::runtime_error(describe_failure("empty admin token file"));
}

void KubeDouble::stop() noexcept {
  if (m_pid <= 0) return;
  ::kill(m_pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + k_stop_timeout;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(m_pid, &status, WNOHANG);
    if (done == m_pid || (done < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(m_pid, SIGKILL);
      while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  m_pid = -1;
}

nlohmann::json KubeDouble::control(std::string_view method, std::string_view path, const nlohmann::json& body) {
  const std::string target = "/_double/" + std::string(path);
  const VaultDoubleReply reply =
      plain_http(m_control_port, method, target, body.is_null() ? std::string() : body.dump(), {});
  if (reply.status >= 300) {
    throw std::runtime_error("kube double: control " + std::string(method) + " " + target + " answered " +
                             std::to_string(reply.status) + ": " + reply.raw_body);
  }
  return reply.body;
}

nlohmann::json KubeDouble::requests() {
  nlohmann::json log = control("GET", "requests");
  return log.value("requests", nlohmann::json::array());
}

nlohmann::json KubeDouble::create_object(std::string_view group, std::string_view resource,
                                         const nlohmann::json& object) {
  const std::string ns = object.value("/metadata/namespace"_json_pointer, std::string());
  if (!ns.empty()) ensure_namespace(ns);
  return control("POST", "objects",
                 {{"resource", resource}, {"group", group}, {"namespace", ns}, {"op", "create"}, {"object", object}});
}

nlohmann::json KubeDouble::merge_object(std::string_view group, std::string_view resource, std::string_view ns,
                                        std::string_view name, const nlohmann::json& patch) {
  return control("POST", "objects",
                 {{"resource", resource}, {"group", group}, {"namespace", ns}, {"name", name}, {"op", "merge"},
                  {"patch", patch}});
}

nlohmann::json KubeDouble::objects(std::string_view group, std::string_view resource, std::string_view ns) {
  const std::string query = "objects?resource=" + std::string(resource) + "&group=" + std::string(group) +
                            "&namespace=" + std::string(ns);
  return control("GET", query).value("items", nlohmann::json::array());
}

nlohmann::json KubeDouble::object(std::string_view group, std::string_view resource, std::string_view ns,
                                  std::string_view name) {
  for (const auto& item : objects(group, resource, ns)) {
    if (item["metadata"].value("name", "") == name) return item;
  }
  return nullptr;
}

std::string KubeDouble::token_for(std::string_view user, const nlohmann::json& rules) {
  return control("POST", "tokens", {{"user", user}, {"rules", rules}})["token"].get<std::string>();
}

}  // namespace keyd::testing
