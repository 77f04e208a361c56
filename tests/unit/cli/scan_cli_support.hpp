// Helpers for the `keyd scan` end-to-end tests: keys made at run time, temporary git repositories
// driven by the git CLI with no user or system configuration, and the no-leak check.
#pragma once

#include "key_forms.hpp"
#include "keyd/domain/swarm_key.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace keyd::testing {

struct TestKey {
  std::string file;  // canonical key file text
  std::string hex;
  std::string fingerprint;
  KeyForms forms;
};

inline TestKey make_test_key() {
  auto key = domain::generate_swarm_key().value();
  TestKey k;
  k.file = std::string(key.canonical_text().reveal_text());
  k.fingerprint = key.fingerprint().hex();
  k.forms = forms_of_key_file(k.file);
  k.hex = k.forms.hex;
  return k;
}

// Standard padded base64 (a Secret's data: value).
inline std::string base64_of(const std::string& text) {
  std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Nothing of the key in any output: hex (either case), base64, raw bytes, the key file's header line.
inline void expect_no_key(const CommandResult& r, const TestKey& k) {
  for (const std::string* stream : {&r.out, &r.err}) {
    EXPECT_EQ(stream->find(k.forms.hex), std::string::npos) << *stream;
    EXPECT_EQ(stream->find(k.forms.upper_hex), std::string::npos) << *stream;
    EXPECT_EQ(stream->find(k.forms.base64), std::string::npos) << *stream;
    EXPECT_EQ(stream->find(k.forms.raw), std::string::npos);
    EXPECT_EQ(stream->find("/key/swarm/psk"), std::string::npos) << *stream;
  }
}

inline std::string program_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const auto end = std::min(dirs.find(':', start), dirs.size());
    const std::filesystem::path candidate = std::filesystem::path(dirs.substr(start, end - start)) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return name;
}

// git without the user's or the system's configuration, with a fixed identity.
inline std::map<std::string, std::string> git_env() {
  return {{"GIT_CONFIG_GLOBAL", "/dev/null"},  {"GIT_CONFIG_NOSYSTEM", "1"},
          {"GIT_AUTHOR_NAME", "keyd test"},    {"GIT_AUTHOR_EMAIL", "test@example.invalid"},
          {"GIT_COMMITTER_NAME", "keyd test"}, {"GIT_COMMITTER_EMAIL", "test@example.invalid"}};
}

// A git repository in a temporary directory.
class GitRepo {
 public:
  GitRepo() { git({"init", "-q", "-b", "main"}); }
  [[nodiscard]] const std::filesystem::path& path() const { return m_dir.path(); }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const { return m_dir / name; }

  std::string git(std::vector<std::string> args) {
    args.insert(args.begin(), program_in_path("git"));
    const auto r = run_command(args, m_dir.path(), git_env());
    EXPECT_EQ(r.exit_code, 0) << "git " << args[1] << ": " << r.err;
    return r.out;
  }
  // Write files, stage everything and commit; returns the full commit id.
  std::string commit(const std::map<std::string, std::string>& files, const std::string& message) {
    for (const auto& [name, content] : files) write_file(m_dir / name, content);
    git({"add", "-A"});
    git({"commit", "-q", "-m", message});
    return head();
  }
  std::string remove_and_commit(const std::string& name, const std::string& message) {
    git({"rm", "-q", name});
    git({"commit", "-q", "-m", message});
    return head();
  }
  std::string head() {
    std::string id = git({"rev-parse", "HEAD"});
    while (!id.empty() && id.back() == '\n') id.pop_back();
    return id;
  }
  std::string short_id(const std::string& id) {
    std::string s = git({"rev-parse", "--short", id});
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }

  CommandResult keyd(std::vector<std::string> args) { return run_keyd(args, m_dir.path(), git_env()); }

 private:
  TempDir m_dir;
};

}  // namespace keyd::testing
