// keyd agent: keep a swarm's key in a local file (init container with --once, or sidecar).
#include "agent_wiring.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "swarm_session.hpp"

#include "keyd/app/agent.hpp"
#include "keyd/common/duration.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>

namespace keyd::cli {

namespace {

// Exit status of the continuous agent when --on-change exit fired: the key changed.
constexpr int k_exit_key_changed = 3;

volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_stop_signal(int) { g_stop = 1; }

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = &on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a wait ends at once
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
}

// Who the audit trail names: the OS user at the pod ($HOSTNAME is the pod name in Kubernetes).
std::string agent_actor() {
  std::string host;
  if (const char* h = std::getenv("HOSTNAME"); h != nullptr && *h != '\0') {
    host = h;
  } else {
    std::array<char, 256> buf{};
    if (::gethostname(buf.data(), buf.size() - 1) == 0) host = buf.data();
  }
  return host.empty() ? os_actor() : fmt::format("{}@{}", os_actor(), host);
}

Result<std::chrono::milliseconds> duration_option(std::string_view flag, const std::string& text) {
  auto d = parse_duration(text);
  if (!d || *d < std::chrono::milliseconds{1}) {
    return fail(ErrorCode::invalid_config,
                fmt::format("{} {}: expected a positive duration such as 30s, 1m or 250ms", flag, text));
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
}

void status_line(std::string_view line) {
  std::fprintf(stderr, "keyd: agent: %.*s\n", static_cast<int>(line.size()), line.data());
}

struct Options {
  SwarmOptions swarm;
  std::string sink;
  bool once = false;
  std::string interval = "30s";
  AgentActionSettings action;
  std::string command_timeout = "30s";
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  int retries = 5;
  std::string retry_max_wait = "30s";
  std::string timeout;  // --once only; empty: k_default_once_timeout
};

// An init container that never ends blocks its pod without a word; one that fails is restarted by
// the kubelet with backoff and shows its error. Two minutes outlasts a Vault restart or leader
// election and still surfaces a real outage quickly.
constexpr std::string_view k_default_once_timeout = "2m";

// --once's time limit as the user gave it (or the default): parsed once, quoted by the watchdog.
std::string once_timeout_text(const Options& o) {
  return o.timeout.empty() ? std::string(k_default_once_timeout) : o.timeout;
}
// How long past --timeout the watchdog waits for the soft limit (no new attempt, no wait beyond it)
// before it ends the process: one request started just before the limit may still be running.
constexpr std::chrono::milliseconds k_watchdog_grace{1500};

// For --once: no request of the store may outlast the time limit, and the store makes one attempt
// per request — the agent's --retries are the only retries, so the two never multiply.
void cap_store_timeouts(config::Config& config, std::chrono::milliseconds limit) {
  auto& vault = config.store.vault;
  vault.timeout = std::min(vault.timeout, limit);
  vault.connect_timeout = std::min(vault.connect_timeout, limit);
  vault.max_attempts = 1;
  auto& daemon = config.store.daemon;
  daemon.timeout = std::min(daemon.timeout, limit);
  daemon.max_attempts = 1;
  config.store.mcp.timeout = std::min(config.store.mcp.timeout, limit);
}

// Ends the process when --once overruns its time limit by more than the grace, whatever an attempt
// is doing: the sink is written atomically and an audit line torn by the exit is repaired by the
// next append, so stopping anywhere is safe. Disarmed on destruction.
class Watchdog {
 public:
  explicit Watchdog(std::chrono::milliseconds after, std::string limit_text)
      : m_thread([this, after, text = std::move(limit_text)] {
          std::unique_lock lock(m_mutex);
          if (m_cv.wait_for(lock, after, [this] { return m_disarmed; })) return;
          std::fprintf(stderr, "keyd: error: agent --once: still no key after the time limit of %s; giving up\n",
                       text.c_str());
          std::fflush(stderr);
          std::_Exit(k_exit_failure);
        }) {}
  ~Watchdog() {
    {
      const std::lock_guard lock(m_mutex);
      m_disarmed = true;
    }
    m_cv.notify_all();
    m_thread.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_disarmed = false;
  std::thread m_thread;  // last: started once the rest is ready
};

Result<app::AgentOptions> agent_options(const Options& o) {
  app::AgentOptions options;
  options.retries = o.retries;
  if (!o.once && !o.timeout.empty()) {
    return fail(ErrorCode::invalid_config,
                "--timeout bounds --once; the continuous agent keeps retrying (each request is bounded by the "
                "store's timeout)");
  }
  if (o.once) {
    KEYD_ASSIGN_OR_RETURN(options.time_limit, duration_option("--timeout", once_timeout_text(o)));
  }
  KEYD_ASSIGN_OR_RETURN(options.interval, duration_option("--interval", o.interval));
  KEYD_ASSIGN_OR_RETURN(options.retry_max_wait, duration_option("--retry-max-wait", o.retry_max_wait));
  options.retry_base = std::min(options.retry_base, options.retry_max_wait);
  return options;
}

int run_agent(Options o) {
  if (o.once && o.action.kind != "none") {
    return report_error(Error{ErrorCode::invalid_config,
                              "--on-change is for the continuous agent; --once never runs an action (the consumer "
                              "has not started yet)"});
  }
  auto options = agent_options(o);
  if (!options) return report_error(options.error());
  auto timeout = duration_option("--command-timeout", o.command_timeout);
  if (!timeout) return report_error(timeout.error());
  o.action.command_timeout = *timeout;
  auto action = make_agent_action(o.action);
  if (!action) return report_error(action.error());

  // The audit actor: user@host, plus who the store says the agent is once it logged in (Vault:
  // "root@ipfs-0 vault:kubernetes/keyd-reader sa=ipfs/ipfs-overlay"). Set before each audit entry.
  ConfigAdjust adjust;
  if (options->time_limit) {
    adjust = [limit = *options->time_limit](config::Config& config) { cap_store_timeouts(config, limit); };
  }
  auto session = open_swarm(o.swarm, Targets::skip, Actor{agent_actor(), StoreLogin::appended}, adjust);
  if (!session) return report_error(session.error());
  auto sink = make_agent_sink(o.sink, o.uid, o.gid);

  ports::Random& random = session->runtime->random();
  app::AgentHooks hooks{[&random] { return random.uniform(); }, [] { return g_stop != 0; }, &status_line};
  app::Agent agent(session->context(), session->swarm, *sink, action->get(), *options, std::move(hooks));

  if (o.once) {
    std::optional<Watchdog> watchdog;
    watchdog.emplace(*options->time_limit + k_watchdog_grace, once_timeout_text(o));
    auto report = agent.once();
    watchdog.reset();
    if (!report) return report_error(report.error());
    write_stdout(fmt::format("agent: swarm {} version {} (fingerprint {}) {}: {}\n", session->swarm.name,
                             report->version, report->fingerprint, sink->describe(),
                             app::to_string(report->last_outcome)));
    return k_exit_ok;
  }
  install_stop_handlers();
  status_line(fmt::format("swarm {}: keeping {} current from {} every {} ({} on change)", session->swarm.name,
                          sink->describe(), session->runtime->store().describe(), o.interval,
                          *action ? (*action)->describe() : std::string("nothing")));
  const app::AgentReport report = agent.run();
  status_line(fmt::format("stopping after {} poll(s), {} fetch(es), {} write(s), {} action(s)", report.polls,
                          report.fetches, report.writes, report.actions));
  return report.exit_requested ? k_exit_key_changed : k_exit_ok;
}

}  // namespace

void add_agent(CLI::App& app, Action& action) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "agent",
      "Keep a swarm's key in a local file: an init container (--once) or a sidecar (replaces the Vault Agent)");
  add_swarm_options(*cmd, opts->swarm);
  cmd->add_option("--sink", opts->sink, "Key file to keep current, e.g. $IPFS_PATH/swarm.key (mode 0600, atomic)")
      ->required();
  cmd->add_flag("--once", opts->once,
                "Init-container mode: fetch, write, exit 0; after bounded retries exit non-zero with the reason");
  cmd->add_option("--interval", opts->interval, "Continuous mode: time between version checks (±10% jitter)")
      ->capture_default_str();
  cmd->add_option("--on-change", opts->action.kind, "Continuous mode: what to do after the key in the file changed")
      ->check(CLI::IsMember(agent_action_kinds()))
      ->capture_default_str();
  cmd->add_option("--pid-file", opts->action.pid_file, "--on-change signal: file holding the pid to signal");
  cmd->add_option("--signal", opts->action.signal, "--on-change signal: the signal to send")->capture_default_str();
  cmd->add_option("--command-timeout", opts->command_timeout, "--on-change command: time limit of the command")
      ->capture_default_str();
  cmd->add_option("command", opts->action.command, "--on-change command: the command and its arguments, after --");
  cmd->add_option("--uid", opts->uid, "Owner of the file (Kubo's image: 1000); needs root")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--gid", opts->gid, "Group of the file (Kubo's image: 1000); needs root")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--retries", opts->retries, "--once: retries after the first attempt while the store is unavailable")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  cmd->add_option("--retry-max-wait", opts->retry_max_wait, "Longest wait between two attempts (exponential backoff)")
      ->capture_default_str();
  cmd->add_option("--timeout", opts->timeout,
                  "--once: the most the whole fetch may take, every attempt and wait included (default 2m); "
                  "the store's requests are capped at it and not retried by themselves");
  cmd->footer(
      "Source: the configured store: vault with any auth method (Kubernetes auth from the pod's\n"
      "service-account token is the usual one), mcp, file, or daemon (the keyd daemon's API with a projected\n"
      "token of audience keyd; the daemon audits the pod, the agent audits locally).\n"
      "The file is written only when it does not hold the current key (fingerprint) with mode 0600 and the\n"
      "requested owner. Every key read is audited (actor user@$HOSTNAME, plus the Vault role and service\n"
      "account after a Vault login). The key is never printed.\n"
      "--on-change: none (default) keeps the file current only; exit ends the agent with status 3;\n"
      "command runs a program (no shell; KEYD_SWARM, KEYD_VERSION, KEYD_FINGERPRINT in its environment,\n"
      "never the key); signal sends --signal to the pid in --pid-file. Actions run only when a different\n"
      "key was replaced, once per change. Kubo reads swarm.key only at start: see docs/agent.md.\n"
      "Exit status: 0 done (or stopped by SIGTERM), 1 failure, 2 usage or configuration error, 3 key\n"
      "changed with --on-change exit.\n"
      "Examples:\n"
      "  keyd agent --once --sink /data/ipfs/swarm.key --uid 1000 --gid 1000\n"
      "  keyd agent --once --timeout 30s --retries 3 --sink /data/ipfs/swarm.key\n"
      "  keyd agent --sink /data/ipfs/swarm.key --interval 30s --on-change command -- ipfs shutdown");
  cmd->callback([opts, &action] { action = [opts] { return run_agent(*opts); }; });
}

}  // namespace keyd::cli
