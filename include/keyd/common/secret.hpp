// Secret: the one type that holds key material (raw bytes or key file text).
// It zeroes its memory on destruction and reassignment, cannot be copied implicitly,
// never converts to std::string, and formats as "<redacted>" in logs and streams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <span>
#include <string_view>
#include <vector>

namespace keyd {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::span<const std::uint8_t> bytes);
  // Copies text into a new secret. The caller is responsible for wiping its own copy.
  static Secret from_text(std::string_view text);
  ~Secret();

  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;

  // Explicit deep copy, so every duplicate of key material is visible in the code.
  [[nodiscard]] Secret clone() const;

  [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept { return m_bytes; }
  [[nodiscard]] std::span<std::uint8_t> mutable_bytes() noexcept { return m_bytes; }
  // The bytes viewed as text, for writing a key file or parsing one. Never log this.
  [[nodiscard]] std::string_view reveal_text() const noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return m_bytes.size(); }
  [[nodiscard]] bool empty() const noexcept { return m_bytes.empty(); }

  void resize(std::size_t n);  // wipes the old buffer when it grows
  void wipe() noexcept;        // zero and release

  friend bool operator==(const Secret& a, const Secret& b) noexcept;  // constant time

 private:
  std::vector<std::uint8_t> m_bytes;
};

// Streams and spdlog/fmt formatting never show the content.
std::ostream& operator<<(std::ostream& os, const Secret&);

// Zero a buffer in a way the optimiser cannot remove.
void secure_zero(void* data, std::size_t size) noexcept;

}  // namespace keyd

#include <fmt/format.h>
template <>
struct fmt::formatter<keyd::Secret> : fmt::formatter<std::string_view> {
  template <typename Ctx>
  auto format(const keyd::Secret&, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format("<redacted>", ctx);
  }
};
