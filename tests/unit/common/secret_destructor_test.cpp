// ~Secret() wipes the key bytes before their memory goes back to the allocator (issue 17: only
// wipe() was tested, so a destructor that stopped wiping let a mutant live).
//
// How it is observed: this test binary replaces the global operator new/delete (malloc/free
// underneath, as the standard allows). While a test watches a buffer, operator delete looks at its
// bytes just before freeing them — the last moment they are still ours to read — and records
// whether they were all zero. Everything else passes straight through.
#include "keyd/common/secret.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <optional>
#include <string>
#include <utility>

namespace {

struct Watch {
  const void* buffer = nullptr;
  std::size_t size = 0;
  std::optional<bool> zero_when_freed;  // set when the watched buffer is freed
};
thread_local Watch t_watch;

void look_before_free(void* p) noexcept {
  if (p == nullptr || p != t_watch.buffer) return;
  const auto* bytes = static_cast<const unsigned char*>(p);
  bool zero = true;
  for (std::size_t i = 0; i < t_watch.size; ++i) zero = zero && bytes[i] == 0;
  t_watch.zero_when_freed = zero;
  t_watch.buffer = nullptr;
}

void* allocate(std::size_t n) {
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}

}  // namespace

// The replaceable allocation functions (every plain and nothrow form, so each pair stays malloc/free).
void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return std::malloc(n == 0 ? 1 : n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return std::malloc(n == 0 ? 1 : n); }
void operator delete(void* p) noexcept {
  look_before_free(p);
  std::free(p);
}
void operator delete[](void* p) noexcept {
  look_before_free(p);
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  look_before_free(p);
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  look_before_free(p);
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  look_before_free(p);
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  look_before_free(p);
  std::free(p);
}

namespace keyd {
namespace {

const std::string k_text = "/key/swarm/psk/1.0.0/\n/base16/\n" + std::string(64, 'c') + "\n";

void watch(const Secret& s) {
  t_watch = Watch{s.bytes().data(), s.size(), std::nullopt};
}

TEST(SecretDestructor, TheWatchSeesKeyBytesFreedUnwiped) {
  // The probe itself: a plain buffer freed with its content is reported as not zero.
  auto* raw = new unsigned char[k_text.size()];
  std::copy(k_text.begin(), k_text.end(), raw);
  t_watch = Watch{raw, k_text.size(), std::nullopt};
  delete[] raw;
  ASSERT_TRUE(t_watch.zero_when_freed.has_value()) << "operator delete was not reached";
  EXPECT_FALSE(*t_watch.zero_when_freed);
}

TEST(SecretDestructor, WipesTheBytesBeforeFreeingThem) {
  {
    Secret s = Secret::from_text(k_text);
    ASSERT_EQ(s.reveal_text(), k_text);
    watch(s);
  }  // ~Secret()
  ASSERT_TRUE(t_watch.zero_when_freed.has_value()) << "the Secret's buffer was not freed by its destructor";
  EXPECT_TRUE(*t_watch.zero_when_freed) << "~Secret() freed the key bytes without zeroing them";
}

TEST(SecretDestructor, WipesAfterAMoveAndOnHeapDeletion) {
  Secret source = Secret::from_text(k_text);
  auto* moved = new Secret(std::move(source));
  watch(*moved);
  delete moved;
  ASSERT_TRUE(t_watch.zero_when_freed.has_value());
  EXPECT_TRUE(*t_watch.zero_when_freed) << "deleting a moved-into Secret freed the key bytes unwiped";

  Secret target;
  {
    Secret other = Secret::from_text(k_text);
    watch(other);
    target = std::move(other);
  }
  EXPECT_FALSE(t_watch.zero_when_freed.has_value()) << "the bytes moved on: the moved-from Secret frees nothing";
  t_watch.zero_when_freed.reset();
  {
    const Secret leaving = std::move(target);
    EXPECT_EQ(leaving.reveal_text(), k_text);
  }
  ASSERT_TRUE(t_watch.zero_when_freed.has_value());
  EXPECT_TRUE(*t_watch.zero_when_freed);
}

}  // namespace
}  // namespace keyd
