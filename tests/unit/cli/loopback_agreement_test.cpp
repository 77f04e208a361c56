// Issue 16, one loopback check: plain http:// is allowed only to a loopback host. The config's
// check of store.daemon.url, the daemon store's check_daemon_url and the Vault store's
// check_vault_address all ask keyd::is_loopback_url now, so for every URL `keyd fetch` either
// refuses the configuration with both backends (exit 2, "non-loopback") or accepts it with both
// and gets as far as connecting (exit 1: nothing listens on the port).
#include "cli_support.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace keyd::testing {
namespace {

// A port nothing listens on: bound on 127.0.0.1 at run time, then closed.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    throw std::runtime_error("cannot bind a port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

class LoopbackAgreement : public ::testing::Test {
 protected:
  CommandResult fetch_through_daemon(const std::string& url) {
    write_file(dir / "token", "t0k3n\n");
    write_file(dir / "daemon.yaml", "store:\n  backend: daemon\n  daemon:\n    url: \"" + url +
                                        "\"\n    token_file: token\n    max_attempts: 1\n"
                                        "audit: {file: audit.jsonl}\nswarms:\n  - name: ipfs-overlay\n");
    return run_keyd({"fetch", "--config", "daemon.yaml", "--out", "k.key"}, dir.path());
  }
  CommandResult fetch_through_vault(const std::string& url) {
    write_file(dir / "vault.yaml", "store:\n  backend: vault\n  vault:\n    address: \"" + url +
                                       "\"\n    mount: secret\n    max_attempts: 1\n"
                                       "audit: {file: audit.jsonl}\nswarms:\n  - name: ipfs-overlay\n"
                                       "    path: ipfs-overlay/swarm-key\n");
    return run_keyd({"fetch", "--config", "vault.yaml", "--out", "k.key"}, dir.path(), {{"VAULT_TOKEN", "t0k3n"}});
  }

  TempDir dir;
};

TEST_F(LoopbackAgreement, ConfigDaemonStoreAndVaultStoreAcceptTheSameHosts) {
  const std::string port = std::to_string(closed_port());
  for (const std::string host : {"127.0.0.1", "127.0.0.2", "localhost", "[::1]"}) {
    const std::string url = "http://" + host + ":" + port;
    for (const auto& r : {fetch_through_daemon(url), fetch_through_vault(url)}) {
      EXPECT_EQ(r.exit_code, 1) << url << " is loopback: accepted, then the connection fails\n" << r.err;
      EXPECT_EQ(r.err.find("non-loopback"), std::string::npos) << url << "\n" << r.err;
    }
  }
}

TEST_F(LoopbackAgreement, ConfigDaemonStoreAndVaultStoreRefuseTheSameHosts) {
  const std::string port = std::to_string(closed_port());
  for (const std::string host : {"[::2]", "127.0.0.1.example.com", "10.0.0.1", "keyd"}) {
    const std::string url = "http://" + host + ":" + port;
    for (const auto& r : {fetch_through_daemon(url), fetch_through_vault(url)}) {
      EXPECT_EQ(r.exit_code, 2) << url << " is not loopback: refused as configuration\n" << r.err;
      EXPECT_NE(r.err.find("non-loopback"), std::string::npos) << url << "\n" << r.err;
    }
  }
}

}  // namespace
}  // namespace keyd::testing
