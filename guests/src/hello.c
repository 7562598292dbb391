/* The smallest guest: greets through the SBI console and shuts down cleanly (vmtree exit 0). */
#include "guest.h"

int main(void)
{
    puts_sbi("Hello from a vmtree guest\n");
    return 0;
}
