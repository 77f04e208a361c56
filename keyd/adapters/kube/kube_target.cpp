// The kubernetes target: permissions, workload checks, Secret sync, restart, Event, rollout — in
// that order, so nothing is written when keyd could not finish the job. Before a new version is
// written, prepare() runs the first two (reads only) beside the store's work.
#include "keyd/adapters/kube/kube_target.hpp"

#include "keyd/common/base64.hpp"
#include "keyd/common/crash_point.hpp"
#include "keyd/common/log_fields.hpp"
#include "keyd/domain/swarm_key.hpp"
#include "kube_ops.hpp"

#include <algorithm>
#include <chrono>
#include <future>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

namespace keyd::adapters {

namespace {

using kube::AccessCheck;

// Key material must never reach a message, even if an API server echoed a request body back.
Error scrub(Error error, const ports::Delivery& delivery) {
  const auto text = delivery.key_text.reveal_text();
  const Secret encoded = base64_encode(delivery.key_text.bytes());
  std::vector<std::string_view> forms{encoded.reveal_text()};
  if (const auto at = text.rfind('/'); at != std::string_view::npos) {
    std::string_view body = text.substr(at + 1);
    while (!body.empty() && (body.front() == '\n' || body.front() == '\r')) body.remove_prefix(1);
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
    if (body.size() >= 16) forms.push_back(body);
  }
  for (const auto form : forms) {
    if (form.empty()) continue;
    for (auto at = error.message.find(form); at != std::string::npos; at = error.message.find(form)) {
      error.message.replace(at, form.size(), "<redacted>");
    }
  }
  return error;
}

class KubeTarget final : public ports::Target {
 public:
  KubeTarget(KubeTargetOptions options, std::shared_ptr<KubeApi> api, const ports::Clock& clock,
             ports::Progress& progress)
      : m_options(std::move(options)), m_api(std::move(api)), m_clock(clock), m_progress(progress) {}

  [[nodiscard]] ports::TargetIdentity identity() const override {
    std::string name = m_options.secret;
    if (name.empty() && !m_options.restart.empty()) name = m_options.restart.front().name;
    return {"kubernetes", m_options.namespace_name, std::move(name)};
  }

  [[nodiscard]] std::string describe() const override {
    std::string out = m_options.secret.empty() ? fmt::format("kubernetes {}", m_options.namespace_name)
                                               : fmt::format("kubernetes {}/{}", m_options.namespace_name,
                                                             m_options.secret);
    if (!restarting()) return out;
    std::vector<std::string> refs;
    for (const auto& r : m_options.restart) {
      const auto type = kube::workload_type(r.kind);
      refs.push_back(fmt::format("{}/{}", type ? type->short_name : std::string_view(r.kind), r.name));
    }
    const char* verb = m_options.strategy == config::RestartStrategy::recreate ? "recreate" : "restart";
    return fmt::format("{} ({}{} {})", out, m_options.secret.empty() ? "" : "+ ", verb, fmt::join(refs, ", "));
  }

  [[nodiscard]] Result<ports::ApplyOutcome> apply(const ports::Delivery& delivery) override {
    auto outcome = run(delivery);
    if (!outcome) return fail(scrub(outcome.error(), delivery).with_context(describe()));
    return outcome;
  }

  [[nodiscard]] bool rollback_on_failure() const override { return m_options.rollback_on_failure; }

  // The preflight (permissions, workload reads) on a thread of its own while the store writes the
  // new version, each request one attempt of at most k_prepare_timeout: the next apply() takes a
  // successful one and redoes a failed one (so its errors, with the usual retries, are the
  // answer). The short timeout bounds what a rotation that fails before its delivery waits for on
  // its way out (the target joins the thread) when the API server does not answer.
  void prepare() override {
    if (m_prepared.valid()) return;  // one is in flight or waiting for its apply()
    try {
      m_prepared = std::async(std::launch::async, [this, fields = current_log_fields()] {
        const LogScope scope(fields);
        const KubeApi::SpeculativeCalls speculative(k_prepare_timeout);
        return preflight();
      });
      m_prepared_at = std::chrono::steady_clock::now();
    } catch (const std::system_error& e) {  // no thread to be had: apply() checks as it always did
      spdlog::debug("kubernetes: no thread for the preflight ({}); apply makes it", e.what());
    }
  }

  KubeTarget(const KubeTarget&) = delete;
  KubeTarget& operator=(const KubeTarget&) = delete;
  ~KubeTarget() override {
    settle_prepared();
    settle_events();
  }

