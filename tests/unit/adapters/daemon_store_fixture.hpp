// The daemon store tests' fixture: an in-process HTTP server on 127.0.0.1 that answers like the
// keyd daemon's API (GET /v1/swarms/{name}[/key]) from scripted replies, a token file, a curl
// transport and a FakeClock.
#pragma once

#include "keyd/adapters/curl/curl_transport.hpp"
#include "keyd/adapters/daemon/daemon_store.hpp"
#include "keyd/domain/swarm_key.hpp"

#include "adapter_test_helpers.hpp"
#include "curl_test_servers.hpp"

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace keyd::adapters::daemon_store_fixture {

using keyd::testing::FakeClock;
using keyd::testing::FixedRandom;
using keyd::testing::LogCapture;
using keyd::testing::TempDir;
using keyd::testing::write_file;
using nlohmann::json;
using test_helpers::code_of;
using test_helpers::contains;

constexpr const char* k_token = "tok-3f9a1c2e7d5b-projected";
constexpr const char* k_path = "ipfs-overlay/swarm-key";

struct Reply {
  int status = 200;
  std::string body;
};

// Answers GET /v1/swarms/{name}[/key] from scripted replies (then from the defaults) and records
// every Authorization header it received.
class FakeDaemon {
 public:
  FakeDaemon() {
    auto server = std::make_unique<httplib::Server>();
    server->Get(R"(/v1/swarms/([^/]+)(/key)?)", [this](const httplib::Request& req, httplib::Response& res) {
      const Reply reply = next(req);
      res.status = reply.status;
      res.set_header("Cache-Control", "no-store");
      res.set_content(reply.body, "application/json");
    });
    m_server = std::make_unique<curl_test::HttplibServer>(std::move(server));
  }

  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(m_server->port()); }

  void script(const std::string& path, Reply reply) {
    const std::scoped_lock lock(m_mutex);
    m_scripted[path].push_back(std::move(reply));
  }
  void set_default(const std::string& path, Reply reply) {
    const std::scoped_lock lock(m_mutex);
    m_defaults[path] = std::move(reply);
  }
  [[nodiscard]] std::vector<std::string> requests() const {
    const std::scoped_lock lock(m_mutex);
    return m_requests;
  }
  [[nodiscard]] std::vector<std::string> authorizations() const {
    const std::scoped_lock lock(m_mutex);
    return m_authorizations;
  }

 private:
  Reply next(const httplib::Request& req) {
    const std::scoped_lock lock(m_mutex);
    m_requests.push_back(req.path);
    m_authorizations.push_back(req.get_header_value("Authorization"));
    if (auto it = m_scripted.find(req.path); it != m_scripted.end() && !it->second.empty()) {
      Reply reply = std::move(it->second.front());
      it->second.pop_front();
      return reply;
    }
    if (auto it = m_defaults.find(req.path); it != m_defaults.end()) return it->second;
    return {404, R"({"error":{"code":"not_found","message":"no such resource"}})"};
  }

  mutable std::mutex m_mutex;
  std::map<std::string, std::deque<Reply>> m_scripted;
  std::map<std::string, Reply> m_defaults;
  std::vector<std::string> m_requests;
  std::vector<std::string> m_authorizations;
  std::unique_ptr<curl_test::HttplibServer> m_server;
};

inline std::string error_body(const std::string& code, const std::string& message) {
  return json{{"error", {{"code", code}, {"message", message}}}}.dump();
}

class DaemonStoreTest : public ::testing::Test {
 protected:
  DaemonStoreTest() {
    auto key = domain::generate_swarm_key();
    if (!key) throw std::runtime_error("no key");
    m_key_text = std::string(key->canonical_text().reveal_text());
    m_fingerprint = key->fingerprint().hex();
    write_file(dir / "token", std::string(k_token) + "\n");
    daemon.set_default("/v1/swarms/ipfs-overlay", {200, metadata_body(3)});
    daemon.set_default("/v1/swarms/ipfs-overlay/key", {200, key_body(3, m_key_text, m_fingerprint)});
    auto transport = make_curl_transport({});
    if (!transport) throw std::runtime_error(transport.error().message);
    m_transport = std::move(*transport);
  }

  std::unique_ptr<ports::SecretStore> store(int max_attempts = 3) {
    auto made = make_daemon_store(options_for(daemon.url() + "/", max_attempts), *m_transport, clock, random);
    if (!made) throw std::runtime_error(made.error().message);
    return std::move(*made);
  }

  [[nodiscard]] DaemonStoreOptions options_for(const std::string& url, int max_attempts) const {
    DaemonStoreOptions options;
    options.url = url;
    options.token_file = (dir / "token").string();
    options.swarms = {{k_path, "ipfs-overlay"}};
    options.timeout = std::chrono::seconds(5);
    options.max_attempts = max_attempts;
    return options;
  }

  static std::string metadata_body(int version, bool reachable = true) {
    return json{
        {"name", "ipfs-overlay"},
        {"path", k_path},
        {"version", version},
        {"fingerprint", version > 0 ? "0123456789abcdef0123456789abcdef" : ""},
        {"created", "2026-11-27T10:00:00Z"},
        {"store_reachable", reachable},
        {"last_error", reachable ? "" : "vault GET secret/metadata/ipfs-overlay/swarm-key: 503 Vault is sealed"}}
        .dump();
  }
  static std::string key_body(int version, const std::string& key, const std::string& fingerprint) {
    return json{{"swarm", "ipfs-overlay"},
                {"version", version},
                {"fingerprint", fingerprint},
                {"created_time", "2026-11-27T10:00:00Z"},
                {"key", key}}
        .dump();
  }
  [[nodiscard]] std::string key_hex() const { return m_key_text.substr(m_key_text.size() - 65, 64); }

  TempDir dir;
  FakeClock clock;
  FixedRandom random{0.5};     // the jitter of store()
  FixedRandom no_jitter{0.0};  // the least jitter
  FakeDaemon daemon;
  std::string m_key_text;
  std::string m_fingerprint;
  std::unique_ptr<ports::HttpTransport> m_transport;
};

}  // namespace keyd::adapters::daemon_store_fixture
