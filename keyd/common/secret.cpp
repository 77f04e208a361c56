#include "keyd/common/secret.hpp"

#include <openssl/crypto.h>

#include <ostream>

namespace keyd {

void secure_zero(void* data, std::size_t size) noexcept {
  if (data != nullptr && size > 0) OPENSSL_cleanse(data, size);
}

Secret::Secret(std::span<const std::uint8_t> bytes) : m_bytes(bytes.begin(), bytes.end()) {}

Secret Secret::from_text(std::string_view text) {
  Secret s;
  s.m_bytes.assign(text.begin(), text.end());
  return s;
}

Secret::~Secret() { wipe(); }

Secret::Secret(Secret&& other) noexcept : m_bytes(std::move(other.m_bytes)) { other.m_bytes.clear(); }

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    wipe();
    m_bytes = std::move(other.m_bytes);
    other.m_bytes.clear();
  }
  return *this;
}

Secret Secret::clone() const { return Secret(bytes()); }

std::string_view Secret::reveal_text() const noexcept {
  return {reinterpret_cast<const char*>(m_bytes.data()), m_bytes.size()};
}

void Secret::resize(std::size_t n) {
  if (n <= m_bytes.capacity()) {
    if (n < m_bytes.size()) secure_zero(m_bytes.data() + n, m_bytes.size() - n);
    m_bytes.resize(n);
    return;
  }
  std::vector<std::uint8_t> bigger;
  bigger.reserve(n);
  bigger.assign(m_bytes.begin(), m_bytes.end());
  bigger.resize(n);
  wipe();
  m_bytes = std::move(bigger);
}

void Secret::wipe() noexcept {
  secure_zero(m_bytes.data(), m_bytes.capacity());
  m_bytes.clear();
  m_bytes.shrink_to_fit();
}

bool operator==(const Secret& a, const Secret& b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.m_bytes.data(), b.m_bytes.data(), a.size()) == 0;
}

std::ostream& operator<<(std::ostream& os, const Secret&) { return os << "<redacted>"; }

}  // namespace keyd
