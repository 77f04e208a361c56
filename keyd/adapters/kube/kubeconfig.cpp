// kubeconfig files: load and merge them as kubectl does, select the context, and build the
// connection from its cluster and user.
#include "kubeconfig_model.hpp"

#include "keyd/adapters/os/fs.hpp"
#include "keyd/common/base64.hpp"
#include "keyd/common/redact.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters::kube {

bool EntryFields::has(std::string_view key) const {
  const auto value = node(key);
  return value.IsDefined() && !value.IsNull();
}

YAML::Node EntryFields::node(std::string_view key) const {
  if (!m_entry.body.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  return m_entry.body[std::string(key)];
}

Result<std::string> EntryFields::text(std::string_view key) const {
  const auto value = node(key);
  if (!value.IsDefined() || value.IsNull()) return std::string();
  if (!value.IsScalar()) return fail(error(key, "must be a string"));
  return value.Scalar();
}

Result<bool> EntryFields::flag(std::string_view key) const {
  const auto value = node(key);
  if (!value.IsDefined() || value.IsNull()) return false;
  bool out = false;
  if (!value.IsScalar() || !YAML::convert<bool>::decode(value, out)) return fail(error(key, "must be true or false"));
  return out;
}

Result<std::string> EntryFields::path(std::string_view key) const {
  KEYD_ASSIGN_OR_RETURN(auto text_value, text(key));
  if (text_value.empty()) return text_value;
  const std::filesystem::path p(text_value);
  if (p.is_absolute()) return text_value;
  return (m_entry.origin.parent_path() / p).lexically_normal().string();
}

Result<Secret> EntryFields::base64(std::string_view key) const {
  KEYD_ASSIGN_OR_RETURN(auto encoded, text(key));
  auto decoded = base64_decode_lenient(encoded);
  secure_zero(encoded.data(), encoded.size());
  if (!decoded) return fail(error(key, "is not valid base64"));
  return std::move(*decoded);
}

Error EntryFields::error(std::string_view field, std::string_view problem, ErrorCode code) const {
  return Error{code, fmt::format("kubeconfig {}: {}.{} {}", m_entry.origin.string(), m_where, field, problem)};
}

namespace {

std::string join(const std::vector<std::filesystem::path>& files) {
  std::string out;
  for (const auto& file : files) out += (out.empty() ? "" : ":") + file.string();
  return out;
}

std::unexpected<Error> invalid(const std::filesystem::path& file, std::string_view problem) {
  return fail(ErrorCode::invalid_config, fmt::format("kubeconfig {}: {}", file.string(), problem));
}

// Adds the named entries of one list (clusters, users, contexts); names already present win.
Status merge_list(const YAML::Node& root, const char* list, const char* body_key, const std::filesystem::path& file,
                  std::map<std::string, KubeconfigEntry, std::less<>>& into) {
  const auto items = root[list];
  if (!items.IsDefined() || items.IsNull()) return {};
  if (!items.IsSequence()) return invalid(file, fmt::format("{} must be a list", list));
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto item = items[i];
    const auto name = item.IsMap() ? item["name"] : YAML::Node();
    if (!name.IsDefined() || !name.IsScalar() || name.Scalar().empty()) {
      return invalid(file, fmt::format("{}[{}] has no name", list, i));
    }
    // A missing body key gives yaml-cpp's invalid node, whose IsMap() throws: keep a null instead.
    const auto body = item[body_key];
    into.try_emplace(name.Scalar(), KubeconfigEntry{body.IsDefined() ? body : YAML::Node(), file});
  }
  return {};
}

Status merge_file(const std::filesystem::path& file, const Secret& content, MergedKubeconfig& merged) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(content.reveal_text()));
  } catch (const YAML::Exception& e) {
    return invalid(file, fmt::format("not valid YAML (line {}: {})", e.mark.line + 1, e.msg));
  }
  merged.loaded.push_back(file);
  if (root.IsNull()) return {};  // an empty file is an empty configuration
  if (!root.IsMap()) return invalid(file, "not a kubeconfig (the document is not a mapping)");
  KEYD_TRY(merge_list(root, "clusters", "cluster", file, merged.clusters));
  KEYD_TRY(merge_list(root, "users", "user", file, merged.users));
  KEYD_TRY(merge_list(root, "contexts", "context", file, merged.contexts));
  const auto current = root["current-context"];
  if (current.IsDefined() && current.IsScalar() && !current.Scalar().empty() && merged.current_context.empty()) {
    merged.current_context = current.Scalar();
    merged.current_context_origin = file;
  }
  return {};
}

