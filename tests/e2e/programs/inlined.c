/* Built with -O2: a function that exists only inlined, variables optimized out. */
#include <stdio.h>

static inline int square(int x) { return x * x; }

__attribute__((noinline)) int use(int a, int b) {
    int t = square(a) + b;
    int dead = a * 7;
    printf("%d\n", t); /* break here */
    return t;
}

int main(int argc, char **argv) {
    (void)argv;
    return use(argc + 2, argc) > 100;
}
