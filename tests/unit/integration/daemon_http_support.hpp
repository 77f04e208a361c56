// Shared pieces of the tests that put the daemon's HTTP server in front of DaemonService: the
// kube-apiserver double's admin credentials, for the TokenReview authenticator's connection.
#pragma once

#include "keyd/adapters/kube/kube_connection.hpp"
#include "keyd/common/secret.hpp"

#include <string>
#include <utility>

namespace keyd::testing {

class AdminCredentials final : public adapters::KubeCredentialSource {
 public:
  explicit AdminCredentials(std::string token) : m_token(std::move(token)) {}
  Result<adapters::KubeCredentials> get(bool) override {
    adapters::KubeCredentials creds;
    creds.bearer_token = Secret::from_text(m_token);
    return creds;
  }

 private:
  std::string m_token;
};

}  // namespace keyd::testing
