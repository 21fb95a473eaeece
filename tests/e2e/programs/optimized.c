/* Built with -O2: `acc` lives in a register at the breakpoint, not in memory. */
#include <stdio.h>

__attribute__((noinline)) void sink(int v) { __asm__ volatile("" : : "r"(v)); }

__attribute__((noinline)) int work(int n) {
    int acc = n * 3;
    sink(acc); /* break here */
    return acc + 1;
}

int main(int argc, char **argv) {
    (void)argv;
    printf("%d\n", work(argc + 4));
    return 0;
}
