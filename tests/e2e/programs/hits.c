/* A breakpoint in a loop, hit three times: breakpoint callbacks that evaluate. */
#include <stdio.h>

int counter = 41;

int add(int a, int b) { return a + b; }

int step(int i) {
    int local = i * 10;
    return local + 1; /* hit here */
}

int main(void) {
    int s = 0;
    for (int i = 1; i <= 3; i++)
        s += step(i);
    printf("done %d %d\n", s, counter);
    return 0;
}
