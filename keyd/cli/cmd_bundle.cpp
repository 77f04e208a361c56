// keyd bundle: values.yaml → the ipfs-overlay's manifests (no key anywhere), a kustomization and
// the module manifest, written atomically into a directory keyd bundle owns.
#include "commands.hpp"
#include "keyd/app/bundle.hpp"
#include "keyd/config/bundle_values.hpp"
#include "keyd/config/config.hpp"
#include "options.hpp"
#include "output.hpp"
#include "runtime.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <set>
#include <tuple>
#include <optional>

namespace keyd::cli {

namespace {

namespace fs = std::filesystem;

bool made_by_bundle(const fs::path& file) {
  auto text = local_files::read_text(file);
  return text && text->starts_with(app::k_bundle_header);
}

// A directory keyd bundle may write into: missing, empty, or holding a kustomization.yaml it
// rendered. Anything else needs --force.
Status check_out_dir(const fs::path& dir, bool force) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return {};
  if (!fs::is_directory(dir, ec))
    return fail(ErrorCode::invalid_input, fmt::format("{}: not a directory", dir.string()));
  if (fs::is_empty(dir, ec) || force || made_by_bundle(dir / "kustomization.yaml")) return {};
  return fail(ErrorCode::invalid_input,
              fmt::format("{}: not empty and not made by keyd bundle (no kustomization.yaml it rendered); "
                          "choose another directory or pass --force",
                          dir.string()));
}

// Files an earlier run rendered that this one does not (e.g. keyd-cronjob.yaml after switching
// keyd.mode to daemon), so `kubectl apply -k` never sees a stale object.
Status remove_stale(const fs::path& dir, const std::vector<app::BundleFile>& files) {
  std::set<std::string> current;
  for (const auto& file : files) current.insert(file.name);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || current.contains(name) || entry.path().extension() != ".yaml") continue;
    if (!made_by_bundle(entry.path())) continue;
    if (!fs::remove(entry.path(), ec) && ec) {
      return fail(ErrorCode::io,
                  fmt::format("{}: cannot remove a stale file: {}", entry.path().string(), ec.message()));
    }
  }
  if (ec) return fail(ErrorCode::io, fmt::format("{}: {}", dir.string(), ec.message()));
  return {};
}

int run_bundle(const std::string& values_path, const std::string& out, bool force) {
  auto values = values_path.empty() ? Result<config::BundleValues>(config::BundleValues{})
                                    : config::load_bundle_values(values_path);
  if (!values) return report_error(values.error());
  const auto files = app::render_bundle(*values);
  // The keyd configurations inside the bundle (keyd's, the agent's, the operator's) must be ones keyd accepts.
  const auto agent = app::render_agent_config(*values);
  const std::array<std::tuple<std::optional<std::string>, std::string_view, std::string_view>, 3> configs{{
      {app::render_keyd_config(*values), "keyd-config.yaml (keyd.yaml)", "keyd"},
      {agent, "ipfs-agent.yaml (keyd.yaml)", "keyd agent"},
      {app::render_operator_config(*values), app::k_operator_config, "operator keyd"},
  }};
  for (const auto& [text, source, whose] : configs) {
    if (!text) continue;  // no agent without agent delivery
    if (auto parsed = config::parse_config(*text, source); !parsed) {
      return report_error(Error{ErrorCode::internal, fmt::format("rendered {} configuration is invalid: {}", whose,
                                                                 parsed.error().message)});
    }
  }
  const fs::path dir(out);
  if (auto st = check_out_dir(dir, force); !st) return report_error(st.error());
  if (auto st = local_files::ensure_directory(dir, 0755); !st) return report_error(st.error());
  for (const auto& file : files) {
    if (const auto parent = (dir / file.name).parent_path(); parent != dir) {
      if (auto st = local_files::ensure_directory(parent, 0755); !st) return report_error(st.error());
    }
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(file.content.data());
    if (auto st = local_files::write_atomically(dir / file.name, {bytes, file.content.size()}, 0644); !st) {
      return report_error(st.error());
    }
  }
  if (auto st = remove_stale(dir, files); !st) return report_error(st.error());
  std::string text;
  for (const auto& file : files) text += (dir / file.name).string() + "\n";
  const std::string operator_config = (dir / app::k_operator_config).string();
  if (values->key_delivery.mode == "agent") {
    text += fmt::format(
        "next: the Vault role {0} for service account {1}/{2}-node (see ipfs-agent.yaml), kubectl apply -k {3}, "
        "then keyd rotate --config {4} if Vault has no key yet: the pods' keyd agent fetches it\n",
        values->key_delivery.agent.role, values->namespace_name, values->name, dir.string(), operator_config);
  } else {
    text += fmt::format(
        "next: kubectl apply -k {0}, then keyd rotate --config {3} (a new key) or keyd sync --config {3} (the "
        "stored one) to create Secret {1}/{2} (VAULT_ADDR and VAULT_TOKEN from your shell)\n",
        dir.string(), values->namespace_name, values->key_delivery.secret, operator_config);
  }
  write_stdout(text);
  return k_exit_ok;
}

}  // namespace

void add_bundle(CLI::App& app, Action& action) {
  struct Options {
    std::string values;
    std::string out;
    bool force = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("bundle", "Render the ipfs-overlay's Kubernetes manifests (never a key)");
  cmd->footer(
      "Writes namespace, IPFS ConfigMap (and the agent's ServiceAccount and ConfigMap), StatefulSet,\n"
      "Services, NetworkPolicy, keyd's RBAC, ConfigMap, audit volume and CronJob or Deployment (with its\n"
      "Service), a kustomization.yaml, ipfs-overlay.manifest.json, and operator/keyd.yaml: keyd for your\n"
      "workstation with the same Vault path, Secret, namespace and StatefulSet (keyd rotate --config it).\n"
      "The same values give byte-identical files. The key Secret is not rendered: keyd creates it\n"
      "(or, with key_delivery.mode agent, there is none: a keyd agent init container fetches the key).\n"
      "Values are documented in configs/bundle-values.yaml (the defaults) and docs/bundle.md.\n"
      "Example: keyd bundle --values values.yaml --out deploy/ && kubectl apply -k deploy/");
  cmd->add_option("-f,--values", opts->values, "Values file (YAML); without it, the defaults");
  cmd->add_option("-o,--out", opts->out, "Directory to write (created; rewritten when keyd bundle made it)")
      ->required();
  cmd->add_flag("--force", opts->force, "Write into a non-empty directory keyd bundle did not make");
  cmd->callback([opts, &action] { action = [opts] { return run_bundle(opts->values, opts->out, opts->force); }; });
}

}  // namespace keyd::cli
