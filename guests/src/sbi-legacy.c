/* SBI v0.1 legacy console: putchar (EID 0x01) returns 0, getchar (EID 0x02) a byte or -1. */
#include "guest.h"

int main(void)
{
    const char *s = "sbi-legacy: putchar works\n";
    i64 worst = 0;
    for (; *s; s++) {
        i64 r = sbi_legacy(SBI_LEGACY_PUTCHAR, (u8)*s);
        if (r != 0)
            worst = r;
    }
    check("legacy putchar returns 0", worst, 0);
    i64 c = sbi_legacy(SBI_LEGACY_GETCHAR, 0);
    check_true("legacy getchar is a byte or -1", c == -1 || (c >= 0 && c <= 255));
    return finish("sbi-legacy");
}
