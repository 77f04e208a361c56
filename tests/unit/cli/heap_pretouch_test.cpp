// keyd::cli::pretouch_heap: a short command's heap, made present in one call (docs/performance.md).
#include "keyd/cli/heap_pretouch.hpp"

#include <gtest/gtest.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool k_own_allocator = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool k_own_allocator = true;
#else
constexpr bool k_own_allocator = false;
#endif
#else
constexpr bool k_own_allocator = false;
#endif

// The pages of [begin, end) that are not resident.
std::size_t missing_pages(std::uintptr_t begin, std::uintptr_t end) {
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> resident((end - begin + page - 1) / page);
  if (mincore(reinterpret_cast<void*>(begin), end - begin, resident.data()) != 0) return resident.size();
  std::size_t missing = 0;
  for (const unsigned char r : resident) missing += (r & 1U) == 0 ? 1 : 0;
  return missing;
}

TEST(HeapPretouch, TheGrownHeapIsPresentAndKeptForTheCommand) {
  constexpr std::size_t k_bytes = 512 * 1024;
  const auto made_present = keyd::cli::pretouch_heap(k_bytes);
  if (k_own_allocator) {
    // AddressSanitizer's allocator does not use the brk heap: nothing is made present, and the
    // function says so instead of populating memory nobody will allocate from.
    EXPECT_EQ(made_present, 0U);
    return;
  }
  const auto end = reinterpret_cast<std::uintptr_t>(sbrk(0));
  // The heap grew by at least what was asked for, and every page of the growth is resident: nothing
  // of it waits for a page fault.
  ASSERT_GE(made_present, k_bytes);
  EXPECT_EQ(missing_pages(end - made_present, end), 0U);
  // And malloc keeps it: what the command then allocates (here 400 KiB, in blocks below the mmap
  // threshold) comes from those pages; the heap does not grow again.
  std::vector<void*> blocks;
  for (int i = 0; i < 4; ++i) blocks.push_back(std::malloc(100 * 1024));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(sbrk(0)), end);
  // Nor does it shrink when they are freed (the last first, so each joins the free top at once): glibc
  // keeps the padding, or the next allocations would fault again.
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) std::free(*it);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(sbrk(0)), end);
}

// Found in stop 32's review: the block meant to make malloc grow the heap (just larger than the free
// top) was served from a free chunk in malloc's bins when one that large was there, so the heap did not
// grow and only the old free top was made present. Here a 4 MiB chunk is freed below a guard block.
TEST(HeapPretouch, AFreeChunkInMallocsBinsDoesNotKeepTheHeapFromGrowing) {
  constexpr std::size_t k_bytes = 1536 * 1024;
  mallopt(M_MMAP_THRESHOLD, 16 * 1024 * 1024);  // the chunk must come from the heap, not from mmap
  void* volatile big = std::malloc(4 * 1024 * 1024);
  // Keeps the freed chunk from joining the free top: a size no free chunk serves, so it comes from
  // the top, right after `big`.
  void* volatile guard = std::malloc(300 * 1024);
  std::free(big);
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  const auto made_present = keyd::cli::pretouch_heap(k_bytes);
  std::free(guard);
  if (k_own_allocator) {
    EXPECT_EQ(made_present, 0U);
    return;
  }
  EXPECT_GE(made_present, k_bytes);
}

}  // namespace
