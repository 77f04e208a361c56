// Exec credential plugins (client.authentication.k8s.io/v1 and v1beta1), as kubectl runs them:
// KUBERNETES_EXEC_INFO in the environment, an ExecCredential on stdout, cached until it expires.
#include "kube_internal.hpp"

#include "keyd/common/redact.hpp"
#include "keyd/common/rfc3339.hpp"

#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace keyd::adapters::kube {

namespace {

constexpr std::string_view k_v1 = "client.authentication.k8s.io/v1";
constexpr std::string_view k_v1beta1 = "client.authentication.k8s.io/v1beta1";

// Zero every string in a parsed document before it is freed (it held the credential).
void wipe_strings(nlohmann::json& value) {
  if (value.is_string()) {
    auto& text = value.get_ref<std::string&>();
    secure_zero(text.data(), text.size());
  } else if (value.is_structured()) {
    for (auto& child : value) wipe_strings(child);
  }
}

class WipedJson {
 public:
  explicit WipedJson(nlohmann::json doc) : m_doc(std::move(doc)) {}
  ~WipedJson() { wipe_strings(m_doc); }
  WipedJson(const WipedJson&) = delete;
  WipedJson& operator=(const WipedJson&) = delete;
  [[nodiscard]] const nlohmann::json& get() const { return m_doc; }

 private:
  nlohmann::json m_doc;
};

KubeCredentials copy_of(const KubeCredentials& c) {
  return KubeCredentials{c.bearer_token.clone(), c.client_cert_pem, c.client_key_pem, c.expires};
}

class ExecSource final : public KubeCredentialSource {
 public:
  ExecSource(ExecConfig config, Environment env, const ports::Clock& clock, ExecSettings settings)
      : m_config(std::move(config)), m_env(std::move(env)), m_clock(clock), m_settings(settings) {}

  [[nodiscard]] Result<KubeCredentials> get(bool refresh) override {
    const std::scoped_lock lock(m_mutex);
    if (!refresh && m_cached && (!m_cached->expires || m_clock.now() < *m_cached->expires - m_settings.refresh_early)) {
      return copy_of(*m_cached);
    }
    m_cached.reset();
    KEYD_ASSIGN_OR_RETURN(auto fresh, run());
    m_cached = std::move(fresh);
    return copy_of(*m_cached);
  }

 private:
  // The command is the operator's own path, quoted as it is: the redaction rule would hide a path
  // with a random temporary directory name (mixed case and digits), which names nothing secret.
  [[nodiscard]] std::string shown() const { return fmt::format("exec credential plugin {}", m_config.command); }

  [[nodiscard]] Result<KubeCredentials> run() const {
    std::vector<std::string> argv{m_config.command};
    argv.insert(argv.end(), m_config.args.begin(), m_config.args.end());
    Environment env = m_env;
    for (const auto& [name, value] : m_config.env) env.insert_or_assign(name, value);
    env.insert_or_assign("KUBERNETES_EXEC_INFO", nlohmann::json{{"apiVersion", m_config.api_version},
                                                                {"kind", "ExecCredential"},
                                                                {"spec", {{"interactive", false}}}}
                                                     .dump());
    spdlog::debug("kube: running {}", shown());
    auto ran = run_plugin(argv, env, m_settings.timeout);
    for (auto& [name, value] : env) secure_zero(value.data(), value.size());
    if (!ran) return fail(std::move(ran).error());
    if (ran->not_found) {
      std::string message = fmt::format("{}: command not found", shown());
      if (!m_config.install_hint.empty()) message += fmt::format("\n{}", trim(m_config.install_hint));
      return fail(ErrorCode::unauthorized, std::move(message));
    }
    if (ran->exit_code != 0) {
      return fail(ErrorCode::unauthorized,
                  ran->exit_code > 128 ? fmt::format("{} was killed by signal {}", shown(), ran->exit_code - 128)
                                       : fmt::format("{} exited with code {}", shown(), ran->exit_code));
    }
    return parse_exec_credential(ran->out.reveal_text(), m_config.api_version, shown());
  }

