/*
 * SBI SRST: reserved reset types and reasons are refused with INVALID_PARAM and return; the
 * program then shuts down with reason "none" through the runtime, so exit status 0 proves that
 * shutdown works (the fail program covers reason "system failure").
 */
#include "guest.h"

int main(void)
{
    struct sbiret r = sbi_call(SBI_EXT_SRST, 0, 0x00000003, 0, 0, 0, 0, 0);
    check("reserved reset type", r.error, (u64)SBI_ERR_INVALID_PARAM);
    r = sbi_call(SBI_EXT_SRST, 0, 0, 0x00000002, 0, 0, 0, 0);
    check("reserved reset reason", r.error, (u64)SBI_ERR_INVALID_PARAM);
    r = sbi_call(SBI_EXT_SRST, 1, 0, 0, 0, 0, 0, 0);
    check("unknown SRST function", r.error, (u64)SBI_ERR_NOT_SUPPORTED);
    return finish("sbi-srst");
}
