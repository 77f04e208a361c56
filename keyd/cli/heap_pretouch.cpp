#include "keyd/cli/heap_pretouch.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

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
  // The free space at the heap's top (keepcost): if it is less than `bytes`, a block just larger than
  // it makes malloc extend the heap (by the padding); freed, the block returns to that space. The block
  // must come from the heap, not from mmap, so the mmap threshold is raised for it and then set back to
  // glibc's initial 128 KiB. (The block escapes into a volatile: a malloc freed unused may be dropped.)
  if (const std::size_t free_before = mallinfo2().keepcost; free_before < bytes) {
    mallopt(M_MMAP_THRESHOLD, static_cast<int>(4 * bytes));
    void* volatile block = std::malloc(free_before + 64);
    std::free(block);
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
