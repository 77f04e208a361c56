// scan_for_keys: every encoding and embedding a swarm key is found in, and the look-alikes it must
// leave alone. Keys are generated at run time: no literal key enters the tree.
#include "key_fixtures.hpp"
#include "keyd/domain/scan.hpp"

#include <gtest/gtest.h>

#include <random>

namespace keyd::domain {
namespace {

struct Expect {
  std::size_t line;
  std::string encoding;  // describe_encoding
  bool weak = false;
};

struct Row {
  std::string reason;
  std::string text;
  std::vector<Expect> expect;  // empty: nothing may be found
};

struct Key {
  test::KeyBytes bytes;
  std::string hex, b64;
  Fingerprint fingerprint;
};

Key make_key(const test::KeyBytes& bytes) {
  Key k{bytes, test::hex_lower(bytes), test::base64_padded(bytes), {}};
  k.fingerprint = SwarmKey::from_bytes(bytes).value().fingerprint();
  return k;
}

Key random_key() {
  auto key = generate_swarm_key().value();
  test::KeyBytes bytes{};
  std::ranges::copy(key.bytes(), bytes.begin());
  return make_key(bytes);
}

// base64(1)'s layout: wrapped at 76 characters.
std::string wrapped(const std::string& b64, const std::string& indent) {
  std::string out;
  for (std::size_t i = 0; i < b64.size(); i += 76) out += indent + b64.substr(i, 76) + "\n";
  return out;
}

std::vector<Row> rows(const Key& k) {
  const std::string file = test::key_file("/base16/", k.hex + "\n");
  const std::string file_b64 = test::base64_padded(test::as_bytes(file));
  return {
      {"canonical key file", file, {{3, "base16"}}},
      {"no final newline", test::key_file("/base16/", k.hex), {{3, "base16"}}},
      {"CRLF", "/key/swarm/psk/1.0.0/\r\n/base16/\r\n" + k.hex + "\r\n", {{3, "base16"}}},
      {"uppercase hex and codec",
       "/key/swarm/psk/1.0.0/\n/BASE16/\n" + test::hex_upper(k.bytes) + "\n",
       {{3, "base16"}}},
      {"trailing whitespace on every line", "/key/swarm/psk/1.0.0/  \n/base16/\t\n" + k.hex + " \n", {{3, "base16"}}},
      {"/base64/ key file", test::key_file("/base64/", k.b64 + "\n"), {{3, "base64"}}},
      {"/base64/ key split over two lines",
       test::key_file("/base64/", k.b64.substr(0, 20) + "\n" + k.b64.substr(20)),
       {{3, "base64"}}},
      {"/bin/ key file after two lines of text",
       "a\nb\n" + test::key_file("/bin/", test::as_string(k.bytes)),
       {{5, "bin"}}},
      {"Secret stringData block scalar",
       "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ipfs-swarm-key\nstringData:\n  swarm.key: |\n"
       "    /key/swarm/psk/1.0.0/\n    /base16/\n    " +
           k.hex + "\n",
       {{9, "base16"}}},
      {"JSON string with escaped newlines (also labelled: reported once)",
       "{\n  \"swarm.key\": \"/key/swarm/psk/1.0.0/\\n/base16/\\n" + k.hex + "\\n\"\n}\n",
       {{2, "base16"}}},
      {"doubly escaped newlines", "x = \"/key/swarm/psk/1.0.0/\\\\n/base16/\\\\n" + k.hex + "\"\n", {{1, "base16"}}},
      {"escaped CRLF", "K='/key/swarm/psk/1.0.0/\\r\\n/base16/\\r\\n" + k.hex + "'\n", {{1, "base16"}}},
      {"shell heredoc", "#!/bin/sh\ncat > swarm.key <<EOF\n" + file + "EOF\n", {{5, "base16"}}},
      {"commented-out lines", "# /key/swarm/psk/1.0.0/\n# /base16/\n# " + k.hex + "\n", {{3, "base16"}}},
      {"tab-indented", "\t/key/swarm/psk/1.0.0/\n\t/base16/\n\t" + k.hex + "\n", {{3, "base16"}}},
      {"string concatenation in code",
       "k = \"/key/swarm/psk/1.0.0/\\n\" +\n  \"/base16/\\n\" +\n  \"" + k.hex + "\";\n",
       {{3, "base16"}}},
      {"printf arguments", "printf '%s\\n' '/key/swarm/psk/1.0.0/' '/base16/' '" + k.hex + "'\n", {{1, "base16"}}},
      {"header version js-libp2p accepts", "/key/swarm/psk/2.0.0/\n/base16/\n" + k.hex + "\n", {{3, "base16"}}},
      {"Secret data: base64 of the key file", "data:\n  swarm.key: " + file_b64 + "\n", {{2, "base64 key file"}}},
      {"base64 of the key file, wrapped by base64(1)", "data: |\n" + wrapped(file_b64, "  "), {{2, "base64 key file"}}},
      {"base64 of a /base64/ key file",
       "swarm.key: " + test::base64_padded(test::as_bytes(test::key_file("/base64/", k.b64 + "\n"))) + "\n",
       {{1, "base64 key file"}}},
      {"SWARM_KEY=", "export SWARM_KEY=" + k.hex + "\n", {{1, "labelled hex"}}},
      {"swarm_key: \"...\"", "swarm_key: \"" + k.hex + "\"\n", {{1, "labelled hex"}}},
      {"swarmKey = '...'", "const swarmKey = '" + k.hex + "';\n", {{1, "labelled hex"}}},
      {"\"swarm.key\": JSON", "{\"swarm.key\": \"" + k.hex + "\"}\n", {{1, "labelled hex"}}},
      {"psk: with 0x", "psk: 0x" + k.hex + "\n", {{1, "labelled hex"}}},
      {"IPFS_SWARM_KEY in an env file, second line",
       "A=1\nIPFS_SWARM_KEY=" + test::hex_upper(k.bytes) + "\n",
       {{2, "labelled hex"}}},
      {"all-zero placeholder key file is weak",
       test::key_file("/base16/", std::string(64, '0') + "\n"),
       {{3, "base16", true}}},
      {"all-zero labelled placeholder is weak",
       "SWARM_KEY=" + std::string(64, '0') + "\n",
       {{1, "labelled hex", true}}},
      {"two keys, lines counted across both",
       file + "\n\nswarm_key=" + k.hex + "\n" + file,
       {{3, "base16"}, {6, "labelled hex"}, {9, "base16"}}},

      {"sha256 in a package-lock-like line",
       "    \"resolved\": \"https://x/y.tgz\", \"sha256\": \"" + k.hex + "\",\n",
       {}},
      {"Cargo.lock checksum", "[[package]]\nname = \"psk\"\nchecksum = \"" + k.hex + "\"\n", {}},
      {"sha256sum output naming swarm.key after the hash", k.hex + "  swarm.key\n", {}},
      {"labelled as a digest of the swarm key", "swarm_key_sha256: " + k.hex + "\n", {}},
      {"unlabelled 64-hex line", k.hex + "\n", {}},
      {"labelled but 128 hex digits", "swarm.key: " + k.hex + k.hex + "\n", {}},
      {"labelled but inside a longer word", "swarm_key=x" + k.hex + "\n", {}},
      {"label after the value", "x = \"" + k.hex + "\" # not the swarm key\n", {}},
      {"label on another line", "swarm_key:\n  " + k.hex + "\n", {}},
      {"header with a placeholder", "/key/swarm/psk/1.0.0/\n/base16/\n<64 lowercase hex>\n", {}},
      {"header with a short key", test::key_file("/base16/", k.hex.substr(0, 62) + "\n"), {}},
      {"header alone, in prose", "written as `/key/swarm/psk/1.0.0/` then the codec\n", {}},
      {"unknown codec", test::key_file("/base32/", k.hex + "\n"), {}},
      {"unpadded /base64/ key", test::key_file("/base64/", test::base64_unpadded(k.bytes) + "\n"), {}},
      {"bin key cut short", test::key_file("/bin/", test::as_string(k.bytes).substr(0, 31)), {}},
      {"truncated base64 of a key file", "data: " + file_b64.substr(0, 100) + "\n", {}},
  };
}

void expect_rows(const Key& k) {
  for (const Row& row : rows(k)) {
    SCOPED_TRACE(row.reason);
    const auto found = scan_for_keys(row.text);
    ASSERT_EQ(found.size(), row.expect.size());
    for (std::size_t i = 0; i < found.size(); ++i) {
      EXPECT_EQ(found[i].line, row.expect[i].line) << i;
      EXPECT_EQ(describe_encoding(found[i]), row.expect[i].encoding) << i;
      EXPECT_EQ(found[i].weak, row.expect[i].weak) << i;
      if (!row.expect[i].weak) {
        EXPECT_EQ(found[i].fingerprint.hex(), k.fingerprint.hex()) << i;
      }
    }
  }
}

TEST(ScanTable, FixedFakeKey) { expect_rows(make_key(test::fake_key())); }

TEST(ScanTable, RandomKeys) {
  for (int i = 0; i < 20; ++i) expect_rows(random_key());
}

TEST(Scan, WeakPlaceholderHasKuboAllZeroFingerprint) {
  const auto found = scan_for_keys(test::key_file("/base16/", std::string(64, '0') + "\n"));
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].fingerprint.hex(), "708a75afd05affb08736cbf17c73773e");
}

