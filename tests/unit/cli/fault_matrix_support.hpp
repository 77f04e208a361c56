// Helpers for the fault matrix of a Vault + Kubernetes rotation (issue 17, item 2; see
// fault_matrix_test.cpp): the steps and faults, the fixture (Vault double and kube-apiserver double,
// each behind a fault proxy; keyd.yaml with a vault store and a kubernetes target restarting a
// StatefulSet), the convergence check, and the Markdown table every cell adds its outcome to.
#pragma once

#include "kube_cli_support.hpp"
#include "support/fault_proxy.hpp"
#include "support/vault_double.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <ostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace keyd::testing::fault_matrix {

// The rows: one step of `keyd rotate` each, with the crash point (KEYD_TEST_CRASH_AT) that kills
// keyd right after the step (or, for the audit steps, around it).
struct Step {
  const char* id;     // gtest-safe
  const char* label;  // for the table
  const char* crash_point;
};

inline constexpr std::array<Step, 9> k_steps{{
    {"ReadCurrent", "read the current version (Vault GET metadata)", "before-intent"},
    {"AuditIntent", "audit write: intent", "after-intent"},
    {"CasWrite", "check-and-set write (Vault POST data)", "after-store-write"},
    {"AuditResult", "audit write: result", "after-result"},
    {"SecretUpdate", "Secret update (PUT Secret)", "after-secret-update"},
    {"WorkloadPatch", "workload patch (PATCH StatefulSet)", "after-workload-patch"},
    {"RolloutWait", "rollout wait (GET StatefulSet)", "during-rollout-wait"},
    {"DeliveryAuditBefore", "audit write: delivery (before it)", "before-delivery-audit"},
    {"DeliveryAuditAfter", "audit write: delivery (after it)", "after-delivery-audit"},
}};

// The columns.
enum class Fault { kill, error500, error500_after_commit, conflict, rate_limited, timeout, drop, drop_after_commit,
                   sealed, expired_token };

struct FaultInfo {
  Fault fault;
  const char* id;
  const char* label;
};

inline constexpr std::array<FaultInfo, 10> k_faults{{
    {Fault::kill, "Kill", "kill -9 (at the step's crash point)"},
    {Fault::error500, "Error500", "500"},
    {Fault::error500_after_commit, "Error500AfterCommit", "500 after commit"},
    {Fault::conflict, "Conflict", "409 / concurrent writer"},
    {Fault::rate_limited, "RateLimited", "429 + Retry-After"},
    {Fault::timeout, "Timeout", "timeout"},
    {Fault::drop, "Drop", "dropped connection"},
    {Fault::drop_after_commit, "DropAfterCommit", "dropped after commit"},
    {Fault::sealed, "Sealed", "sealed Vault (503)"},
    {Fault::expired_token, "ExpiredToken", "expired token (Vault 403 / kube 401)"},
}};

struct Cell {
  std::size_t step;  // index into k_steps
  Fault fault;
};

// "<Step>_<Fault>", the gtest parameter name.
std::string cell_name(const Cell& cell);

// Where the fault is injected: a rule on a double (before the request takes effect), a rule on the
// proxy in front of it (after the upstream answered), or a kill.
enum class Where { kill, vault, vault_proxy, kube, kube_proxy };

struct Injection {
  Where where = Where::kill;
  nlohmann::json rule;  // the fault rule (doubles' format)
};

// gtest prints a cell by its name.
void PrintTo(const std::pair<Cell, Injection>& cell, std::ostream* os);

// The cells that apply, with what each injects; every other (step, fault) is "n/a".
const std::vector<std::pair<Cell, Injection>>& cells();

// Record `outcome` for `cell` and rewrite the table at $KEYD_FAULT_MATRIX_OUT (no-op when unset):
// cells run as separate processes, so each keeps its outcome in <out>.cells/ and the table is
// rebuilt from all of them under a lock.
void record_outcome(const Cell& cell, const std::string& outcome);

// The fixture: keyd → fault proxy → Vault double, keyd → fault proxy → kube double (plain HTTP),
// a 3-replica StatefulSet, version 1 rotated in and rolled out before each cell.
class Fixture : public KubeCli {
 protected:
  Fixture();

  // VAULT_TOKEN and KUBECONFIG/HOME, plus `extra`.
  [[nodiscard]] std::map<std::string, std::string> cell_env(std::map<std::string, std::string> extra = {}) const;
  CommandResult run(const std::vector<std::string>& args, std::map<std::string, std::string> extra = {});

  // Add the injection's rule where it belongs; kills need no rule.
  void inject(const Injection& injection);
  // How often the injected rule applied (kills: 1).
  int applied(const Injection& injection);
  void clear_faults();

  struct Snapshot {
    int version = 0;
    std::string fingerprint;      // Vault's current version's
    std::string key_text;         // Vault's current version's key file
    std::string secret_text;      // the Secret's swarm.key
    std::string template_fp;      // the pod template's annotation
    std::int64_t generation = 0;  // the StatefulSet's: one more per restart
  };
  Snapshot snapshot();

  // The convergence check: empty when converged, else what is wrong. Runs `keyd sync` twice (the
  // second must restart nothing) and `keyd audit verify --config`.
  std::string converge_and_check();

  VaultDouble vault;
  FaultProxy vault_proxy{vault.address()};
  FaultProxy kube_proxy;
  Snapshot baseline;
  std::string last_output;  // of the last keyd run, for failure messages
};

}  // namespace keyd::testing::fault_matrix
