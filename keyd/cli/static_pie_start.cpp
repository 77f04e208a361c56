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
// Then, unless an argument is "daemon" or "agent", it maps the hot code (.text.keyd_hot, between the
// symbols cmake/hot-text.ld defines) and .rodata (up to the unwind tables) with
// MADV_POPULATE_READ. The kernel maps code 64 KiB around each page first used, one fault each (about
// 15 us here), and most of them come before main: static initialisers all over the binary. Mapping
// 5.1 MiB from the page cache in two calls takes about 0.25 ms and reads or copies nothing. The daemon
// and the agent run on, and mapped pages count in their VmRSS (what a container's limit sees): they
// keep only the pages they use. A command line that merely contains one of the two words (a value
// of an option) misses the head start, nothing else.
//
// Only registers the calls use are touched, and %rdx (the function the kernel may pass for atexit,
// zero for a static program) is restored before jumping to _start; the stack is not touched, so
// _start sees exactly the state the kernel left. The addresses are PC-relative, so nothing here
// needs relocating.
#if defined(__x86_64__) && defined(__linux__)
asm(R"(
        # Jumps to \match when the NUL-terminated strings at %rdi and %rsi are equal; byte by byte,
        # never reading past either string's end. Uses %rax, %r9, %r10.
        .macro jump_if_equal match
        mov     %rdi, %r9
        mov     %rsi, %r10
1:      movzbl  (%r9), %eax
        cmpb    %al, (%r10)
        jne     2f
        test    %al, %al
        jz      \match
        inc     %r9
        inc     %r10
        jmp     1b
2:
        .endm

        .text
        .globl  keyd_static_pie_start
        .type   keyd_static_pie_start, @function
keyd_static_pie_start:
        mov     %rdx, %r12              # kept across the calls
        lea     __init_array_start(%rip), %rdi
        and     $-4096, %rdi
        lea     _end(%rip), %rsi
        sub     %rdi, %rsi
        mov     $23, %edx               # MADV_POPULATE_WRITE
        mov     $28, %eax               # SYS_madvise
        syscall

        # Is any argument "daemon" or "agent"? Then no code is mapped ahead.
        mov     (%rsp), %rcx            # argc
        lea     16(%rsp), %r8           # &argv[1]
.Lnext_argument:
        dec     %rcx
        jle     .Lmap_code
        mov     (%r8), %rsi
        add     $8, %r8
        lea     .Ldaemon(%rip), %rdi
        jump_if_equal .Lstart_glibc
        lea     .Lagent(%rip), %rdi
        jump_if_equal .Lstart_glibc
        jmp     .Lnext_argument

.Lmap_code:
        lea     __keyd_hot_start(%rip), %rdi
        and     $-4096, %rdi
        lea     __keyd_hot_end(%rip), %rsi
        sub     %rdi, %rsi
        mov     $22, %edx               # MADV_POPULATE_READ
        mov     $28, %eax
        syscall
        lea     etext(%rip), %rdi       # .rodata: from the page after the code to the unwind
        add     $4095, %rdi             # tables (.eh_frame_hdr, .eh_frame), used only by a throw
        and     $-4096, %rdi
        lea     __GNU_EH_FRAME_HDR(%rip), %rsi
        sub     %rdi, %rsi
        jbe     .Lstart_glibc
        mov     $22, %edx
        mov     $28, %eax
        syscall

.Lstart_glibc:
        mov     %r12, %rdx
        jmp     _start
        .size   keyd_static_pie_start, .-keyd_static_pie_start

        .pushsection .rodata
.Ldaemon: .string "daemon"
.Lagent:  .string "agent"
        .popsection
)");
#endif
