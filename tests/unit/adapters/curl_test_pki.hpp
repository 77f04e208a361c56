// Certificates made at test time with OpenSSL's C API (EC P-256, valid for a day): a CA, server
// certificates for 127.0.0.1/localhost and for a different name, a client certificate, and an
// unrelated CA. Written as PEM files into a temporary directory.
#pragma once

#include "support/test_support.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace keyd::adapters::curl_test {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
struct X509Deleter {
  void operator()(X509* cert) const noexcept { X509_free(cert); }
};
struct BioDeleter {
  void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};

struct Issued {
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key;
  std::unique_ptr<X509, X509Deleter> cert;
};

inline void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

// A certificate named `common_name`, signed by `issuer` (self-signed when null), with the given
// X.509v3 extensions in OpenSSL's config syntax.
inline Issued issue(const std::string& common_name, const Issued* issuer,
                    const std::vector<std::pair<int, std::string>>& extensions) {
  static long serial = 1;
  Issued out{std::unique_ptr<EVP_PKEY, PkeyDeleter>(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")),
             std::unique_ptr<X509, X509Deleter>(X509_new())};
  require(out.key && out.cert, "allocation");
  X509* cert = out.cert.get();
  require(X509_set_version(cert, 2) == 1, "version");
  require(ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++) == 1, "serial");
  require(X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != nullptr, "notBefore");
  require(X509_gmtime_adj(X509_getm_notAfter(cert), 86400) != nullptr, "notAfter");
  require(X509_set_pubkey(cert, out.key.get()) == 1, "pubkey");
  const auto* cn = reinterpret_cast<const unsigned char*>(common_name.c_str());
  require(X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC, cn, -1, -1, 0) == 1, "CN");
  X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : cert;
  require(X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert)) == 1, "issuer");
  for (const auto& [nid, value] : extensions) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer_cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    require(ext != nullptr, value.c_str());
    const int added = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    require(added == 1, "add extension");
  }
  EVP_PKEY* signer = issuer != nullptr ? issuer->key.get() : out.key.get();
  require(X509_sign(cert, signer, EVP_sha256()) > 0, "sign");
  return out;
}

inline Issued issue_ca(const std::string& name) {
  return issue(name, nullptr,
               {{NID_basic_constraints, "critical,CA:TRUE"},
                {NID_key_usage, "critical,keyCertSign,cRLSign"},
                {NID_subject_key_identifier, "hash"}});
}

inline Issued issue_leaf(const std::string& name, const Issued& ca, const std::string& usage, const std::string& san) {
  std::vector<std::pair<int, std::string>> extensions{{NID_basic_constraints, "critical,CA:FALSE"},
                                                      {NID_key_usage, "critical,digitalSignature"},
                                                      {NID_ext_key_usage, usage},
                                                      {NID_subject_key_identifier, "hash"},
                                                      {NID_authority_key_identifier, "keyid:always"}};
  if (!san.empty()) extensions.emplace_back(NID_subject_alt_name, san);
  return issue(name, &ca, extensions);
}

inline void write_pem(const Issued& issued, const std::filesystem::path& cert_file,
                      const std::filesystem::path& key_file = {}) {
  std::unique_ptr<BIO, BioDeleter> cert_out(BIO_new_file(cert_file.c_str(), "w"));
  require(cert_out && PEM_write_bio_X509(cert_out.get(), issued.cert.get()) == 1, "write certificate");
  if (key_file.empty()) return;
  std::unique_ptr<BIO, BioDeleter> key_out(BIO_new_file(key_file.c_str(), "w"));
  require(
      key_out && PEM_write_bio_PrivateKey(key_out.get(), issued.key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
      "write key");
}

// <dir>/ca.pem, other-ca.pem, server.pem + server-key.pem (127.0.0.1, localhost),
// named.pem + named-key.pem (vault.internal only), client.pem + client-key.pem.
class TestPki {
 public:
  static constexpr const char* k_other_name = "vault.internal";

  TestPki() {
    const Issued ca = issue_ca("keyd test CA");
    write_pem(ca, file("ca.pem"));
    write_pem(issue_ca("keyd unrelated CA"), file("other-ca.pem"));
    write_pem(issue_leaf("127.0.0.1", ca, "serverAuth", "IP:127.0.0.1,DNS:localhost"), file("server.pem"),
              file("server-key.pem"));
    write_pem(issue_leaf(k_other_name, ca, "serverAuth", std::string("DNS:") + k_other_name), file("named.pem"),
              file("named-key.pem"));
    write_pem(issue_leaf("keyd test client", ca, "clientAuth", ""), file("client.pem"), file("client-key.pem"));
  }

  [[nodiscard]] std::string file(const std::string& name) const { return (m_dir / name).string(); }

 private:
  testing::TempDir m_dir;
};

}  // namespace keyd::adapters::curl_test
