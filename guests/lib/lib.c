/*
 * Console, checks and SBI plumbing shared by the S-mode guest programs. Single-threaded except
 * where a program says otherwise: secondary harts must not print.
 */
#include <stdarg.h>
#include "guest.h"

int check_failures;
int (*trap_hook)(struct frame *f);

struct sbiret sbi_call(u64 eid, u64 fid, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
    register u64 r0 __asm__("a0") = a0;
    register u64 r1 __asm__("a1") = a1;
    register u64 r2 __asm__("a2") = a2;
    register u64 r3 __asm__("a3") = a3;
    register u64 r4 __asm__("a4") = a4;
    register u64 r5 __asm__("a5") = a5;
    register u64 r6 __asm__("a6") = fid;
    register u64 r7 __asm__("a7") = eid;
    __asm__ volatile("ecall"
                     : "+r"(r0), "+r"(r1)
                     : "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r6), "r"(r7)
                     : "memory");
    return (struct sbiret){(i64)r0, (i64)r1};
}

i64 sbi_legacy(u64 eid, u64 a0)
{
    register u64 r0 __asm__("a0") = a0;
    register u64 r7 __asm__("a7") = eid;
    __asm__ volatile("ecall" : "+r"(r0) : "r"(r7) : "a1", "memory");
    return (i64)r0;
}

int sbi_has(u64 eid)
{
    struct sbiret r = sbi_call(SBI_EXT_BASE, 3, eid, 0, 0, 0, 0, 0);
    return r.error == 0 && r.value != 0;
}

void sbi_shutdown(int failed)
{
    sbi_call(SBI_EXT_SRST, 0, 0, failed ? 1 : 0, 0, 0, 0, 0);
    /* Only reached when SRST is missing or refused: legacy shutdown, then spin. */
    sbi_legacy(0x08, 0);
    for (;;)
        __asm__ volatile("wfi");
}

int sbi_peer_firmware(void)
{
    struct sbiret impl = sbi_call(SBI_EXT_BASE, 1, 0, 0, 0, 0, 0, 0);
    struct sbiret spec = sbi_call(SBI_EXT_BASE, 0, 0, 0, 0, 0, 0, 0);
    return impl.value == SBI_IMPL_OPENSBI && spec.value < 0x2000000;
}

/* 0 = not probed yet, 1 = DBCN present, 2 = legacy console only. */
static int console_kind;

void putchar_sbi(int c)
{
    if (console_kind == 0)
        console_kind = sbi_has(SBI_EXT_DBCN) ? 1 : 2;
    if (console_kind == 1)
        sbi_call(SBI_EXT_DBCN, 2, (u8)c, 0, 0, 0, 0, 0);
    else
        sbi_legacy(SBI_LEGACY_PUTCHAR, (u8)c);
}

void puts_sbi(const char *s)
{
    while (*s)
        putchar_sbi(*s++);
}

static void print_unsigned(u64 v, unsigned base, int width, char pad)
{
    char buf[24];
    int n = 0;
    do {
        unsigned d = v % base;
        buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v != 0);
    while (n < width--)
        putchar_sbi(pad);
    while (n > 0)
        putchar_sbi(buf[--n]);
}

/* Supports %s %c %d %u %x with optional l/ll and zero-padded width, e.g. %016lx. */
void printf_lite(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            putchar_sbi(*fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        int longs = 0;
        while (*fmt == 'l') {
            longs++;
            fmt++;
        }
        switch (*fmt) {
        case 's': puts_sbi(va_arg(ap, const char *)); break;
        case 'c': putchar_sbi(va_arg(ap, int)); break;
        case 'd': {
            i64 v = longs ? va_arg(ap, i64) : va_arg(ap, int);
            if (v < 0) {
                putchar_sbi('-');
                v = -v;
            }
            print_unsigned((u64)v, 10, width, pad);
            break;
        }
        case 'u': print_unsigned(longs ? va_arg(ap, u64) : va_arg(ap, unsigned), 10, width, pad); break;
        case 'x': print_unsigned(longs ? va_arg(ap, u64) : va_arg(ap, unsigned), 16, width, pad); break;
        case '%': putchar_sbi('%'); break;
        default: putchar_sbi('?'); break;
        }
    }
    va_end(ap);
}

void check(const char *what, u64 got, u64 expected)
{
    if (got != expected) {
        check_failures++;
        printf("FAIL %s: got 0x%lx expected 0x%lx\n", what, got, expected);
    }
}

void check_true(const char *what, int ok)
{
    if (!ok) {
        check_failures++;
        printf("FAIL %s\n", what);
    }
}

int finish(const char *program)
{
    if (check_failures == 0)
        printf("%s: PASS\n", program);
    else
        printf("%s: FAIL (%d checks)\n", program, check_failures);
    return check_failures != 0;
}

/* Called by trap_entry; a trap no program expects is a failure of the whole run. */
void trap_dispatch(struct frame *f)
{
    if (trap_hook && trap_hook(f))
        return;
    printf("FAIL unexpected trap scause=0x%lx sepc=0x%lx stval=0x%lx\n", f->cause, f->epc, f->tval);
    sbi_shutdown(1);
}

static u64 identity_root[512] __attribute__((aligned(4096)));

u64 *enable_identity_sv39(void)
{
    identity_root[2] = ((0x80000000UL >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D;
    sfence_vma();
    csr_write(satp, SATP_SV39 | ((u64)identity_root >> 12));
    sfence_vma();
    return identity_root;
}
