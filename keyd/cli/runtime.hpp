// The runtime: what every keyd command runs on, built once from a loaded configuration — clock,
// random source, the store (and the transport it talks through), the audit log, the context the use
// cases take, and, made on first use, the progress display and the Kubernetes client the targets,
// the leader elector and TokenReview share. A swarm's targets are built on it by build_swarm().
// With it, only the composition root (runtime, wiring, kube_wiring, agent_wiring, repair_wiring,
// daemon_prepare, daemon_runner, swarm_session) names concrete adapters; commands use what it
// declares: the Runtime, the key scanner and the local file helpers below.
#pragma once

#include "keyd/app/use_cases.hpp"
#include "keyd/common/secret.hpp"
#include "keyd/config/config.hpp"
#include "keyd/ports/audit_log.hpp"
#include "keyd/ports/clock.hpp"
#include "keyd/ports/http.hpp"
#include "keyd/ports/key_scanner.hpp"
#include "keyd/ports/progress.hpp"
#include "keyd/ports/random.hpp"
#include "keyd/ports/secret_store.hpp"

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

namespace keyd::cli {

class KubeResources;  // kube_wiring.hpp

// Whether the store's login identity (Vault: "vault:kubernetes/role sa=ns/name") is appended to the
// audit actor once the store logged in. Single-threaded commands and keyd agent append it; keyd
// daemon ignores it (its contexts are its own and its store is used from several threads).
enum class StoreLogin { appended, ignored };

// Who the context's audit entries name, and whether the store's login identity follows.
struct Actor {
  std::string name;
  StoreLogin login = StoreLogin::appended;
};

// Members are destroyed in reverse order: the transport outlives the store that uses it, and what
// targets use (clock, progress, the Kubernetes client) outlives the targets built on the runtime
// (which must themselves be destroyed before it).
class Runtime {
 public:
  // Builds the configured store (no network call: stores log in on first use) and audit log.
  [[nodiscard]] static Result<std::unique_ptr<Runtime>> make(config::Config config, Actor actor);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  [[nodiscard]] const config::Config& config() const { return m_config; }
  [[nodiscard]] const ports::Clock& clock() const { return *m_clock; }
  [[nodiscard]] ports::Random& random() { return *m_random; }
  [[nodiscard]] ports::SecretStore& store() { return *m_store; }
  [[nodiscard]] ports::AuditLog& audit() { return *m_audit; }
  // The use cases' context: store, audit log, clock and the actor (plus the store's login identity).
  [[nodiscard]] app::Context& context() { return *m_context; }
  // Made on first use (by a kubernetes target).
  [[nodiscard]] ports::Progress& progress();
  // Made on first use; it resolves the connection only when its api() is first called.
  [[nodiscard]] KubeResources& kube();

 private:
  Runtime(config::Config config, Actor actor);
  void on_store_login(std::string_view identity);

  config::Config m_config;
  Actor m_actor;
  std::unique_ptr<ports::Clock> m_clock;
  std::unique_ptr<ports::Random> m_random;
  std::unique_ptr<ports::HttpTransport> m_transport;  // the store's connection to its server, if any
  std::unique_ptr<ports::SecretStore> m_store;
  std::unique_ptr<ports::AuditLog> m_audit;
  std::unique_ptr<ports::Progress> m_progress;
  std::unique_ptr<KubeResources> m_kube;
  std::unique_ptr<app::Context> m_context;
};

// Any configured swarm with its targets, on the runtime's clock, progress and shared clients.
[[nodiscard]] Result<app::Swarm> build_swarm(const config::SwarmConfig& swarm, Runtime& runtime);

// The configuration at config_path ("": an error naming --config and KEYD_CONFIG).
[[nodiscard]] Result<config::Config> load(const std::string& config_path);

// The OS user running keyd (the audit actor).
[[nodiscard]] std::string os_actor();

// The configured audit log: the audit file (sink file), or lines on standard output with the chain's
// head in `store` (sink stdout; invalid_config when the store cannot check-and-set). `store` and
// `random` must outlive it.
[[nodiscard]] Result<std::unique_ptr<ports::AuditLog>> make_audit_log(const config::Config& config,
                                                                      ports::SecretStore& store, ports::Random& random);
// For commands without a store (keyd generate) and sink file: the audit file.
[[nodiscard]] std::unique_ptr<ports::AuditLog> make_audit_file_log(const config::Config& config);

// This command's standard output carries its result for a program (--output json, --out -): audit
// lines (sink stdout) go to standard error instead, so that output stays what it says. Call before
// the runtime is made.
void audit_lines_to_stderr();
// Back to standard output (each run() starts there).
void audit_lines_to_stdout();
[[nodiscard]] std::unique_ptr<ports::Clock> make_clock();

// keyd audit verify: the audit file's hash chain, end to end. not_found when the file does not
// exist; io on read errors; a broken chain is a problem in the result, not an error.
struct AuditChainCheck {
  std::size_t entries = 0;  // lines checked
  std::string problem;      // empty: intact
};
[[nodiscard]] Result<AuditChainCheck> verify_audit_chain(const std::string& file);
// audit.sink stdout: lines collected from the log pipeline, in any order, against the chain's head
// in the store; and those entries for the store cross-check (the file is read once for both).
struct CollectedAuditCheck {
  AuditChainCheck chain;
  std::vector<ports::AuditRecord> records;
};
[[nodiscard]] Result<CollectedAuditCheck> verify_collected_audit(const std::string& file, ports::SecretStore& store,
                                                                 const std::string& head_path);

// keyd scan's sources (keyd/adapters/scan): files on disk, a repository's history, what is staged.
[[nodiscard]] std::unique_ptr<ports::KeyScanner> make_key_scanner();

// The files commands read and write themselves — key files (keyd keyfile, read, write) and keyd
// bundle's output — with the crash-safe primitives of keyd/adapters/os (os/fs.hpp says more).
namespace local_files {
// Temp file in the same directory created with `mode` + write + fsync + rename + directory fsync;
// on failure `path` is untouched. Errors name the path, never the data.
[[nodiscard]] Status write_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> data,
                                      mode_t mode);
// A whole file as a Secret. not_found when it does not exist; io otherwise.
[[nodiscard]] Result<Secret> read_secret(const std::filesystem::path& path);
// A user-named file that must be regular and at most max_bytes (never blocks on a FIFO):
// invalid_input otherwise, not_found when it does not exist.
[[nodiscard]] Result<Secret> read_small_regular(const std::filesystem::path& path, std::size_t max_bytes);
// A whole non-secret file. not_found when it does not exist.
[[nodiscard]] Result<std::string> read_text(const std::filesystem::path& path);
// mkdir -p with `mode` for the directories it creates.
[[nodiscard]] Status ensure_directory(const std::filesystem::path& dir, mode_t mode);
}  // namespace local_files

}  // namespace keyd::cli
