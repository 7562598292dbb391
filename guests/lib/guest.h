/*
 * Shared runtime for vmtree guest test programs: SBI calls, console, checks, shutdown.
 * S-mode programs (started by vmtree or OpenSBI at 0x80200000) link lib/start-s.S and lib/lib.c;
 * the M-mode program links lib/start-m.S and reports through HTIF tohost instead of SBI.
 */
#ifndef GUEST_H
#define GUEST_H

typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;
typedef int i32;
typedef unsigned short u16;
typedef unsigned char u8;

/* SBI extension ids (SBI spec 2.0). */
#define SBI_EXT_BASE 0x10
#define SBI_EXT_TIME 0x54494D45
#define SBI_EXT_IPI 0x735049
#define SBI_EXT_RFENCE 0x52464E43
#define SBI_EXT_HSM 0x48534D
#define SBI_EXT_SRST 0x53525354
#define SBI_EXT_DBCN 0x4442434E
#define SBI_LEGACY_PUTCHAR 0x01
#define SBI_LEGACY_GETCHAR 0x02

#define SBI_SUCCESS 0
#define SBI_ERR_FAILED (-1)
#define SBI_ERR_NOT_SUPPORTED (-2)
#define SBI_ERR_INVALID_PARAM (-3)
#define SBI_ERR_ALREADY_AVAILABLE (-6)

/* Implementation id of OpenSBI: lets a test accept an older firmware when validated on QEMU. */
#define SBI_IMPL_OPENSBI 1

struct sbiret {
    i64 error;
    i64 value;
};

struct sbiret sbi_call(u64 eid, u64 fid, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
i64 sbi_legacy(u64 eid, u64 a0);
void sbi_shutdown(int failed) __attribute__((noreturn));
int sbi_has(u64 eid);
/*
 * True under an OpenSBI older than SBI 2.0 (QEMU 7.2 ships OpenSBI 1.1, SBI 1.0), where the
 * programs are validated: only then may a test accept a missing SBI 2.0 feature such as DBCN.
 * Under vmtree (any other implementation) every check is strict.
 */
int sbi_peer_firmware(void);

void putchar_sbi(int c);
void puts_sbi(const char *s);
void printf_lite(const char *fmt, ...);
#define printf printf_lite

/* Checks: each failed check prints one "FAIL ..." line; finish() prints the verdict. */
extern int check_failures;
void check(const char *what, u64 got, u64 expected);
void check_true(const char *what, int ok);
int finish(const char *program);

/* Trap frame saved by trap_entry: x1..x31 at regs[1..31], then the trap CSRs. */
struct frame {
    u64 regs[32];
    u64 epc, cause, tval, status;
};
/* Programs install a handler; it returns non-zero when it handled the trap. */
extern int (*trap_hook)(struct frame *f);
void trap_entry(void);

/* lib/user.S: run fn in U-mode until a trap handler sends it back through s_return. */
u64 enter_user(void (*fn)(void), u64 sp, u64 arg0, u64 arg1);
void s_return(void);

#define csr_read(csr) ({ u64 __v; __asm__ volatile("csrr %0, " #csr : "=r"(__v) :: "memory"); __v; })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" :: "rK"((u64)(v)) : "memory")
#define csr_set(csr, v) __asm__ volatile("csrs " #csr ", %0" :: "rK"((u64)(v)) : "memory")
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" :: "rK"((u64)(v)) : "memory")

#define SSTATUS_SIE (1UL << 1)
#define SSTATUS_SPIE (1UL << 5)
#define SSTATUS_SPP (1UL << 8)
#define SSTATUS_SUM (1UL << 18)
#define SSTATUS_MXR (1UL << 19)
#define SIE_SSIE (1UL << 1)
#define SIE_STIE (1UL << 5)
#define INTERRUPT_BIT (1UL << 63)

/* Sv39 page table entry bits. */
#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_G (1UL << 5)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define SATP_SV39 (8UL << 60)

/* Enables Sv39 with one 1 GiB identity page over 0x80000000 (RAM) and returns the root table. */
u64 *enable_identity_sv39(void);

static inline void sfence_vma(void) { __asm__ volatile("sfence.vma" ::: "memory"); }

#endif
