/*
 * SBI DBCN (debug console, SBI 2.0): write from a physical buffer returns the byte count,
 * write_byte, read into a buffer returns how many bytes it got (none pending is fine), and a
 * buffer outside RAM is refused with INVALID_PARAM.
 */
#include "guest.h"

#define DBCN(fid, a0, a1, a2) sbi_call(SBI_EXT_DBCN, fid, a0, a1, a2, 0, 0, 0)

static const char message[] = "sbi-dbcn: write works\n";
static char input[16];

int main(void)
{
    if (!sbi_has(SBI_EXT_DBCN)) {
        if (sbi_peer_firmware()) {
            printf("sbi-dbcn: SKIP firmware older than SBI 2.0 has no DBCN\nsbi-dbcn: PASS\n");
            return 0;
        }
        printf("FAIL DBCN missing\n");
        return 1;
    }
    u64 len = sizeof message - 1;
    struct sbiret r = DBCN(0, len, (u64)message, 0);
    check("write error", r.error, 0);
    check("write count", r.value, len);
    r = DBCN(2, 'o', 0, 0);
    check("write_byte error", r.error, 0);
    DBCN(2, 'k', 0, 0);
    DBCN(2, '\n', 0, 0);
    r = DBCN(1, sizeof input, (u64)input, 0);
    check("read error", r.error, 0);
    check_true("read count within buffer", r.value >= 0 && (u64)r.value <= sizeof input);
    r = DBCN(0, 4, 0x1000, 0);          /* 0x1000 is not RAM */
    check("write outside RAM", r.error, (u64)SBI_ERR_INVALID_PARAM);
    return finish("sbi-dbcn");
}
