/* A debuggee for what can go wrong while an expression runs: crashes, aborts,
   division by zero, endless loops, a lock held by another thread, exit. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
volatile int ready = 0;
volatile int release_lock = 0;
int zero = 0;
int *nowhere = 0;
int data[8] = {1, 2, 3, 4, 5, 6, 7, 8};

int spin(void) { for (;;) { } }
int deep_crash(int *p) { return *p + 1; }
int crash_via(int *p) { return deep_crash(p) * 2; }
int divide(int a, int b) { return a / b; }
int give_up(void) { abort(); }
int sum_data(void) { int s = 0; for (int i = 0; i < 8; i++) s += data[i]; return s; }

int locked_value(void) {
    pthread_mutex_lock(&lock);
    int v = 42;
    pthread_mutex_unlock(&lock);
    return v;
}

void *holder(void *arg) {
    pthread_mutex_lock(&lock);
    ready = 1;
    while (!release_lock)
        usleep(1000);
    pthread_mutex_unlock(&lock);
    return arg;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, 0, holder, 0);
    while (!ready)
        usleep(1000);
    int local = 5;
    printf("ready %d\n", local); /* break here */
    release_lock = 1;
    pthread_join(t, 0);
    printf("sum %d\n", sum_data());
    return 0;
}
