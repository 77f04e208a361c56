// keyd scan: find swarm keys in files, in every commit of a repository, or in what is staged.
// Reports path, line, encoding, fingerprint (and commit) — never the key, never the line's text.
#include "commands.hpp"
#include "keyd/common/duration.hpp"
#include "keyd/domain/scan.hpp"
#include "keyd/ports/key_scanner.hpp"
#include "options.hpp"
#include "output.hpp"
#include "runtime.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace keyd::cli {

namespace {

namespace fs = std::filesystem;

inline constexpr std::string_view k_allow_file = ".keyd-scan-allow";
inline constexpr std::size_t k_max_allow_file = 1 << 20;

struct ScanOptions {
  std::vector<std::string> paths;
  bool git_history = false;
  bool staged = false;
  std::string output;
  std::string allow;
  bool no_allow = false;
  std::string timeout = "10m";
};

struct Allowlist {
  std::string file;  // empty: none
  std::set<std::string> fingerprints;
};

int usage_error(const std::string& message) {
  std::fprintf(stderr, "keyd: error: %s\n", message.c_str());
  return k_exit_usage;
}

// The allowlist: --allow FILE (must exist), else .keyd-scan-allow in the scanned root if present.
Result<Allowlist> load_allowlist(const ScanOptions& opts, const fs::path& root) {
  if (opts.no_allow) return Allowlist{};
  const fs::path file = opts.allow.empty() ? root / k_allow_file : fs::path(opts.allow);
  std::error_code ec;
  if (opts.allow.empty() && !fs::exists(file, ec)) return Allowlist{};
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(ErrorCode::io, fmt::format("cannot read allowlist {}", file.string()));
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > k_max_allow_file) {
    return fail(ErrorCode::invalid_input, fmt::format("allowlist {}: larger than 1 MiB", file.string()));
  }
  auto fingerprints = domain::parse_scan_allowlist(text.str());
  if (!fingerprints) return fail(fingerprints.error().with_context("allowlist " + file.string()));
  return Allowlist{file.string(), std::move(*fingerprints)};
}

// Where the default allowlist lives: the repository's top level in the git modes, else the first
// PATH when it is a directory, else the current directory.
Result<fs::path> scanned_root(ports::KeyScanner& scanner, const ScanOptions& opts, std::chrono::milliseconds timeout) {
  const fs::path first = opts.paths.empty() ? fs::path(".") : fs::path(opts.paths.front());
  if (opts.git_history || opts.staged) return scanner.git_toplevel(first, timeout);
  std::error_code ec;
  return fs::is_directory(first, ec) && opts.paths.size() <= 1 ? first : fs::path(".");
}

nlohmann::ordered_json to_json(const ports::ScanHit& hit) {
  nlohmann::ordered_json j{{"path", hit.path},
                           {"line", hit.finding.line},
                           {"encoding", domain::describe_encoding(hit.finding)},
                           {"weak", hit.finding.weak},
                           {"fingerprint", hit.finding.fingerprint.hex()}};
  if (!hit.commit.empty()) {
    j["commit"] = hit.short_commit;
    j["commit_id"] = hit.commit;
  }
  return j;
}

std::string to_text(const ports::ScanHit& hit) {
  return fmt::format("{}:{}: swarm key ({}{}) fingerprint {}{}\n", hit.path, hit.finding.line,
                     domain::describe_encoding(hit.finding), hit.finding.weak ? ", weak" : "",
                     hit.finding.fingerprint.hex(), hit.commit.empty() ? "" : " in commit " + hit.short_commit);
}

std::string summary(const ScanOptions& opts, const ports::ScanResult& result, std::size_t found, std::size_t allowed,
                    const Allowlist& allowlist) {
  std::string where;
  if (opts.git_history) {
    where = fmt::format("{} commits ({} file changes, {} bytes of added text and context)", result.commits,
                        result.files, result.bytes);
  } else if (opts.staged) {
    where = fmt::format("the staged changes ({} files, {} bytes)", result.files, result.bytes);
  } else {
    where = fmt::format("{} files ({} bytes)", result.files, result.bytes);
  }
  std::string text = fmt::format("keyd scan: {} swarm key{} found in {}", found, found == 1 ? "" : "s", where);
  if (allowed > 0) text += fmt::format("; {} allowed by {}", allowed, allowlist.file);
  if (!result.skipped.empty()) text += fmt::format("; {} skipped", result.skipped.size());
  if (!result.errors.empty()) text += fmt::format("; {} unreadable", result.errors.size());
  return text + "\n";
}