 private:
  // The Event is a record for `kubectl describe`, not part of the delivery: it is sent on a thread
  // of its own while the rotation goes on (the rollout wait, the audit entries, the store's
  // catch-up check), and waited for before the next delivery and when the target goes away, so a
  // command still ends with its Event sent (or its failure logged). Nothing in it is secret.
  void post_event(kube::SecretJson event, std::string label) {
    settle_events();
    try {
      m_event = std::async(std::launch::async, [api = m_api, event = std::move(event), label = std::move(label)] {
        kube::send_event(*api, event, label);
      });
    } catch (const std::system_error& e) {  // no thread to be had: send it here
      spdlog::debug("kubernetes: no thread for the Event ({}); sending it now", e.what());
      kube::send_event(*m_api, event, label);
    }
  }
  void settle_events() noexcept {
    if (!m_event.valid()) return;
    try {
      m_event.get();
    } catch (const std::exception& e) {
      spdlog::warn("kubernetes: recording the SwarmKeyRotated event failed ({}); the rotation goes on", e.what());
    } catch (...) {
      spdlog::warn("kubernetes: recording the SwarmKeyRotated event failed; the rotation goes on");
    }
  }

  [[nodiscard]] bool restarting() const { return m_options.strategy != config::RestartStrategy::none && !m_options.restart.empty(); }

  [[nodiscard]] std::vector<AccessCheck> needed_permissions() const {
    std::vector<AccessCheck> checks;
    if (!m_options.secret.empty()) {
      checks.push_back({"get", "", "secrets", m_options.secret, true});
      checks.push_back({"update", "", "secrets", m_options.secret, true});
      checks.push_back({"create", "", "secrets", "", false});
      checks.push_back({"patch", "", "secrets", m_options.secret, false});  // one-request update of a fresh version
    }
    if (restarting()) {
      for (const auto& r : m_options.restart) {
        const auto type = kube::workload_type(r.kind);  // validated by make_kubernetes_target
        checks.push_back({"get", "apps", std::string(type->resource), r.name, true});
        checks.push_back({"patch", "apps", std::string(type->resource), r.name, true});
      }
      if (m_options.strategy == config::RestartStrategy::recreate) {
        checks.push_back({"list", "", "pods", "", true});
        checks.push_back({"delete", "", "pods", "", true});
      }
      checks.push_back({"create", "", "events", "", true});
    }
    return checks;
  }

  // Once per target: permissions do not change between two deliveries often enough to pay six
  // reviews each time (a later 403 still names the verb and resource).
  [[nodiscard]] Status ensure_permissions() {
    if (m_checked) return {};
    KEYD_ASSIGN_OR_RETURN(const auto access, kube::check_access(*m_api, m_options.namespace_name, needed_permissions()));
    const auto denied = [&](std::string_view verb) {
      return std::ranges::any_of(access.denied_optional, [&](const kube::AccessCheck& c) {
        return c.verb == verb && c.resource == "secrets";
      });
    };
    m_may_create = !denied("create");
    m_may_patch = !denied("patch");
    m_checked = true;
    return {};
  }

  // Everything checked before anything is written: the permissions (once per target), then every
  // workload to restart, read and found restartable. Only reads.
  [[nodiscard]] Result<std::vector<kube::Workload>> preflight() {
    KEYD_TRY(ensure_permissions());
    std::vector<kube::Workload> workloads;
    if (restarting()) {
      for (const auto& r : m_options.restart) {
        KEYD_ASSIGN_OR_RETURN(auto w, kube::read_workload(*m_api, m_options.namespace_name, r.kind, r.name));
        KEYD_TRY(kube::check_restartable(w, m_options.strategy));
        workloads.push_back(std::move(w));
      }
    }
    return workloads;
  }

  // The preflight prepare() started, when it succeeded and is recent; otherwise (none started, it
  // failed — one attempt, a short timeout — or it started so long ago that a workload may have
  // changed since) one made now, with the usual retries and timeouts, whose errors are the answer.
  [[nodiscard]] Result<std::vector<kube::Workload>> checked_workloads() {
    if (m_prepared.valid()) {
      auto prepared = m_prepared.get();
      if (!prepared) {
        spdlog::debug("kubernetes {}: the checks made beside the store's work failed ({}); checking again",
                      describe(), prepared.error().message);
      } else if (std::chrono::steady_clock::now() - m_prepared_at > k_prepared_for) {
        spdlog::debug("kubernetes {}: the checks made beside the store's work are too old; checking again",
                      describe());
      } else {
        return prepared;
      }
    }
    return preflight();
  }
  void settle_prepared() noexcept {
    if (m_prepared.valid()) m_prepared.wait();
  }

