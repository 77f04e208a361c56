// kubeconfig files merged into one view (kubectl's rules), and access to an entry's fields with
// errors that name the file and the field. Used by kubeconfig.cpp and kubeconfig_user.cpp.
#pragma once

#include "kube_internal.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::adapters::kube {

// A named cluster, user or context: its body and the file that defined it (relative paths in it
// resolve against that file's directory).
struct KubeconfigEntry {
  YAML::Node body;
  std::filesystem::path origin;
};

struct MergedKubeconfig {
  std::map<std::string, KubeconfigEntry, std::less<>> clusters;
  std::map<std::string, KubeconfigEntry, std::less<>> users;
  std::map<std::string, KubeconfigEntry, std::less<>> contexts;
  std::string current_context;
  std::filesystem::path current_context_origin;
  std::vector<std::filesystem::path> loaded;  // the files that existed, in order
};

// One entry's fields, e.g. users[alice].tokenFile. Errors: "kubeconfig <file>: <where>.<field> …".
class EntryFields {
 public:
  EntryFields(const KubeconfigEntry& entry, std::string where) : m_entry(entry), m_where(std::move(where)) {}

  [[nodiscard]] bool has(std::string_view key) const;
  [[nodiscard]] YAML::Node node(std::string_view key) const;
  // A scalar as text ("" when absent or null); an error when the field is not a scalar.
  [[nodiscard]] Result<std::string> text(std::string_view key) const;
  [[nodiscard]] Result<bool> flag(std::string_view key) const;
  // A file path, resolved against the directory of the entry's kubeconfig ("" when absent).
  [[nodiscard]] Result<std::string> path(std::string_view key) const;
  // A base64 field, decoded. The error never shows the value.
  [[nodiscard]] Result<Secret> base64(std::string_view key) const;

  [[nodiscard]] Error error(std::string_view field, std::string_view problem,
                            ErrorCode code = ErrorCode::invalid_config) const;
  [[nodiscard]] const std::filesystem::path& origin() const { return m_entry.origin; }
  [[nodiscard]] const std::string& where() const { return m_where; }

 private:
  const KubeconfigEntry& m_entry;
  std::string m_where;
};

// The user part of a connection: TLS client certificate into `tls`, and the credential source.
[[nodiscard]] Result<std::shared_ptr<KubeCredentialSource>> load_kubeconfig_user(const EntryFields& user,
                                                                                 ports::TlsOptions& tls,
                                                                                 const Environment& env,
                                                                                 const ports::Clock& clock,
                                                                                 ExecSettings exec_settings);

}  // namespace keyd::adapters::kube
