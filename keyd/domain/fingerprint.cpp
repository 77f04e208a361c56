// Kubo's swarm key fingerprint: SHAKE-128 (16 bytes) over the Salsa20 keystream for nonce "finprint".
#include "keyd/domain/swarm_key.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <memory>

namespace keyd::domain {

namespace {

inline constexpr std::array<unsigned char, 8> k_fingerprint_nonce = {'f', 'i', 'n', 'p', 'r', 'i', 'n', 't'};
inline constexpr std::size_t k_keystream_size = 64;

// libsodium must be initialised once per process; a function-local static makes that thread-safe.
// crypto_stream_salsa20 falls back to its portable implementation, so a failed init is not fatal.
void ensure_sodium() noexcept { [[maybe_unused]] static const int k_sodium_status = sodium_init(); }

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};

// SHAKE-128 of `data` into `out`. False only if OpenSSL fails (allocation failure or a broken provider).
bool shake128(std::span<const std::uint8_t> data, std::span<std::uint8_t> out) noexcept {
  const std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  return ctx != nullptr && EVP_DigestInit_ex(ctx.get(), EVP_shake128(), nullptr) == 1 &&
         EVP_DigestUpdate(ctx.get(), data.data(), data.size()) == 1 &&
         EVP_DigestFinalXOF(ctx.get(), out.data(), out.size()) == 1;
}

}  // namespace

Fingerprint SwarmKey::fingerprint() const {
  ensure_sodium();
  // Salsa20 over 64 zero bytes is the keystream itself.
  std::array<std::uint8_t, k_keystream_size> keystream{};
  crypto_stream_salsa20(keystream.data(), keystream.size(), k_fingerprint_nonce.data(), bytes().data());
  Fingerprint fingerprint;
  if (!shake128(keystream, fingerprint.bytes)) {
    // The signature cannot report failure; an all-zero fingerprint matches no real Kubo log line.
    fingerprint.bytes.fill(0);
  }
  secure_zero(keystream.data(), keystream.size());
  return fingerprint;
}

}  // namespace keyd::domain
