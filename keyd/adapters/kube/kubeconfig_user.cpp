// A kubeconfig user: token (beats tokenFile), tokenFile, client certificate and key (file or
// data), or an exec credential plugin. auth-provider, basic auth and impersonation are refused.
#include "kubeconfig_model.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters::kube {

namespace {

Status load_client_certificate(const EntryFields& user, ports::TlsOptions& tls) {
  KEYD_ASSIGN_OR_RETURN(tls.client_cert_file, user.path("client-certificate"));
  KEYD_ASSIGN_OR_RETURN(tls.client_key_file, user.path("client-key"));
  if (user.has("client-certificate-data")) {
    KEYD_ASSIGN_OR_RETURN(auto cert, user.base64("client-certificate-data"));
    tls.client_cert_pem = std::string(cert.reveal_text());
    tls.client_cert_file.clear();  // the data wins
  }
  if (user.has("client-key-data")) {
    KEYD_ASSIGN_OR_RETURN(auto key, user.base64("client-key-data"));
    tls.client_key_pem = std::make_shared<const Secret>(std::move(key));
    tls.client_key_file.clear();
  }
  const bool has_cert = !tls.client_cert_file.empty() || !tls.client_cert_pem.empty();
  const bool has_key = !tls.client_key_file.empty() || (tls.client_key_pem && !tls.client_key_pem->empty());
  if (has_cert && !has_key) return fail(user.error("client-key", "(or client-key-data) is needed with the certificate"));
  if (has_key && !has_cert) {
    return fail(user.error("client-certificate", "(or client-certificate-data) is needed with the key"));
  }
  return {};
}

Result<ExecConfig> load_exec(const EntryFields& user) {
  const auto exec_node = user.node("exec");
  if (!exec_node.IsMap()) return fail(user.error("exec", "must be a mapping"));
  const KubeconfigEntry exec_entry{exec_node, user.origin()};  // outlives `exec`, which refers to it
  const EntryFields exec(exec_entry, user.where() + ".exec");
  ExecConfig config;
  KEYD_ASSIGN_OR_RETURN(config.api_version, exec.text("apiVersion"));
  KEYD_ASSIGN_OR_RETURN(config.command, exec.text("command"));
  if (config.command.empty()) return fail(exec.error("command", "is missing"));
  // A relative path with a directory part resolves against the kubeconfig's directory, as kubectl
  // does; a bare name is looked up in PATH.
  if (config.command.find('/') != std::string::npos) {
    KEYD_ASSIGN_OR_RETURN(config.command, exec.path("command"));
  }
  KEYD_ASSIGN_OR_RETURN(config.install_hint, exec.text("installHint"));
  KEYD_ASSIGN_OR_RETURN(config.interactive_mode, exec.text("interactiveMode"));
  if (const auto args = exec.node("args"); args.IsDefined() && !args.IsNull()) {
    if (!args.IsSequence()) return fail(exec.error("args", "must be a list of strings"));
    for (const auto& arg : args) {
      if (!arg.IsScalar()) return fail(exec.error("args", "must be a list of strings"));
      config.args.push_back(arg.Scalar());
    }
  }
  if (const auto env = exec.node("env"); env.IsDefined() && !env.IsNull()) {
    if (!env.IsSequence()) return fail(exec.error("env", "must be a list of {name, value}"));
    for (std::size_t i = 0; i < env.size(); ++i) {
      const auto item = env[i];
      const auto name = item.IsMap() ? item["name"] : YAML::Node();
      const auto value = item.IsMap() ? item["value"] : YAML::Node();
      if (!name.IsDefined() || !name.IsScalar() || name.Scalar().empty() || name.Scalar().find('=') != std::string::npos) {
        return fail(exec.error(fmt::format("env[{}].name", i), "must be a variable name"));
      }
      if (value.IsDefined() && !value.IsNull() && !value.IsScalar()) {
        return fail(exec.error(fmt::format("env[{}].value", i), "must be a string"));
      }
      config.env.emplace_back(name.Scalar(), value.IsDefined() && value.IsScalar() ? value.Scalar() : "");
    }
  }
  return config;
}

}  // namespace

Result<std::shared_ptr<KubeCredentialSource>> load_kubeconfig_user(const EntryFields& user, ports::TlsOptions& tls,
                                                                   const Environment& env, const ports::Clock& clock,
                                                                   ExecSettings exec_settings) {
  if (user.has("auth-provider")) {
    return fail(user.error("auth-provider",
                           "is not supported (it was removed from kubectl); use an exec credential plugin"));
  }
  for (const char* unsupported : {"username", "password", "as", "as-uid", "as-groups", "as-user-extra"}) {
    if (user.has(unsupported)) return fail(user.error(unsupported, "is not supported by keyd"));
  }
  KEYD_TRY(load_client_certificate(user, tls));

  KEYD_ASSIGN_OR_RETURN(auto token_text, user.text("token"));
  auto token = Secret::from_text(trim(token_text));
  secure_zero(token_text.data(), token_text.size());
  KEYD_ASSIGN_OR_RETURN(const auto token_file, user.path("tokenFile"));
  const bool has_exec = user.has("exec");
  if (!token.empty()) {
    if (!token_file.empty() || has_exec) spdlog::debug("kube: {}: token takes precedence over tokenFile and exec", user.where());
    return make_static_token_source(std::move(token));
  }
  if (!token_file.empty()) {
    auto source = make_token_file_source(token_file, fmt::format("{}.tokenFile", user.where()), clock);
    if (!source) return fail(std::move(source).error().with_context(fmt::format("kubeconfig {}", user.origin().string())));
    return source;
  }
  if (has_exec) {
    KEYD_ASSIGN_OR_RETURN(auto config, load_exec(user));
    auto source = make_exec_source(std::move(config), env, clock, exec_settings);
    if (!source) {
      return fail(std::move(source).error().with_context(fmt::format("kubeconfig {}: {}", user.origin().string(), user.where())));
    }
    return source;
  }
  return make_no_credentials();  // a client certificate alone, or anonymous
}

}  // namespace keyd::adapters::kube