Result<MergedKubeconfig> merge_files(const std::vector<std::filesystem::path>& files, bool explicit_file) {
  MergedKubeconfig merged;
  std::vector<std::filesystem::path> seen;
  for (const auto& file : files) {
    if (file.empty() || std::ranges::find(seen, file) != seen.end()) continue;
    seen.push_back(file);
    auto content = read_secret_file(file);
    if (!content && content.error().code == ErrorCode::not_found && !explicit_file) continue;
    if (!content) return invalid(file, fmt::format("cannot be read ({})", content.error().message));
    KEYD_TRY(merge_file(file, *content, merged));
  }
  if (merged.loaded.empty()) {
    return fail(ErrorCode::invalid_config, fmt::format("kubeconfig {}: no such file", join(seen)));
  }
  return merged;
}

Status load_cluster(const EntryFields& cluster, KubeConnection& connection) {
  for (const char* unsupported : {"proxy-url"}) {
    if (cluster.has(unsupported)) return fail(cluster.error(unsupported, "is not supported"));
  }
  KEYD_ASSIGN_OR_RETURN(connection.server, cluster.text("server"));
  if (connection.server.empty()) return fail(cluster.error("server", "is missing"));
  while (connection.server.ends_with('/')) connection.server.pop_back();
  auto& tls = connection.tls;
  KEYD_ASSIGN_OR_RETURN(tls.ca_file, cluster.path("certificate-authority"));
  if (cluster.has("certificate-authority-data")) {
    KEYD_ASSIGN_OR_RETURN(auto ca, cluster.base64("certificate-authority-data"));
    tls.ca_pem = std::string(ca.reveal_text());
    if (tls.ca_pem.empty()) return fail(cluster.error("certificate-authority-data", "is empty"));
    tls.ca_file.clear();  // the data wins, as in kubectl
  }
  KEYD_ASSIGN_OR_RETURN(tls.insecure_skip_verify, cluster.flag("insecure-skip-tls-verify"));
  KEYD_ASSIGN_OR_RETURN(tls.server_name, cluster.text("tls-server-name"));
  return {};
}

}  // namespace

namespace {

// A name from the file as its errors and logs quote it: a key-shaped run in it (a token pasted into
// the wrong field) is not repeated (fuzz finding K4).
std::string shown(const std::string& name) { return redact_for_message(name, 100); }

}  // namespace

Result<KubeConnection> load_kubeconfig(const std::vector<std::filesystem::path>& files, bool explicit_file,
                                       const std::string& context, const Environment& env, const ports::Clock& clock,
                                       ExecSettings exec_settings) {
  KEYD_ASSIGN_OR_RETURN(auto merged, merge_files(files, explicit_file));
  const std::string all = join(merged.loaded);
  const std::string& name = context.empty() ? merged.current_context : context;
  if (name.empty()) {
    return fail(ErrorCode::invalid_config,
                fmt::format("kubeconfig {}: current-context is not set and no context was given", all));
  }
  const auto found = merged.contexts.find(name);
  if (found == merged.contexts.end()) {
    const std::string from =
        context.empty() ? fmt::format("current-context {:?}", shown(name)) : fmt::format("context {:?}", shown(name));
    const std::string in = context.empty() ? merged.current_context_origin.string() : all;
    return fail(ErrorCode::invalid_config, fmt::format("kubeconfig {}: {} not found in contexts", in, from));
  }
  const EntryFields ctx(found->second, fmt::format("contexts[{}]", shown(name)));
  if (!found->second.body.IsMap()) return fail(ctx.error("context", "is missing"));

  KubeConnection connection;
  connection.description = fmt::format("kubeconfig {} (context {})", ctx.origin().string(), shown(name));
  KEYD_ASSIGN_OR_RETURN(connection.default_namespace, ctx.text("namespace"));
  if (connection.default_namespace.empty()) connection.default_namespace = "default";

  KEYD_ASSIGN_OR_RETURN(const auto cluster_name, ctx.text("cluster"));
  if (cluster_name.empty()) return fail(ctx.error("cluster", "is not set"));
  const auto cluster = merged.clusters.find(cluster_name);
  if (cluster == merged.clusters.end()) {
    return fail(ctx.error("cluster", fmt::format("{:?} not found in the clusters of {}", shown(cluster_name), all)));
  }
  KEYD_TRY(
      load_cluster(EntryFields(cluster->second, fmt::format("clusters[{}].cluster", shown(cluster_name))), connection));

  KEYD_ASSIGN_OR_RETURN(const auto user_name, ctx.text("user"));
  if (user_name.empty()) {
    connection.credentials = make_no_credentials();  // anonymous, as kubectl allows
    return connection;
  }
  const auto user = merged.users.find(user_name);
  if (user == merged.users.end()) {
    return fail(ctx.error("user", fmt::format("{:?} not found in the users of {}", shown(user_name), all)));
  }
  KEYD_ASSIGN_OR_RETURN(connection.credentials,
                        load_kubeconfig_user(EntryFields(user->second, fmt::format("users[{}].user", shown(user_name))),
                                             connection.tls, env, clock, exec_settings));
  spdlog::debug("kube: using {} (server {})", connection.description, connection.server);
  return connection;
}

}  // namespace keyd::adapters::kube