int run_scan(const ScanOptions& opts) {
  if ((opts.git_history || opts.staged) && opts.paths.size() > 1) {
    return usage_error("--git-history and --staged take one PATH: the repository");
  }
  const auto timeout = parse_duration(opts.timeout);
  if (!timeout || *timeout <= std::chrono::nanoseconds::zero()) {
    return usage_error(fmt::format("--timeout {}: expected a positive duration such as 30s or 10m", opts.timeout));
  }
  const auto git_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*timeout);
  const auto scanner = make_key_scanner();
  const auto root = scanned_root(*scanner, opts, git_timeout);
  if (!root) return usage_error(root.error().message);
  const auto allowlist = load_allowlist(opts, *root);
  if (!allowlist) return usage_error(allowlist.error().message);

  Result<ports::ScanResult> result = ports::ScanResult{};
  if (opts.git_history) {
    result = scanner->scan_git_history(*root, git_timeout);
  } else if (opts.staged) {
    result = scanner->scan_git_staged(*root, git_timeout);
  } else {
    std::vector<fs::path> paths;
    for (const auto& p : opts.paths) paths.emplace_back(p);
    if (paths.empty()) paths.emplace_back(".");
    result = scanner->scan_files(paths);
  }
  if (!result) return usage_error(result.error().message);

  std::size_t allowed = 0;
  std::vector<const ports::ScanHit*> found;
  for (const auto& hit : result->hits) {
    if (allowlist->fingerprints.contains(hit.finding.fingerprint.hex())) {
      ++allowed;
    } else {
      found.push_back(&hit);
    }
  }
  for (const auto& notice : result->skipped) std::fprintf(stderr, "keyd: warning: %s\n", notice.c_str());
  for (const auto& error : result->errors) std::fprintf(stderr, "keyd: error: %s\n", error.message.c_str());

  if (opts.output == "json") {
    auto findings = nlohmann::ordered_json::array();
    for (const auto* hit : found) findings.push_back(to_json(*hit));
    auto errors = nlohmann::ordered_json::array();
    for (const auto& error : result->errors) errors.push_back(error.message);
    nlohmann::ordered_json j{{"findings", std::move(findings)}, {"allowed", allowed},
                             {"files", result->files},          {"bytes", result->bytes},
                             {"skipped", result->skipped},      {"errors", std::move(errors)}};
    if (opts.git_history) j["commits"] = result->commits;
    write_json_line(j);
  } else {
    std::string text;
    for (const auto* hit : found) text += to_text(*hit);
    write_stdout(text);
  }
  const std::string line = summary(opts, *result, found.size(), allowed, *allowlist);
  std::fputs(line.c_str(), stderr);
  if (!found.empty()) return k_exit_failure;
  return result->errors.empty() ? k_exit_ok : k_exit_usage;
}

}  // namespace

void add_scan(CLI::App& app, Action& action) {
  auto opts = std::make_shared<ScanOptions>();
  auto* cmd = app.add_subcommand("scan", "Find swarm keys in files or in a git repository's history");
  cmd->footer(
      "Finds swarm.key text in any encoding libp2p accepts (also inside YAML, JSON strings, heredocs),\n"
      "base64 of a key file (a Secret's data:), and 64-hex values labelled as a swarm key (SWARM_KEY=,\n"
      "swarm.key:, psk: ...). Prints path:line, encoding and fingerprint; never the key or the line.\n"
      "All-zero and other trivial keys are reported as weak.\n"
      "Fingerprints listed in .keyd-scan-allow (in the scanned directory or the repository's top level;\n"
      "one per line, each with '# reason') are not reported. .git, symbolic links and files over 64 MiB\n"
      "are skipped while walking.\n"
      "Exit status: 0 nothing found, 1 keys found, 2 usage error or something could not be read.\n"
      "Examples:\n"
      "  keyd scan                          # the current directory\n"
      "  keyd scan manifests/ secret.yaml   # some paths\n"
      "  keyd scan --git-history            # every commit of the repository here, deleted keys too\n"
      "  keyd scan --staged                 # what the next commit would add (the pre-commit hook)\n"
      "  keyd scan --output json --no-allow .");
  cmd->add_option("path", opts->paths, "Files or directories (default .); with --git-history/--staged the repository");
  auto* history = cmd->add_flag("--git-history", opts->git_history,
                                "Scan the lines every commit of every ref added, reporting the commit");
  auto* staged = cmd->add_flag("--staged", opts->staged, "Scan the changes staged in the index");
  history->excludes(staged);
  add_output_option(*cmd, opts->output);
  auto* allow = cmd->add_option("--allow", opts->allow, "Allowlist file (default: .keyd-scan-allow in the root)");
  auto* no_allow = cmd->add_flag("--no-allow", opts->no_allow, "Report every key, ignoring any allowlist");
  allow->excludes(no_allow);
  cmd->add_option("--timeout", opts->timeout, "Time limit for git (Go-style duration)")->capture_default_str();
  cmd->callback([opts, &action] { action = [opts] { return run_scan(*opts); }; });
}

}  // namespace keyd::cli
