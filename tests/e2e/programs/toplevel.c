/* A debuggee for `jit-eval --top-level`: functions that call through pointers the
   expression gives them, so the program's own code runs the functions defined. */
#include <stdio.h>

int base = 10;
int (*hook)(int);

int add(int a, int b) { return a + b; }
int apply(int (*f)(int), int x) { return f(x); }
int call_hook(int x) { return hook ? hook(x) : -1; }

int work(int n) {
    int local = n * 3;
    return local + call_hook(n); /* break here */
}

int main(void) {
    printf("work: %d\n", work(4));
    printf("apply: %d\n", apply(call_hook, 2));
    return 0;
}
