#include "keyd/cli/heap_pretouch.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdlib>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace keyd::cli {

std::size_t pretouch_heap(std::size_t bytes) {
#if defined(__GLIBC__)
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  // Grow by `bytes` at the next extension; a free never gives back the last `bytes` either (glibc trims
  // only what exceeds the padding).
  mallopt(M_TOP_PAD, static_cast<int>(bytes));
  // The free space at the heap's top (keepcost): if it is less than `bytes`, a block larger than it
  // makes malloc extend the heap (by the block's shortfall plus the padding); freed, the block returns
  // to that space. The blocks must come from the heap, not from mmap, so the mmap threshold is raised
  // for them (to glibc's largest, 32 MiB) and then set back to glibc's initial 128 KiB. A free chunk
  // in malloc's bins that is large enough serves such a block before the top does: the blocks are
  // held, each twice the size of the one before, until one comes from the top (the heap's end moves)
  // or they reach the largest size, and then all freed.
  if (const std::size_t free_before = mallinfo2().keepcost; free_before < bytes) {
    constexpr std::size_t k_largest = 32 * 1024 * 1024;
    mallopt(M_MMAP_THRESHOLD, static_cast<int>(k_largest));
    // (volatile: a block malloc'd and freed unused may otherwise be dropped by the compiler)
    std::array<void* volatile, 16> held{};
    const void* const end_before = sbrk(0);
    std::size_t size = free_before + 64;
    for (auto& block : held) {
      if (size > k_largest) break;
      block = std::malloc(size);
      if (block == nullptr || sbrk(0) != end_before) break;
      size *= 2;
    }
    for (void* block : held) std::free(block);  // free(nullptr) does nothing
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  }
  auto* const top = static_cast<char*>(sbrk(0));
  const std::size_t free_at_top = mallinfo2().keepcost;
  if (top == reinterpret_cast<char*>(-1) || free_at_top == 0) return 0;
  const auto end = reinterpret_cast<std::uintptr_t>(top);
  const auto start = (end - free_at_top) & ~(page - 1);
  if (madvise(reinterpret_cast<void*>(start), end - start, MADV_POPULATE_WRITE) != 0) return 0;
  return end - start;
#else
  (void)bytes;
  return 0;
#endif
}

}  // namespace keyd::cli
