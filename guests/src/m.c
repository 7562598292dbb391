/*
 * M extension: mul/mulh/mulhsu/mulhu/mulw and every divide/remainder, including division by zero
 * (quotient all ones, remainder the dividend) and signed overflow (MIN / -1 = MIN, remainder 0),
 * against known-answer tables from tools/gen-vectors.py.
 */
#include "guest.h"

#define T_RR(op, a, b, exp) do { \
        u64 r; \
        __asm__ volatile(op " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); \
        check(op " " #a " " #b, r, exp); \
    } while (0);

int main(void)
{
#include "vectors-m.h"
    return finish("m");
}
