// The agent use case (`keyd agent`): keep a swarm's current key in a local sink, the way the Vault
// Agent keeps a rendered template current, but for exactly one file and with keyd's guarantees.
//
//   once(): an init container. Fetch the current version (audited), write the sink unless it
//     already holds that fingerprint, done. Store failures that may pass (unavailable, timeout,
//     not yet issued) are retried `retries` times with capped exponential backoff and jitter; the
//     final error names the store, the path and the last status. Nothing is written on failure.
//     With a time_limit, retries also end when it passes (the error says so).
//   run(): a sidecar. The same first sync, then every `interval` (± jitter) one cheap metadata
//     call; the key is read (and audited) only when the current version changed. When the sink's
//     key is replaced by a different one, the on-change action runs once (retried at the next
//     polls if it failed). Store failures are logged and retried with backoff; the loop ends only
//     when stop_requested() says so or the action asks to exit.
//
// Written against the ports only; time comes from the Clock, randomness from hooks.jitter.
#pragma once

#include "keyd/app/use_cases.hpp"
#include "keyd/ports/change_action.hpp"
#include "keyd/ports/key_sink.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace keyd::app {

struct AgentOptions {
  int retries = 5;  // once(): attempts = retries + 1
  // once(): the most the whole fetch may take, attempts and waits included; no attempt starts and
  // no wait runs past it. Unset: only `retries` bounds it. (An attempt's own requests are bounded by
  // the store's timeouts, which the CLI caps at this limit.)
  std::optional<std::chrono::milliseconds> time_limit;
  std::chrono::milliseconds retry_base{500};         // first backoff step
  std::chrono::milliseconds retry_max_wait{30'000};  // cap of one backoff wait (both modes)
  std::chrono::milliseconds interval{30'000};        // run(): time between version polls
  double interval_jitter = 0.1;                      // each wait is interval × [1 − j, 1 + j)
  std::chrono::milliseconds wait_slice{500};         // run(): stop_requested() is checked this often
};

struct AgentHooks {
  std::function<double()> jitter;        // a value in [0, 1); tests pass a constant
  std::function<bool()> stop_requested;  // run() returns when true (SIGTERM); may be empty
  // Status lines for a person or a container log: retries ("waiting for …"), sink changes,
  // actions, failures in run(). Never key material. May be empty.
  std::function<void(std::string_view)> progress;
};

// What one sync of the sink did.
// repaired: the same key, rewritten because mode or owner had drifted.
enum class SinkOutcome { unchanged, created, repaired, replaced };

struct AgentReport {
  int version = 0;
  std::string fingerprint;
  SinkOutcome last_outcome = SinkOutcome::unchanged;
  int polls = 0;                // metadata polls after the first sync (run() only)
  int fetches = 0;              // key reads (each audited)
  int writes = 0;               // sink writes
  int actions = 0;              // on-change actions that succeeded
  bool exit_requested = false;  // the action said exit
};

[[nodiscard]] std::string_view to_string(SinkOutcome outcome);

class Agent {
 public:
  // `action` may be null: the sink is kept current and nothing else happens.
  Agent(Context& ctx, const Swarm& swarm, ports::KeySink& sink, ports::ChangeAction* action, AgentOptions options,
        AgentHooks hooks);

  [[nodiscard]] Result<AgentReport> once();
  // Never gives up on its own: every failure is reported through hooks.progress and retried.
  [[nodiscard]] AgentReport run();

  // One step of run(): metadata poll (or a fetch when nothing is known yet), fetch when the
  // version changed, sync the sink, run a due action. Public for tests.
  [[nodiscard]] Status poll();
  [[nodiscard]] const AgentReport& report() const { return m_report; }

 private:
  [[nodiscard]] Status fetch_current();
  [[nodiscard]] Status sync_sink();
  [[nodiscard]] Status run_pending_action();
  // Sleep `total` in slices, returning false early when stop was requested.
  [[nodiscard]] bool wait(std::chrono::milliseconds total);
  [[nodiscard]] bool stopping() const { return m_hooks.stop_requested && m_hooks.stop_requested(); }
  [[nodiscard]] double jitter() const { return m_hooks.jitter ? m_hooks.jitter() : 0.5; }

  Context& m_ctx;
  const Swarm& m_swarm;
  ports::KeySink& m_sink;
  ports::ChangeAction* m_action;
  AgentOptions m_options;
  AgentHooks m_hooks;
  Swarm m_delivery;  // the swarm with the sink as its one target, for the delivery core

  struct PendingChange {
    int version = 0;
    std::string fingerprint;
    std::string previous_fingerprint;
  };

  std::optional<ports::StoredVersion> m_current;  // the last version read (its key stays in a Secret)
  std::optional<PendingChange> m_pending;         // an action still to run (it failed, or is due now)
  AgentReport m_report;
  bool m_continuous = false;  // run(): sink changes are reported through hooks.progress
};

// Should once() try again after this error? (unavailable, timeout, and not_found: the key may
// not be issued yet.) Refusals (unauthorized), configuration and integrity errors never pass.
[[nodiscard]] bool agent_should_retry(const Error& error);

}  // namespace keyd::app
