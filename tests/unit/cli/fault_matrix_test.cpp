// Issue 17, item 2: the fault matrix of a Vault + Kubernetes rotation. For every step of `keyd
// rotate` (rows) and every failure that step can see (columns) — a kill of the real keyd process at
// the step (KEYD_TEST_CRASH_AT) or a protocol fault from the Vault double, the kube-apiserver double
// or the fault proxy in front of either — one cell: version 1 is in place, `keyd rotate` runs with
// the fault, the fault is lifted, `keyd sync` reruns, and everything must converge (see
// Fixture::converge_and_check). Each cell records its outcome; with KEYD_FAULT_MATRIX_OUT set the
// run writes the Markdown table (docs/fault-matrix.md, scripts/fault-matrix.sh).
#include "fault_matrix_support.hpp"
#include "keyd/domain/swarm_key.hpp"

#include <csignal>
#include <iostream>

namespace keyd::testing::fault_matrix {

using nlohmann::json;

namespace {

constexpr const char* k_vault_meta = "^/v1/secret/metadata/ipfs-overlay/swarm-key$";
constexpr const char* k_vault_data = "^/v1/secret/data/ipfs-overlay/swarm-key$";
constexpr const char* k_kube_secret = "^/api/v1/namespaces/ipfs-system/secrets(/ipfs-swarm-key)?$";
constexpr const char* k_kube_sts = "^/apis/apps/v1/namespaces/ipfs-system/statefulsets/ipfs$";
constexpr int k_always = 1000;  // "for the whole faulted run": keyd's retries meet the fault too

json rule(const json& method, const char* path, json extra) {
  extra["method"] = method;
  extra["path"] = path;
  if (!extra.contains("times")) extra["times"] = k_always;
  return extra;
}

json vault_error(int status, const char* message, json headers = json::object()) {
  return {{"action", "respond"}, {"status", status}, {"headers", std::move(headers)}, {"body", {{"errors", {message}}}}};
}

// A Vault request's faults (the double itself, or the proxy after Vault took the request).
void vault_cells(std::vector<std::pair<Cell, Injection>>& out, std::size_t step, const json& method, const char* path,
                 bool write) {
  const auto add = [&](Fault f, Where w, json extra) { out.push_back({{step, f}, {w, rule(method, path, std::move(extra))}}); };
  add(Fault::error500, Where::vault, vault_error(500, "injected fault"));
  add(Fault::rate_limited, Where::vault, vault_error(429, "rate limited", {{"Retry-After", "1"}}));
  add(Fault::timeout, Where::vault, {{"action", "delay"}, {"delay_ms", 1'500}});  // keyd's Vault timeout is 1 s
  add(Fault::drop, Where::vault, {{"action", "drop"}});
  add(Fault::sealed, Where::vault, vault_error(503, "Vault is sealed"));
  add(Fault::expired_token, Where::vault, vault_error(403, "permission denied"));
  if (!write) return;
  add(Fault::error500_after_commit, Where::vault_proxy, {{"action", "respond"}});
  add(Fault::drop_after_commit, Where::vault_proxy, {{"action", "drop"}});
  // Another writer's version lands just before keyd's check-and-set write (body filled in by the cell).
  add(Fault::conflict, Where::vault_proxy,
      {{"action", "delay"}, {"delay_ms", 0}, {"times", 1}, {"before", {{"method", "POST"}, {"path", "/v1/secret/data/ipfs-overlay/swarm-key"}}}});
}

// A Kubernetes request's faults (the double itself, or the proxy after the API server took it).
void kube_cells(std::vector<std::pair<Cell, Injection>>& out, std::size_t step, const json& method, const char* path,
                bool write, int after) {
  const auto add = [&](Fault f, Where w, json extra) {
    extra["after"] = after;
    out.push_back({{step, f}, {w, rule(method, path, std::move(extra))}});
  };
  add(Fault::error500, Where::kube, {{"action", "respond"}, {"status", 500}});
  add(Fault::rate_limited, Where::kube,
      {{"action", "respond"}, {"status", 429}, {"retry_after_seconds", 1}, {"headers", {{"Retry-After", "1"}}}});
  add(Fault::timeout, Where::kube, {{"action", "delay"}, {"delay_ms", 1'500}});  // kubernetes.request_timeout: 1s
  add(Fault::drop, Where::kube, {{"action", "drop"}});
  add(Fault::expired_token, Where::kube, {{"action", "respond"}, {"status", 401}, {"message", "token expired"}});
  if (!write) return;
  add(Fault::conflict, Where::kube, {{"action", "respond"}, {"status", 409}});
  add(Fault::error500_after_commit, Where::kube_proxy, {{"action", "respond"}});
  add(Fault::drop_after_commit, Where::kube_proxy, {{"action", "drop"}});
}

std::vector<std::pair<Cell, Injection>> make_cells() {
  std::vector<std::pair<Cell, Injection>> out;
  for (std::size_t s = 0; s < k_steps.size(); ++s) out.push_back({{s, Fault::kill}, {Where::kill, nullptr}});
  vault_cells(out, 0, "GET", k_vault_meta, false);
  vault_cells(out, 2, "POST", k_vault_data, true);
  kube_cells(out, 4, json{"PUT", "PATCH", "POST"}, k_kube_secret, true, 0);
  kube_cells(out, 5, "PATCH", k_kube_sts, true, 0);
  kube_cells(out, 6, "GET", k_kube_sts, false, 1);  // the first GET is the read before any write
  return out;
}

// Another writer's version: a real key, so that a later sync can deliver it.
json other_writer() {
  const auto key = domain::generate_swarm_key();
  if (!key) return nullptr;
  return {{"data",
           {{"swarm.key", std::string(key->canonical_text().reveal_text())},
            {"fingerprint", key->fingerprint().hex()},
            {"issued_by", "bob"},
            {"reason", "rotate"}}}};
}

}  // namespace

void PrintTo(const std::pair<Cell, Injection>& cell, std::ostream* os) { *os << cell_name(cell.first); }

const std::vector<std::pair<Cell, Injection>>& cells() {
  static const auto all = make_cells();
  return all;
}

namespace {

class FaultMatrix : public Fixture, public ::testing::WithParamInterface<std::pair<Cell, Injection>> {};

TEST_P(FaultMatrix, ARerunConverges) {
  const auto& [cell, base_injection] = GetParam();
  ASSERT_EQ(baseline.version, 1) << last_output;
  Injection injection = base_injection;
  if (cell.fault == Fault::conflict && injection.where == Where::vault_proxy) {
    injection.rule["before"]["body"] = other_writer();
  }
  inject(injection);
  std::map<std::string, std::string> extra;
  if (cell.fault == Fault::kill) extra.emplace("KEYD_TEST_CRASH_AT", k_steps.at(cell.step).crash_point);
  const auto faulted = run({"rotate"}, extra);
  const std::string faulted_output = last_output;
  const bool killed = faulted.exit_code == 128 + SIGKILL;
  const int hits = cell.fault == Fault::kill ? (killed ? 1 : 0) : applied(injection);
  clear_faults();

  const Snapshot mid = snapshot();
  const bool nothing_changed = mid.version == baseline.version && mid.secret_text == baseline.secret_text &&
                               mid.template_fp == baseline.template_fp && mid.generation == baseline.generation;
  const bool converged_in_run = mid.version > baseline.version && mid.secret_text == mid.key_text &&
                                mid.template_fp == mid.fingerprint;
  const std::string result = killed ? "killed" : faulted.exit_code == 0 ? "ok" : "exit " + std::to_string(faulted.exit_code);

  std::string outcome;
  if (hits == 0) {
    outcome = "**fault not reached**";
    ADD_FAILURE() << "the fault never applied\n" << faulted_output;
  } else if (const std::string problem = converge_and_check(); !problem.empty()) {
    outcome = "**NOT CONVERGED**: " + problem;
    ADD_FAILURE() << problem << "\nfaulted run: " << faulted_output << "\nlast run: " << last_output;
  } else if (faulted.exit_code == 0 && converged_in_run) {
    outcome = "ok: converged in the run";
  } else if (nothing_changed) {
    outcome = result + (killed ? ": nothing changed" : ": refused, nothing changed");
  } else {
    outcome = result + ": converged after rerun";
  }
  if (faulted.exit_code == 0 && !converged_in_run && hits > 0 && outcome.find("NOT") == std::string::npos) {
    // keyd said it succeeded, yet the cluster was not on the new key: a lie, even if a rerun fixes it.
    outcome = "**exit 0 but not delivered**";
    ADD_FAILURE() << "exit 0 without delivering\n" << faulted_output;
  }
  record_outcome(cell, outcome);
  std::cout << "[ outcome  ] " << cell_name(cell) << ": " << outcome << "\n";
}

INSTANTIATE_TEST_SUITE_P(Cells, FaultMatrix, ::testing::ValuesIn(cells()),
                         [](const auto& param_info) { return cell_name(param_info.param.first); });

}  // namespace
}  // namespace keyd::testing::fault_matrix
