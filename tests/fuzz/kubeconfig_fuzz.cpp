// The kubeconfig loader (keyd/adapters/kube: kubeconfig.cpp, kubeconfig_user.cpp, credentials.cpp)
// and the ExecCredential an exec credential plugin prints (exec_plugin.cpp: parse_exec_credential).
// Byte 0: even → the rest is a kubeconfig file, loaded as `keyd --kubeconfig <file>` would (exec
// plugins are configured, never run); odd → the rest is a plugin's stdout, for apiVersion v1 (bit 1
// clear) or v1beta1 (bit 1 set).
// Asserts: no exception escapes; errors are invalid_config (kubeconfig) or unauthorized (plugin) and
// carry no key-shaped run and no token or client key of the input; an accepted kubeconfig's context
// names a cluster with a server URL (no trailing '/'); an accepted ExecCredential has the expected
// apiVersion and kind ExecCredential, a token or a certificate and key, and the expiry it gave as
// RFC 3339 (or none).
#include "fuzz_check.hpp"
#include "kube/kube_internal.hpp"
#include "leak_check.hpp"
#include "temp_file.hpp"

#include "keyd/common/rfc3339.hpp"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace {

using namespace keyd;

class FixedClock final : public ports::Clock {
 public:
  [[nodiscard]] std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point{std::chrono::seconds{1'790'000'000}};
  }
  void sleep_for(std::chrono::milliseconds /*duration*/) const override {}
};

// The message with the fuzzer's temporary directory (mktemp names mix case and digits) left out.
std::string without_temp_dir(std::string message) {
  const std::string dir = fuzz::temp_dir().path().string();
  for (auto at = message.find(dir); at != std::string::npos; at = message.find(dir, at)) {
    message.replace(at, dir.size(), "<dir>");
  }
  return message;
}

// The credentials of the users in `text` (token, client-key-data), as far as yaml-cpp reads them.
std::vector<std::string> user_secrets(const std::string& text) {
  std::vector<std::string> secrets;
  try {
    const auto root = YAML::Load(text);
    if (!root.IsMap() || !root["users"].IsSequence()) return secrets;
    for (const auto& item : root["users"]) {
      if (!item.IsMap() || !item["user"].IsMap()) continue;
      for (const char* field : {"token", "client-key-data"}) {
        const auto value = item["user"][field];
        if (value.IsScalar()) secrets.push_back(value.Scalar());
      }
    }
  } catch (const YAML::Exception&) {
  }
  return secrets;
}

// A token or key of the input that shows in a message leaked only if the message quotes it from the
// input: keyd's own words may hold it by chance (a token "credential plugin" and the message
// "exec credential plugin …"; libFuzzer steers towards such strings from the check's own search).
// So the input is run again with the secret's every occurrence masked: a leak is a message that
// then no longer holds it.
template <typename Run>
void check_secret_not_quoted(std::string_view input, const std::string& message, const std::string& secret, Run run) {
  if (secret.size() < 8 || message.find(secret) == std::string::npos) return;
  std::string masked(input);
  for (std::size_t at = masked.find(secret); at != std::string::npos; at = masked.find(secret, at + secret.size())) {
    masked.replace(at, secret.size(), std::string(secret.size(), '#'));
  }
  if (run(masked).find(secret) == std::string::npos) fuzz::check_redacted(message, secret);
}

std::string kubeconfig_error(std::string_view text) {
  const auto file = fuzz::temp_dir().write("kubeconfig", text);
  const adapters::Environment env{{"PATH", "/nonexistent"}};
  const FixedClock clock;
  const auto loaded = adapters::kube::load_kubeconfig({file}, true, "", env, clock);
  return loaded ? std::string() : without_temp_dir(loaded.error().message);
}

void fuzz_kubeconfig(std::string_view text) {
  const auto file = fuzz::temp_dir().write("kubeconfig", text);
  const adapters::Environment env{{"PATH", "/nonexistent"}};
  const FixedClock clock;
  const auto loaded = adapters::kube::load_kubeconfig({file}, true, "", env, clock);
  if (!loaded) {
    FUZZ_CHECK(loaded.error().code == ErrorCode::invalid_config);
    const auto message = without_temp_dir(loaded.error().message);
    fuzz::check_no_key_in(message);
    fuzz::check_redacted(message);
    for (const auto& secret : user_secrets(std::string(text))) {
      check_secret_not_quoted(text, message, secret, kubeconfig_error);
    }
    return;
  }
  FUZZ_CHECK(!loaded->server.empty());
  FUZZ_CHECK(!loaded->server.ends_with('/'));
  FUZZ_CHECK(loaded->credentials != nullptr);
  FUZZ_CHECK(!loaded->default_namespace.empty());
}

void fuzz_exec_credential(std::string_view out, bool beta) {
  const std::string_view api_version =
      beta ? "client.authentication.k8s.io/v1beta1" : "client.authentication.k8s.io/v1";
  const auto parsed = adapters::kube::parse_exec_credential(out, api_version, "exec credential plugin fuzz");
  const auto doc = nlohmann::json::parse(out, nullptr, false);
  const auto status_text = [&doc](const char* key) -> std::string {
    if (!doc.is_object() || !doc.contains("status") || !doc["status"].is_object()) return {};
    const auto& status = doc["status"];
    return status.contains(key) && status[key].is_string() ? status[key].get<std::string>() : std::string();
  };
  if (!parsed) {
    FUZZ_CHECK(parsed.error().code == ErrorCode::unauthorized);
    const auto& message = parsed.error().message;
    FUZZ_CHECK(message.starts_with("exec credential plugin fuzz: "));
    fuzz::check_no_key_in(message);
    fuzz::check_redacted(message);
    const auto again = [&](std::string_view masked) {
      const auto reparsed = adapters::kube::parse_exec_credential(masked, api_version, "exec credential plugin fuzz");
      return reparsed ? std::string() : reparsed.error().message;
    };
    for (const char* field : {"token", "clientKeyData"}) check_secret_not_quoted(out, message, status_text(field), again);
    return;
  }
  FUZZ_CHECK(doc.is_object());
  FUZZ_CHECK(doc["kind"] == "ExecCredential");
  FUZZ_CHECK(doc["apiVersion"] == api_version);
  const bool token = !parsed->bearer_token.empty();
  const bool pair = !parsed->client_cert_pem.empty() && parsed->client_key_pem && !parsed->client_key_pem->empty();
  FUZZ_CHECK(token || pair);
  FUZZ_CHECK(parsed->bearer_token.reveal_text() == status_text("token"));
  const auto expiry = status_text("expirationTimestamp");
  FUZZ_CHECK(parsed->expires.has_value() == !expiry.empty());
  if (parsed->expires) {
    const auto again = parse_rfc3339(expiry, DateTimeSeparator::t_or_space);
    FUZZ_CHECK(again.has_value() && *again == *parsed->expires);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto text = fuzz::as_text(data + 1, size - 1);
  if ((data[0] & 1U) == 0) {
    fuzz_kubeconfig(text);
  } else {
    fuzz_exec_credential(text, (data[0] & 2U) != 0);
  }
  return 0;
}
