#include "store_metadata.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace keyd::adapters::detail {
namespace {

using nlohmann::json;

constexpr std::string_view k_format = "keyd-file-store/v1";
constexpr std::string_view k_mac_prefix = "hmac-sha256:";

Result<std::string> compute_mac(const Secret& key, std::string_view body) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_len = 0;
  if (HMAC(EVP_sha256(), key.bytes().data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest.data(), &digest_len) == nullptr) {
    return fail(ErrorCode::internal, "OpenSSL: HMAC-SHA256 failed");
  }
  std::string out(k_mac_prefix);
  for (unsigned int i = 0; i < digest_len; ++i) out += fmt::format("{:02x}", digest[i]);
  return out;
}

json to_json_body(std::string_view store_path, const ports::PathMetadata& meta) {
  json versions = json::array();
  for (const auto& v : meta.versions) versions.push_back({{"version", v.version}, {"created_time", v.created_time}});
  return json{{"format", k_format},
              {"path", store_path},
              {"current_version", meta.current_version},
              {"oldest_version", meta.oldest_version},
              {"max_versions", meta.max_versions},
              {"created_time", meta.created_time},
              {"updated_time", meta.updated_time},
              {"versions", std::move(versions)}};
}

// Invariants every metadata file this store writes satisfies.
bool consistent(const ports::PathMetadata& meta) {
  if (meta.versions.empty() || meta.max_versions < 1) return false;
  if (static_cast<int>(meta.versions.size()) > meta.max_versions) return false;
  int previous = 0;
  for (const auto& v : meta.versions) {
    if (v.version <= previous) return false;
    previous = v.version;
  }
  return meta.current_version == meta.versions.back().version && meta.oldest_version == meta.versions.front().version;
}

}  // namespace

Result<std::string> serialise_metadata(const Secret& metadata_key, std::string_view store_path,
                                       const ports::PathMetadata& meta) {
  json doc = to_json_body(store_path, meta);
  KEYD_ASSIGN_OR_RETURN(std::string mac, compute_mac(metadata_key, doc.dump()));
  doc["mac"] = std::move(mac);
  return doc.dump(2) + "\n";
}

Result<ParsedMetadata> parse_metadata(const Secret& metadata_key, std::string_view store_path, std::string_view text) {
  const auto malformed = [](std::string_view why) {
    return fail(ErrorCode::integrity, fmt::format("malformed metadata ({})", why));
  };
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return malformed("not a JSON object");
  const auto mac_it = doc.find("mac");
  if (mac_it == doc.end() || !mac_it->is_string()) return malformed("no mac");
  const std::string stored_mac = mac_it->get<std::string>();
  doc.erase("mac");

  ParsedMetadata parsed;
  std::string format;
  std::string path;
  try {
    format = doc.at("format").get<std::string>();
    path = doc.at("path").get<std::string>();
    auto& m = parsed.meta;
    m.current_version = doc.at("current_version").get<int>();
    m.oldest_version = doc.at("oldest_version").get<int>();
    m.max_versions = doc.at("max_versions").get<int>();
    m.created_time = doc.at("created_time").get<std::string>();
    m.updated_time = doc.at("updated_time").get<std::string>();
    for (const auto& v : doc.at("versions")) {
      m.versions.push_back({.version = v.at("version").get<int>(),
                            .created_time = v.at("created_time").get<std::string>(),
                            .deleted = false,
                            .destroyed = false});
    }
  } catch (const json::exception&) {
    return malformed("missing or mistyped field");
  }
  if (format != k_format) return malformed(fmt::format("unknown format \"{}\"", format));

  KEYD_ASSIGN_OR_RETURN(const std::string expected_mac, compute_mac(metadata_key, doc.dump()));
  const bool mac_ok = expected_mac.size() == stored_mac.size() &&
                      CRYPTO_memcmp(expected_mac.data(), stored_mac.data(), expected_mac.size()) == 0;
  parsed.authentic = mac_ok && path == store_path && consistent(parsed.meta);
  return parsed;
}

const ports::VersionInfo* find_version(const ports::PathMetadata& meta, int version) {
  for (const auto& v : meta.versions) {
    if (v.version == version) return &v;
  }
  return nullptr;
}

}  // namespace keyd::adapters::detail
