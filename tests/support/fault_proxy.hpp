// FaultProxy: runs tests/doubles/fault_proxy.py in front of a double for one test. Requests that
// match a rule reach the upstream (a write is committed) and then lose their reply.
//
//   keyd::testing::VaultDouble vault;
//   keyd::testing::FaultProxy proxy(vault.address());       // plain HTTP on 127.0.0.1, random port
//   proxy.address();                                        // point keyd here instead of vault.address()
//   proxy.add_rule({{"method", "POST"}, {"path", "^/v1/secret/data/"}, {"action", "respond"}});  // 500
//   proxy.add_rule({..., {"action", "delay"}, {"delay_ms", 3000}});   // the reply, 3 s late
//   proxy.add_rule({..., {"action", "drop"}});                        // no reply, connection closed
//   proxy.requests();                                       // what went through, with upstream_status
//
// A rule applies once unless it says "times" (null: forever); rules use the Vault double's fault format
// (method, path and query regexes, after, times, delay_ms, action, status, body). Failures throw
// std::runtime_error with the proxy's log. Not thread-safe.
#pragma once

#include "support/double_process.hpp"
#include "support/test_support.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace keyd::testing {

class FaultProxy {
 public:
  // `upstream`: "http://127.0.0.1:<port>" (plain HTTP only).
  explicit FaultProxy(const std::string& upstream);
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // "http://127.0.0.1:<port>".
  [[nodiscard]] std::string address() const;
  // POST /_double/faults → the rule's id.
  int add_rule(const nlohmann::json& rule);
  // GET /_double/requests → the "requests" array (method, path, query, status, upstream_status, fault, outcome).
  [[nodiscard]] nlohmann::json requests();
  // GET /_double/faults → the "faults" array (with seen/applied counts).
  [[nodiscard]] nlohmann::json rules();
  // DELETE /_double/faults: no rule applies any more.
  void clear_rules() { control("DELETE", "faults"); }
  [[nodiscard]] std::string log_text() const { return m_process.log_text(); }

 private:
  nlohmann::json control(std::string_view method, std::string_view path, const nlohmann::json& body = nullptr);

  TempDir m_dir;
  DoubleProcess m_process{"fault proxy", m_dir.path()};  // declared after m_dir: stopped before it is removed
};

}  // namespace keyd::testing
