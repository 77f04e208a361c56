// The entry point of the release binary (a static position-independent executable on x86-64; linked
// with -Wl,-e,keyd_static_pie_start by cmake/Portable.cmake, never in the other presets).
//
// A static-pie program relocates itself: glibc's start code writes every pointer of the writable
// segment (.data.rel.ro: vtables, OpenSSL's object and algorithm tables, ...; about 120 pages) once,
// one page fault per page. Page faults are what a short command's start is made of (`keyd version`
// ran about 240 of them, the loader's relocations half), and where they are expensive — inside virtual
// machines, about 11 us each on the machines this is measured on, against about 1 us per page asked
// for in one madvise call — they are most of the time. So before glibc's _start runs, this asks the
// kernel to make the writable segment and .bss present and private in one call
// (MADV_POPULATE_WRITE, Linux 5.14). On an older kernel, or on any error, the call fails and
// nothing changes: the pages fault in one by one, as without it. Address-space randomisation is
// unaffected (the program is still position-independent). docs/performance.md has the numbers.
//
// Only registers the call uses are touched, and %rdx (the function the kernel may pass for atexit,
// zero for a static program) is restored before jumping to _start; the stack is not touched, so
// _start sees exactly the state the kernel left. The addresses are PC-relative, so nothing here
// needs relocating.
#if defined(__x86_64__) && defined(__linux__)
asm(R"(
        .text
        .globl  keyd_static_pie_start
        .type   keyd_static_pie_start, @function
keyd_static_pie_start:
        mov     %rdx, %r12              # kept across the call
        lea     __init_array_start(%rip), %rdi
        and     $-4096, %rdi
        lea     _end(%rip), %rsi
        sub     %rdi, %rsi
        mov     $23, %edx               # MADV_POPULATE_WRITE
        mov     $28, %eax               # SYS_madvise
        syscall
        mov     %r12, %rdx
        jmp     _start
        .size   keyd_static_pie_start, .-keyd_static_pie_start
)");
#endif
