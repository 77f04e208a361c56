#include "support/fault_proxy.hpp"

#include "support/vault_double.hpp"

#include <stdexcept>

namespace keyd::testing {

namespace {

constexpr const char* k_proxy_script = KEYD_SOURCE_DIR "/tests/doubles/fault_proxy.py";

}  // namespace

FaultProxy::FaultProxy(const std::string& upstream) {
  (void)m_process.start(k_proxy_script, "", "", {"--upstream", upstream});
}

std::string FaultProxy::address() const { return "http://127.0.0.1:" + std::to_string(m_process.port()); }

int FaultProxy::add_rule(const nlohmann::json& rule) { return control("POST", "faults", rule)["id"].get<int>(); }

nlohmann::json FaultProxy::requests() { return control("GET", "requests").value("requests", nlohmann::json::array()); }

nlohmann::json FaultProxy::rules() { return control("GET", "faults").value("faults", nlohmann::json::array()); }

nlohmann::json FaultProxy::control(std::string_view method, std::string_view path, const nlohmann::json& body) {
  const std::string target = "/_double/" + std::string(path);
  const VaultDoubleReply reply =
      plain_http(m_process.control_port(), method, target, body.is_null() ? std::string() : body.dump(), {});
  if (reply.status >= 300) {
    throw std::runtime_error(m_process.describe_failure("control " + std::string(method) + " " + target +
                                                        " answered " + std::to_string(reply.status) + ": " +
                                                        reply.raw_body));
  }
  return reply.body;
}

}  // namespace keyd::testing
