/* The debuggee of `make demo`: globals, a struct behind a pointer, a function to call. */
#include <stdio.h>

struct point {
    int x;
    double y;
};
typedef struct point point_t;

int counter = 41;
double scale = 2.5;
const char *greeting = "hello, jit";
int primes[5] = {2, 3, 5, 7, 11};

int add(int a, int b) { return a + b; }

double norm2(const point_t *p) { return p->x * p->x + p->y * p->y; }

int main(void) {
    int local = 7;
    point_t p = {3, 20.0};
    point_t *pt = &p;
    printf("counter=%d local=%d y=%g\n", counter, local, pt->y); /* break here */
    return add(local, counter) == 48 ? 0 : 1;
}
