#include "runtime.hpp"

#include "kube_wiring.hpp"
#include "keyd/cli/progress.hpp"
#include "wiring.hpp"

#include "keyd/adapters/audit/audit_file.hpp"
#include "keyd/adapters/audit/audit_stream.hpp"
#include "keyd/adapters/os/fs.hpp"
#include "keyd/adapters/scan/scan_sources.hpp"
#include "keyd/adapters/os/system_clock.hpp"
#include "keyd/adapters/os/system_random.hpp"

#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <utility>

namespace keyd::cli {

Runtime::Runtime(config::Config config, Actor actor)
    : m_config(std::move(config)),
      m_actor(std::move(actor)),
      m_clock(make_clock()),
      m_random(std::make_unique<adapters::SystemRandom>()) {}

Runtime::~Runtime() = default;

Result<std::unique_ptr<Runtime>> Runtime::make(config::Config config, Actor actor) {
  std::unique_ptr<Runtime> rt(new Runtime(std::move(config), std::move(actor)));
  // The store logs in lazily, after make() returned; the observer is bound to this runtime.
  KEYD_ASSIGN_OR_RETURN(BuiltStore built,
                        make_store(rt->m_config, *rt->m_clock, *rt->m_random,
                                   [raw = rt.get()](std::string_view identity) { raw->on_store_login(identity); }));
  rt->m_transport = std::move(built.transport);
  rt->m_store = std::move(built.store);
  KEYD_ASSIGN_OR_RETURN(rt->m_audit, make_audit_log(rt->m_config, *rt->m_store, *rt->m_random));
  rt->m_context =
      std::make_unique<app::Context>(app::Context{*rt->m_store, *rt->m_audit, *rt->m_clock, rt->m_actor.name});
  return rt;
}

// Single-threaded commands audit who the store says they are once it logged in (a CronJob's `keyd
// rotate` with Vault Kubernetes auth: "root vault:kubernetes/keyd sa=ipfs-system/keyd …"; keyd agent:
// "root@ipfs-0 vault:kubernetes/keyd-reader sa=ipfs/ipfs-overlay").
void Runtime::on_store_login(std::string_view identity) {
  if (m_actor.login == StoreLogin::ignored || !m_context) return;
  m_context->actor = fmt::format("{} {}", m_actor.name, identity);
}

ports::Progress& Runtime::progress() {
  if (!m_progress) m_progress = make_progress();
  return *m_progress;
}

KubeResources& Runtime::kube() {
  if (!m_kube) m_kube = std::make_unique<KubeResources>(m_config.kubernetes, *m_clock, *m_random);
  return *m_kube;
}

Result<config::Config> load(const std::string& config_path) {
  if (config_path.empty()) {
    return fail(ErrorCode::invalid_config, "no configuration: pass --config FILE or set KEYD_CONFIG");
  }
  auto cfg = config::load_config(config_path);
  if (cfg) spdlog::debug("loaded config {} ({} swarm(s))", config_path, cfg->swarms.size());
  return cfg;
}

std::string os_actor() {
  const uid_t uid = geteuid();
  std::array<char, 4096> buf{};
  passwd pw{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) return found->pw_name;
  return fmt::format("uid:{}", uid);
}

namespace {
int g_audit_fd = STDOUT_FILENO;
}  // namespace

void audit_lines_to_stderr() { g_audit_fd = STDERR_FILENO; }
void audit_lines_to_stdout() { g_audit_fd = STDOUT_FILENO; }

Result<std::unique_ptr<ports::AuditLog>> make_audit_log(const config::Config& config, ports::SecretStore& store,
                                                        ports::Random& random) {
  if (config.audit.sink == config::AuditSink::file) return make_audit_file_log(config);
  const auto caps = store.capabilities();
  if (!caps.check_and_set || !caps.writes) {
    return fail(ErrorCode::invalid_config,
                fmt::format("audit.sink stdout keeps the audit chain's head in the store with check-and-set; {} {}",
                            store.describe(), caps.writes ? "has no check-and-set" : "is read-only"));
  }
  adapters::AuditStreamOptions options;
  options.head_path = config.audit.head_path;
  options.write = adapters::fd_line_writer(g_audit_fd, g_audit_fd == STDOUT_FILENO ? "standard output"
                                                                                    : "standard error");
  return adapters::make_audit_stream(store, std::move(options), random);
}

std::unique_ptr<ports::AuditLog> make_audit_file_log(const config::Config& config) {
  return adapters::make_audit_file(config.audit.file);
}

std::unique_ptr<ports::Clock> make_clock() { return std::make_unique<adapters::SystemClock>(); }

Result<AuditChainCheck> verify_audit_chain(const std::string& file) {
  KEYD_ASSIGN_OR_RETURN(const adapters::AuditVerifyReport report, adapters::verify_audit_file(file));
  return AuditChainCheck{report.entries, report.ok ? std::string() : report.problem};
}

Result<CollectedAuditCheck> verify_collected_audit(const std::string& file, ports::SecretStore& store,
                                                  const std::string& head_path) {
  KEYD_ASSIGN_OR_RETURN(const adapters::CollectedAudit collected, adapters::read_collected_audit(file));
  KEYD_ASSIGN_OR_RETURN(const adapters::AuditVerifyReport report,
                        adapters::verify_collected_audit(collected, store, head_path));
  return CollectedAuditCheck{AuditChainCheck{report.entries, report.ok ? std::string() : report.problem},
                             adapters::collected_audit_records(collected)};
}

std::unique_ptr<ports::KeyScanner> make_key_scanner() { return adapters::make_key_scanner(); }

namespace local_files {

Status write_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> data, mode_t mode) {
  return adapters::atomic_write_file(path, data, mode);
}

Result<Secret> read_secret(const std::filesystem::path& path) { return adapters::read_secret_file(path); }

Result<Secret> read_small_regular(const std::filesystem::path& path, std::size_t max_bytes) {
  return adapters::read_small_regular_file(path, max_bytes);
}

Result<std::string> read_text(const std::filesystem::path& path) { return adapters::read_text_file(path); }

Status ensure_directory(const std::filesystem::path& dir, mode_t mode) { return adapters::ensure_directory(dir, mode); }

}  // namespace local_files

}  // namespace keyd::cli