  const ExecConfig m_config;
  const Environment m_env;
  const ports::Clock& m_clock;
  const ExecSettings m_settings;
  std::mutex m_mutex;
  std::optional<KubeCredentials> m_cached;
};

}  // namespace

Result<KubeCredentials> parse_exec_credential(std::string_view out, std::string_view api_version_expected,
                                              std::string_view shown) {
  const auto bad = [shown](std::string_view what) {
    return fail(ErrorCode::unauthorized, fmt::format("{}: {}", shown, what));
  };
  WipedJson doc(nlohmann::json::parse(out, nullptr, false));
  const auto& j = doc.get();
  if (j.is_discarded() || !j.is_object()) return bad("its output is not an ExecCredential JSON object");
  const auto text_of = [](const nlohmann::json& object, const char* key) -> std::optional<std::string_view> {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) return std::string_view();
    if (!it->is_string()) return std::nullopt;
    return std::string_view(it->get_ref<const std::string&>());
  };
  const auto kind = text_of(j, "kind");
  if (!kind || *kind != "ExecCredential") return bad("its output has kind other than ExecCredential");
  const auto api_version = text_of(j, "apiVersion");
  if (!api_version || *api_version != api_version_expected) {
    // Only a version keyd knows is named: the field is the plugin's text, which may be anything.
    if (api_version && (*api_version == k_v1 || *api_version == k_v1beta1)) {
      return bad(fmt::format("its output has apiVersion {:?}, expected {:?}", *api_version, api_version_expected));
    }
    return bad(fmt::format("its output has an apiVersion other than {:?}", api_version_expected));
  }
  const auto status = j.find("status");
  if (status == j.end() || !status->is_object()) return bad("its ExecCredential has no status");
  const auto token = text_of(*status, "token");
  const auto cert = text_of(*status, "clientCertificateData");
  const auto key = text_of(*status, "clientKeyData");
  const auto expiry = text_of(*status, "expirationTimestamp");
  if (!token || !cert || !key || !expiry) return bad("its ExecCredential status has a field that is not a string");
  if (cert->empty() != key->empty()) {
    return bad("its ExecCredential status needs both clientCertificateData and clientKeyData, or neither");
  }
  if (token->empty() && cert->empty()) return bad("its ExecCredential status has neither a token nor a certificate");

  KubeCredentials credentials;
  credentials.bearer_token = Secret::from_text(*token);
  credentials.client_cert_pem = std::string(*cert);
  if (!key->empty()) credentials.client_key_pem = std::make_shared<const Secret>(Secret::from_text(*key));
  if (!expiry->empty()) {
    const auto expires = parse_rfc3339(*expiry, DateTimeSeparator::t_or_space);
    if (!expires) return bad("its status.expirationTimestamp is not an RFC 3339 time");
    credentials.expires = *expires;
  }
  spdlog::debug("kube: {} returned {}{}", shown, token->empty() ? "a client certificate" : "a token",
                credentials.expires ? " valid until " + ports::format_rfc3339(*credentials.expires) : "");
  return credentials;
}

Result<std::shared_ptr<KubeCredentialSource>> make_exec_source(ExecConfig config, Environment base_env,
                                                               const ports::Clock& clock, ExecSettings settings) {
  if (config.api_version != k_v1 && config.api_version != k_v1beta1) {
    return fail(ErrorCode::invalid_config, fmt::format("exec.apiVersion {:?} is not supported (use {} or {})",
                                                       redact_for_message(config.api_version, 100), k_v1, k_v1beta1));
  }
  if (config.command.empty()) return fail(ErrorCode::invalid_config, "exec.command is missing");
  const auto& mode = config.interactive_mode;
  if (mode == "Always") {
    return fail(ErrorCode::invalid_config,
                "exec.interactiveMode Always is not possible: keyd runs the plugin without a terminal");
  }
  if (!mode.empty() && mode != "Never" && mode != "IfAvailable") {
    return fail(ErrorCode::invalid_config,
                fmt::format("exec.interactiveMode {:?} is not one of Never, IfAvailable, Always",
                            redact_for_message(mode, 100)));
  }
  return std::make_shared<ExecSource>(std::move(config), std::move(base_env), clock, settings);
}

}  // namespace keyd::adapters::kube
