// Bad input refused at load, before anything is stored or delivered (issue 14 item 7): bytes that
// are not UTF-8, store paths a backend would refuse at run time, two swarms sharing a store path or
// a target, oversized files and pathological nesting.
#include "keyd/config/bundle_values.hpp"
#include "keyd/config/config.hpp"
#include "keyd/domain/store_path.hpp"

#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <string>

namespace keyd::config {
namespace {

std::string error_of(const std::string& yaml) {
  auto config = parse_config(yaml, "t.yaml");
  EXPECT_FALSE(config.has_value()) << yaml;
  if (config) return {};
  EXPECT_EQ(config.error().code, ErrorCode::invalid_config);
  return config.error().message;
}

TEST(ConfigLimits, AValueThatIsNotUtf8IsRefusedAtItsPosition) {
  const std::string yaml = "swarms:\n  - name: a\n    targets:\n      - {type: file, path: \"k\xff.key\"}\n";
  EXPECT_EQ(error_of(yaml), "t.yaml:4:30: byte 0xff is not UTF-8 (keyd reads its files as UTF-8; re-save the file as UTF-8)");
}

TEST(ConfigLimits, OverlongAndSurrogateEncodingsAreNotUtf8) {
  EXPECT_NE(domain::first_invalid_utf8("\xC0\xAF"), std::string_view::npos);          // overlong '/'
  EXPECT_NE(domain::first_invalid_utf8("\xED\xA0\x80"), std::string_view::npos);      // U+D800
  EXPECT_NE(domain::first_invalid_utf8("\xF4\x90\x80\x80"), std::string_view::npos);  // above U+10FFFF
  EXPECT_EQ(domain::first_invalid_utf8("a\xE2\x82\xAC\xF0\x9F\x94\x91"), std::string_view::npos);  // €, 🔑
  EXPECT_EQ(domain::first_invalid_utf8("ab\xE2\x82"), 2U);  // truncated at the end
}

TEST(ConfigLimits, UnicodeTextIsAccepted) {
  auto config = parse_config("swarms:\n  - name: a\n    targets:\n      - {type: file, path: \"schlüssel/🔑.key\"}\n",
                             "t.yaml");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->swarms.front().targets.front().path, "schlüssel/🔑.key");
}

TEST(ConfigLimits, StorePathsABackendWouldRefuseAreRefusedAtLoad) {
  EXPECT_EQ(error_of("swarms:\n  - name: a\n    path: _x\n"),
            "t.yaml:3:11: swarms[0].path: invalid store path: components starting with '_' are reserved");
  EXPECT_EQ(error_of("swarms:\n  - name: a\n    path: a/_meta/b\n"),
            "t.yaml:3:11: swarms[0].path: invalid store path: components starting with '_' are reserved");
  EXPECT_EQ(error_of("swarms:\n  - name: a\n    path: 'a\\b'\n"),
            "t.yaml:3:11: swarms[0].path: invalid store path: backslashes are not allowed");
  EXPECT_EQ(error_of("swarms:\n  - name: a\n    path: \"a\\tb\"\n"),
            "t.yaml:3:11: swarms[0].path: invalid store path: control characters are not allowed");
  EXPECT_EQ(error_of("swarms:\n  - name: a\n    path: " + std::string(201, 'x') + "\n"),
            "t.yaml:3:11: swarms[0].path: invalid store path: path component longer than 200 bytes");
}

TEST(ConfigLimits, TwoSwarmsOnOneStorePathAreRefused) {
  // b's explicit path is a's default one.
  const std::string message = error_of("swarms:\n  - name: a\n  - name: b\n    path: a/swarm-key\n");
  EXPECT_NE(message.find("t.yaml:4:11: store path 'a/swarm-key' is already used by swarm 'a' (line 2)"),
            std::string::npos)
      << message;
  EXPECT_NE(error_of("swarms:\n  - {name: a, path: p/k}\n  - {name: b, path: p/k}\n").find("store path 'p/k'"),
            std::string::npos);
}

TEST(ConfigLimits, TwoSwarmsOnOneTargetFileAreRefusedEvenSpelledDifferently) {
  const std::string message = error_of(
      "swarms:\n"
      "  - name: a\n"
      "    targets: [{type: file, path: keys/swarm.key}]\n"
      "  - name: b\n"
      "    targets:\n"
      "      - {type: file, path: ./keys//swarm.key}\n");
  EXPECT_NE(message.find("t.yaml:6:28: target file './keys//swarm.key' is already used by swarm 'a' (line 3)"),
            std::string::npos)
      << message;
}

TEST(ConfigLimits, TwoSwarmsOnOneSecretKeyAreRefused) {
  const std::string message = error_of(
      "swarms:\n"
      "  - name: a\n"
      "    targets: [{type: kubernetes, namespace: ipfs, secret: swarm-key}]\n"
      "  - name: b\n"
      "    targets: [{type: kubernetes, namespace: ipfs, secret: swarm-key}]\n");
  EXPECT_NE(message.find("target Secret ipfs/swarm-key key swarm.key is already used by swarm 'a'"), std::string::npos)
      << message;
  // Another data key of the same Secret is another target.
  EXPECT_TRUE(parse_config("swarms:\n"
                           "  - name: a\n"
                           "    targets: [{type: kubernetes, namespace: ipfs, secret: s, key: a.key}]\n"
                           "  - name: b\n"
                           "    targets: [{type: kubernetes, namespace: ipfs, secret: s, key: b.key}]\n",
                           "t.yaml")
                  .has_value());
}

TEST(ConfigLimits, AnOversizedConfigIsRefusedBeforeParsing) {
  std::string yaml = "swarms: [{name: a}]\n";
  yaml += "# " + std::string(1024 * 1024, 'x') + "\n";
  const auto started = std::chrono::steady_clock::now();
  const std::string message = error_of(yaml);
  EXPECT_NE(message.find("larger than 1024 KiB"), std::string::npos) << message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
}

TEST(ConfigLimits, DeepNestingSaysWhatIsWrong) {
  const std::string yaml = "swarms: " + std::string(100000, '[') + "\n";
  const std::string message = error_of(yaml);
  EXPECT_NE(message.find("nested more than"), std::string::npos) << message;
}

TEST(ConfigLimits, LoadConfigStopsReadingADeviceAtTheLimit) {
  auto config = load_config("/dev/zero");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().code, ErrorCode::invalid_config);
  EXPECT_NE(config.error().message.find("config file /dev/zero: larger than 1024 KiB"), std::string::npos)
      << config.error().message;
}

TEST(ConfigLimits, BundleValuesGetTheSameChecks) {
  auto values = parse_bundle_values("namespace: \"ipfs\xfe\"\n", "v.yaml");
  ASSERT_FALSE(values.has_value());
  EXPECT_NE(values.error().message.find("v.yaml:1:17: byte 0xfe is not UTF-8"), std::string::npos)
      << values.error().message;
  auto loaded = load_bundle_values("/dev/zero");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message.find("values file /dev/zero: larger than 1024 KiB"), std::string::npos)
      << loaded.error().message;
}

}  // namespace
}  // namespace keyd::config
