/*
 * Hostile SBI arguments (trust boundary: a guest may only hurt itself). Every call below must
 * come back with the error the SBI 2.0 spec names, never crash or stop the hypervisor: buffers
 * that wrap around or lie outside RAM, hart ids and hart masks that do not exist, unknown ids.
 */
#include "guest.h"

#define ERR(x) ((u64)(i64)(x))
#define SBI_ERR_INVALID_ADDRESS (-5)

static int strict;

/* Under the peer firmware (QEMU's OpenSBI 1.1) only "some error" is required, not the 2.0 code. */
static void check_error(const char *what, struct sbiret r, i64 expected)
{
    if (strict)
        check(what, ERR(r.error), ERR(expected));
    else
        check_true(what, r.error < 0);
}

int main(u64 hartid)
{
    strict = !sbi_peer_firmware();
    char buf[16];
    u64 ram = (u64)buf;

    if (sbi_has(SBI_EXT_DBCN)) {
        check_error("dbcn write length ~0", sbi_call(SBI_EXT_DBCN, 0, ~0UL, ram, 0, 0, 0, 0), SBI_ERR_INVALID_PARAM);
        check_error("dbcn write wrapping", sbi_call(SBI_EXT_DBCN, 0, 64, ~0UL - 7, ~0UL, 0, 0, 0), SBI_ERR_INVALID_PARAM);
        check_error("dbcn write high half", sbi_call(SBI_EXT_DBCN, 0, 4, ram, 1, 0, 0, 0), SBI_ERR_INVALID_PARAM);
        check_error("dbcn read outside RAM", sbi_call(SBI_EXT_DBCN, 1, 16, 0x1000, 0, 0, 0, 0), SBI_ERR_INVALID_PARAM);
        check_error("dbcn read past end of RAM", sbi_call(SBI_EXT_DBCN, 1, 1UL << 40, ram, 0, 0, 0, 0),
                    SBI_ERR_INVALID_PARAM);
    }
    check_error("hart_start of hart ~0", sbi_call(SBI_EXT_HSM, 0, ~0UL, ram, 0, 0, 0, 0), SBI_ERR_INVALID_PARAM);
    check_error("hart_start of hart 100000", sbi_call(SBI_EXT_HSM, 0, 100000, ram, 0, 0, 0, 0), SBI_ERR_INVALID_PARAM);
    check_error("hart_get_status of hart ~0", sbi_call(SBI_EXT_HSM, 2, ~0UL, 0, 0, 0, 0, 0), SBI_ERR_INVALID_PARAM);
    check_error("send_ipi to a missing hart", sbi_call(SBI_EXT_IPI, 0, 1, 100000, 0, 0, 0, 0), SBI_ERR_INVALID_PARAM);
    check_error("send_ipi base near 2^64", sbi_call(SBI_EXT_IPI, 0, ~0UL, ~0UL - 3, 0, 0, 0, 0), SBI_ERR_INVALID_PARAM);
    check_error("remote_fence_i to a missing hart", sbi_call(SBI_EXT_RFENCE, 0, 1, 100000, 0, 0, 0, 0),
                SBI_ERR_INVALID_PARAM);
    check_error("remote_sfence_vma to a missing hart",
                sbi_call(SBI_EXT_RFENCE, 1, 1, 100000, 0, ~0UL, 0, 0), SBI_ERR_INVALID_PARAM);
    check("unknown function of HSM", ERR(sbi_call(SBI_EXT_HSM, ~0UL, 0, 0, 0, 0, 0, 0).error), ERR(SBI_ERR_NOT_SUPPORTED));
    check("unknown extension ~0", ERR(sbi_call(~0UL, ~0UL, 0, 0, 0, 0, 0, 0).error), ERR(SBI_ERR_NOT_SUPPORTED));
    check("probe extension ~0", sbi_call(SBI_EXT_BASE, 3, ~0UL, 0, 0, 0, 0, 0).value, 0);
    /* Still in good shape: the valid calls work afterwards. */
    check("send_ipi to self still works", ERR(sbi_call(SBI_EXT_IPI, 0, 1UL << hartid, 0, 0, 0, 0, 0).error), 0);
    csr_clear(sip, SIE_SSIE);
    return finish("sbi-hostile");
}
