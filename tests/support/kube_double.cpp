#include "support/kube_double.hpp"

#include "support/vault_double.hpp"  // plain_http
#include "unit/adapters/curl_test_pki.hpp"

#include <stdexcept>
#include <vector>

namespace keyd::testing {

namespace {

constexpr const char* k_double_script = KEYD_SOURCE_DIR "/tests/doubles/kube_double.py";

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
  std::vector<std::string> args{"--kubeconfig", kubeconfig_file(), "--tick", std::to_string(m_options.tick_seconds)};
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
  m_admin_token = m_process.start(k_double_script, "admin-token", "admin", args);
}

std::string KubeDouble::address() const {
  return std::string(tls() ? "https" : "http") + "://127.0.0.1:" + std::to_string(port());
}

nlohmann::json KubeDouble::control(std::string_view method, std::string_view path, const nlohmann::json& body) {
  const std::string target = "/_double/" + std::string(path);
  const VaultDoubleReply reply =
      plain_http(control_port(), method, target, body.is_null() ? std::string() : body.dump(), {});
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

std::string KubeDouble::service_account_token(std::string_view user, const nlohmann::json& audiences,
                                              std::string_view pod, std::string_view pod_uid) {
  nlohmann::json body{{"user", user}, {"audiences", audiences}};
  if (!pod.empty()) body["pod"] = {{"name", pod}, {"uid", pod_uid}};
  return control("POST", "tokens", body)["token"].get<std::string>();
}

}  // namespace keyd::testing
