#include "record_crypto.hpp"

#include "../os/wiping_allocator.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace keyd::adapters::detail {
namespace {

constexpr std::string_view k_magic = "KEYDREC1";
constexpr std::size_t k_nonce_size = 12;
constexpr std::size_t k_tag_size = 16;
constexpr std::string_view k_aad_label = "keyd-file-store/record/v1";
constexpr std::string_view k_hkdf_salt = "keyd-file-store";
constexpr std::string_view k_record_key_info = "record-encryption/v1";
constexpr std::string_view k_metadata_key_info = "metadata-mac/v1";

using detail::WipedBytes;

// nlohmann::json whose binary values (the key text) live in wiped buffers.
using RecordJson = nlohmann::basic_json<std::map, std::vector, std::string, bool, std::int64_t, std::uint64_t, double,
                                        std::allocator, nlohmann::adl_serializer, WipedBytes>;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

std::string record_aad(std::string_view store_path, int version) {
  std::string aad(k_aad_label);
  aad += '\0';
  aad += store_path;
  aad += '\0';
  aad += std::to_string(version);
  return aad;
}

const unsigned char* uchar(const std::uint8_t* p) { return p; }
const unsigned char* uchar(const char* p) { return reinterpret_cast<const unsigned char*>(p); }
int int_size(std::size_t n) { return static_cast<int>(n); }

Result<Secret> hkdf(const Secret& master_key, std::string_view info) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) return fail(ErrorCode::internal, "OpenSSL: HKDF is unavailable");
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf), &EVP_KDF_CTX_free);
  EVP_KDF_free(kdf);
  if (!ctx) return fail(ErrorCode::internal, "OpenSSL: cannot create an HKDF context");
  std::string digest = "SHA256";
  std::string salt(k_hkdf_salt);
  std::string info_copy(info);
  const std::array<OSSL_PARAM, 5> params = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(master_key.bytes().data()),
                                        master_key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt.data(), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info_copy.data(), info_copy.size()),
      OSSL_PARAM_construct_end(),
  };
  Secret out;
  out.resize(k_master_key_size);
  if (EVP_KDF_derive(ctx.get(), out.mutable_bytes().data(), out.size(), params.data()) != 1) {
    return fail(ErrorCode::internal, "OpenSSL: HKDF derivation failed");
  }
  return out;
}

}  // namespace

Result<StoreKeys> derive_store_keys(const Secret& master_key) {
  if (master_key.size() != k_master_key_size) {
    return fail(ErrorCode::internal, fmt::format("master key must be {} bytes", k_master_key_size));
  }
  StoreKeys keys;
  KEYD_ASSIGN_OR_RETURN(keys.record_key, hkdf(master_key, k_record_key_info));
  KEYD_ASSIGN_OR_RETURN(keys.metadata_key, hkdf(master_key, k_metadata_key_info));
  return keys;
}

Result<std::vector<std::uint8_t>> seal_record(const Secret& record_key, std::string_view store_path, int version,
                                              const ports::VersionData& data) {
  WipedBytes plain;
  {
    const auto key_bytes = data.key_text.bytes();
    RecordJson doc = RecordJson::object();
    doc["swarm.key"] = RecordJson::binary(WipedBytes(key_bytes.begin(), key_bytes.end()));
    doc["fingerprint"] = data.fingerprint;
    doc["issued_by"] = data.issued_by;
    doc["reason"] = data.reason;
    if (!data.audit_anchor.empty()) doc["audit_anchor"] = data.audit_anchor;
    doc["version"] = version;
    RecordJson::to_cbor(doc, plain);
  }

  std::vector<std::uint8_t> out(k_magic.size() + k_nonce_size + plain.size() + k_tag_size);
  std::memcpy(out.data(), k_magic.data(), k_magic.size());
  std::uint8_t* nonce = out.data() + k_magic.size();
  std::uint8_t* cipher = nonce + k_nonce_size;
  std::uint8_t* tag = cipher + plain.size();
  if (RAND_bytes(nonce, int_size(k_nonce_size)) != 1) return fail(ErrorCode::internal, "RAND_bytes failed");

  const std::string aad = record_aad(store_path, version);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, int_size(k_nonce_size), nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, uchar(record_key.bytes().data()), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, uchar(aad.data()), int_size(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), cipher, &len, plain.data(), int_size(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), cipher + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, int_size(k_tag_size), tag) != 1) {
    return fail(ErrorCode::internal, "OpenSSL: AES-256-GCM encryption failed");
  }
  return out;
}

Result<ports::VersionData> open_record(const Secret& record_key, std::string_view store_path, int version,
                                       std::span<const std::uint8_t> sealed) {
  if (sealed.size() < k_magic.size() + k_nonce_size + k_tag_size ||
      std::memcmp(sealed.data(), k_magic.data(), k_magic.size()) != 0) {
    return fail(ErrorCode::integrity, "not a keyd record (bad header or truncated)");
  }
  const std::uint8_t* nonce = sealed.data() + k_magic.size();
  const std::uint8_t* cipher = nonce + k_nonce_size;
  const std::size_t cipher_size = sealed.size() - k_magic.size() - k_nonce_size - k_tag_size;
  // EVP wants a mutable tag pointer; copy it rather than casting const away.
  std::array<std::uint8_t, k_tag_size> tag{};
  std::memcpy(tag.data(), cipher + cipher_size, k_tag_size);

  Secret plain;
  plain.resize(cipher_size);
  const std::string aad = record_aad(store_path, version);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, int_size(k_nonce_size), nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, uchar(record_key.bytes().data()), nonce) != 1) {
    return fail(ErrorCode::internal, "OpenSSL: AES-256-GCM initialisation failed");
  }
  if (EVP_DecryptUpdate(ctx.get(), nullptr, &len, uchar(aad.data()), int_size(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), plain.mutable_bytes().data(), &len, cipher, int_size(cipher_size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, int_size(k_tag_size), tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), plain.mutable_bytes().data() + len, &len) != 1) {
    return fail(ErrorCode::integrity, "authentication failed (wrong master key or tampered record)");
  }

  const RecordJson doc = RecordJson::from_cbor(plain.bytes(), true, false);
  const auto malformed = [] { return fail(ErrorCode::integrity, "malformed record payload"); };
  if (!doc.is_object()) return malformed();
  const auto key = doc.find("swarm.key");
  const auto version_field = doc.find("version");
  if (key == doc.end() || !key->is_binary() || version_field == doc.end() || !version_field->is_number_integer() ||
      version_field->get<std::int64_t>() != version) {
    return malformed();
  }
  ports::VersionData data;
  for (auto [name, field] : {std::pair{"fingerprint", &data.fingerprint}, std::pair{"issued_by", &data.issued_by},
                             std::pair{"reason", &data.reason}}) {
    const auto it = doc.find(name);
    if (it == doc.end() || !it->is_string()) return malformed();
    *field = it->get<std::string>();
  }
  // Optional: records sealed before keyd anchored the audit trail have none.
  if (const auto anchor = doc.find("audit_anchor"); anchor != doc.end()) {
    if (!anchor->is_string()) return malformed();
    data.audit_anchor = anchor->get<std::string>();
  }
  data.key_text = Secret(std::span<const std::uint8_t>(key->get_binary().data(), key->get_binary().size()));
  return data;
}

}  // namespace keyd::adapters::detail
