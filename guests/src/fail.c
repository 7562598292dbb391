/* A guest that reports failure: SRST shutdown with reason "system failure" (vmtree exit 1). */
#include "guest.h"

int main(void)
{
    puts_sbi("fail: this guest reports a failure on purpose\n");
    return 1;
}