TEST(Scan, RandomBase64AndHexNoiseIsSilent) {
  std::mt19937 rng(12345);
  std::string noise;
  const std::string b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int line = 0; line < 2000; ++line) {
    for (int i = 0; i < 76; ++i) noise += b64chars[rng() % 64];
    noise += "\n";
    noise += "checksum " + std::to_string(line) + ": ";
    for (int i = 0; i < 64; ++i) noise += "0123456789abcdef"[rng() % 16];
    noise += "\n";
  }
  EXPECT_TRUE(scan_for_keys(noise).empty());
}

TEST(Scan, KeyAtTheVeryEndOfTheInputAndEmptyInput) {
  const Key k = make_key(test::fake_key());
  EXPECT_TRUE(scan_for_keys(std::string_view{}).empty());
  const auto found = scan_for_keys("swarm.key=" + k.hex);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].offset, 10U);
  // Every prefix of a key file is either silent or a full finding; none reads past the end.
  const std::string file = test::key_file("/base16/", k.hex);
  for (std::size_t n = 0; n <= file.size(); ++n) {
    const auto partial = scan_for_keys(std::string_view(file).substr(0, n));
    EXPECT_EQ(partial.size(), n == file.size() ? 1U : 0U) << n;
  }
}

}  // namespace
}  // namespace keyd::domain