  [[nodiscard]] Result<ports::ApplyOutcome> run(const ports::Delivery& delivery) {
    settle_events();
    // Read and check every workload before writing anything.
    KEYD_ASSIGN_OR_RETURN(auto workloads, checked_workloads());
    const auto parsed = domain::parse_swarm_key(delivery.key_text);
    if (!parsed || parsed->key.fingerprint().hex() != delivery.fingerprint) {
      return fail(ErrorCode::invalid_input, "the delivery's key text does not match its fingerprint");
    }

    bool changed = false;
    if (!m_options.secret.empty()) {
      const kube::SecretSpec spec{m_options.namespace_name, m_options.secret, m_options.key, m_options.adopt,
                                  m_may_create, m_may_patch};
      KEYD_ASSIGN_OR_RETURN(const auto secret, kube::sync_secret(*m_api, spec, delivery, m_clock));
      changed = secret == ports::ApplyOutcome::changed;
      test_crash_point("after-secret-update");
    }

    std::vector<kube::Workload> to_follow;
    for (auto& w : workloads) {
      KEYD_ASSIGN_OR_RETURN(const bool patched, kube::annotate_template(*m_api, w, delivery.fingerprint));
      if (patched) test_crash_point("after-workload-patch");
      int deleted = 0;
      if (m_options.strategy == config::RestartStrategy::recreate) {
        KEYD_ASSIGN_OR_RETURN(deleted, kube::delete_stale_pods(*m_api, w, delivery.fingerprint));
      }
      if (patched) post_event(kube::rotation_event(w, delivery, m_options.secret, m_clock), w.label());
      changed = changed || patched || deleted > 0;
      // An unpatched workload may still be rolling from an earlier run that stopped early:
      // follow it too (only reads), so "unchanged" also means "rolled out".
      if (patched || deleted > 0 || domain::evaluate_rollout(kube::workload_status(w)).phase !=
                                         domain::RolloutPhase::complete) {
        to_follow.push_back(std::move(w));
      }
    }
    if (m_options.wait && !to_follow.empty()) {
      KEYD_TRY(kube::follow_rollouts(*m_api, to_follow, m_options.strategy == config::RestartStrategy::recreate, m_options.timeout, m_clock,
                                     m_progress));
    }
    return changed ? ports::ApplyOutcome::changed : ports::ApplyOutcome::unchanged;
  }

  KubeTargetOptions m_options;
  std::shared_ptr<KubeApi> m_api;
  const ports::Clock& m_clock;
  ports::Progress& m_progress;
  bool m_checked = false;
  bool m_may_create = true;
  bool m_may_patch = true;
  std::future<void> m_event;  // the Event in flight, if any
  // prepare()'s preflight, used by the next apply() if it started at most k_prepared_for before it.
  static constexpr std::chrono::seconds k_prepared_for{10};
  static constexpr std::chrono::milliseconds k_prepare_timeout{3'000};
  std::future<Result<std::vector<kube::Workload>>> m_prepared;
  std::chrono::steady_clock::time_point m_prepared_at;
};

Status validate(const KubeTargetOptions& o) {
  KEYD_TRY(kube::check_namespace_name(o.namespace_name));
  if (!o.secret.empty()) {
    KEYD_TRY(kube::check_object_name("secret", o.secret));
    KEYD_TRY(kube::check_data_key(o.key));
  }
  for (const auto& r : o.restart) {
    KEYD_TRY(kube::workload_type(r.kind));
    KEYD_TRY(kube::check_object_name(r.kind, r.name));
  }
  if (o.secret.empty() && (o.restart.empty() || o.strategy == config::RestartStrategy::none)) {
    return fail(ErrorCode::invalid_config, "kubernetes target: give a secret, workloads to restart, or both");
  }
  if (o.timeout <= std::chrono::milliseconds::zero()) {
    return fail(ErrorCode::invalid_config, "kubernetes target: the rollout timeout must be positive");
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<ports::Target>> make_kubernetes_target(KubeTargetOptions options, std::shared_ptr<KubeApi> api,
                                                              const ports::Clock& clock, ports::Progress& progress) {
  if (!api) return fail(ErrorCode::internal, "kubernetes target without an API client");
  if (options.namespace_name.empty()) options.namespace_name = api->connection().default_namespace;
  if (options.namespace_name.empty()) options.namespace_name = "default";
  KEYD_TRY(validate(options));
  if (options.strategy == config::RestartStrategy::none && !options.restart.empty()) {
    spdlog::warn("kubernetes target {}/{}: strategy none: the workloads listed under restart are not restarted",
                 options.namespace_name, options.secret);
  }
  return std::make_unique<KubeTarget>(std::move(options), std::move(api), clock, progress);
}

}  // namespace keyd::adapters
