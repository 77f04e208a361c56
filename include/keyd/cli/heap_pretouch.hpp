#pragma once

#include <cstddef>

namespace keyd::cli {

// Makes `bytes` of heap present in one call before a short command needs them (docs/performance.md,
// "Process start"). Such a command (fetch, rotate, sync, ...) grows the heap by about 600 KiB, most of
// it OpenSSL's algorithm tables when the first TLS context is made, and every new heap page used to
// cost a page fault: about 150 of them, 11 us each inside the virtual machines measured, against about
// 1 us a page asked for at once. glibc's malloc is told to extend the heap by `bytes` at its next
// growth and so to keep that much free at its top (its padding, which a free does not trim); the heap
// is grown once if its free top is smaller, and the free top's pages are made present with
// MADV_POPULATE_WRITE (Linux 5.14; on an older kernel nothing is made present and the pages fault in
// as before). Never for the daemon or the agent: a long-running process keeps only what it uses.
// Returns the size of the free top made present (0 when nothing could be done: another allocator, no
// brk heap, an old kernel).
std::size_t pretouch_heap(std::size_t bytes);

}  // namespace keyd::cli
