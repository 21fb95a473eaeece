/* The debuggee of tests/e2e/test_caching.py: the same line stopped at again and again
   with other values, a library loaded by dlopen between two of those stops (built
   beside it as libstops_extra.so from stops_extra.c), and locals an -O2 build keeps in
   registers. */
#include <dlfcn.h>
#include <stdio.h>

int counter = 0;
double scale = 1.5;

__attribute__((noinline)) int step(int i, double weight) {
    int local = i * 10;
    double mixed = weight * i;
    counter += 1;
    return local + counter + (int)mixed; /* break here */
}

int main(void) {
    int total = 0;
    for (int i = 0; i < 4; i++) {
        total += step(i, scale);
        if (i == 1 && !dlopen("./libstops_extra.so", RTLD_NOW | RTLD_GLOBAL))
            return 2;
    }
    printf("%d\n", total);
    return 0;
}
