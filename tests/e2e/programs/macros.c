/* Macros for jit-eval to expand, as gdb's `print` does: built with -g3. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include "macros.h"

#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))
#define FLAG_READY 0x1
#define FLAG_DIRTY 0x2
#define FLAG_ALL (FLAG_READY | FLAG_DIRTY)
#define STR(x) #x
#define XSTR(x) STR(x)
#define CAT(a, b) a##b
#define FIELD(p, n) ((p)->CAT(field_, n))
#define SUM(...) sum_ints(__VA_ARGS__, -1)
#define COUNT_ARGS(...) (sizeof((int[]){__VA_ARGS__}) / sizeof(int))
#define TWICE(f, x) f(f(x))
#define SQUARE(x) ((x) * (x))
#define MODE 1

struct fields { int field_a, field_b; };

int values[10] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
struct fields fs = {11, 22};
struct pair hp = {5, 6};
int SELF = 100;
#define SELF (SELF + 1)   /* not expanded again inside itself */
int counter = 7;

int sum_ints(int first, ...);

int sum_ints(int first, ...)
{
    return first;
}

int first_stop(int a, int b)
{
    int flags = FLAG_READY;
    struct fields *pf = &fs;
    errno = 0;
    return a + b + flags + pf->field_a;   /* break here first */
}

#undef MODE
#define MODE 2
#undef SQUARE

int second_stop(int x)
{
    int local = x * MODE;
    return local;   /* break here second */
}

int main(void)
{
    int r = first_stop(3, 4);
    r += second_stop(5);
    printf("%d\n", r);
    return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
