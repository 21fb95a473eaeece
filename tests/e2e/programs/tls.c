/* Thread-local variables: the executable's own (an int, an array, a struct, a static
   one, one in .tbss, one static in main) and glibc's errno, each with a different value
   in each of three threads. main stops at "break here" while both workers wait at a
   barrier, their values set (thread 2 is worker 1, thread 3 worker 2). Worker 2 stops at
   "break in worker" (the thread that stops is the one to evaluate in under qemu-user,
   which cannot hold the other threads). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct pair {
    int a;
    double b;
    char tag[4];
};

_Thread_local int tls_counter = 7;
__thread long tls_array[4] = {1, 2, 3, 4};
_Thread_local struct pair tls_pair = {1, 2.5, "abc"};
static _Thread_local int tls_hidden = 3;
_Thread_local int tls_zero;              /* .tbss */
__thread int *tls_ptr;
int plain_global = 5;
volatile int reached;

pthread_barrier_t ready, done;

int bump(int by) { tls_counter += by; return tls_counter; }

void *worker(void *arg) {
    int id = (int)(long)arg;
    tls_counter = 100 * id;
    tls_array[1] = 10 * id;
    tls_pair.a = -id;
    tls_pair.tag[0] = 'a' + id;
    tls_hidden = 30 + id;
    tls_zero = id;
    tls_ptr = &tls_counter;
    if (id == 1)
        close(-1);                                   /* errno = EBADF (9) */
    else
        strtol("99999999999999999999999", 0, 10);    /* errno = ERANGE (34) */
    pthread_barrier_wait(&ready);
    if (id == 2) {
        reached = id;                                /* break in worker */
    }
    pthread_barrier_wait(&done);
    return 0;
}

int main(void) {
    static _Thread_local int tls_in_main = 11;
    pthread_t threads[2];
    pthread_barrier_init(&ready, 0, 3);
    pthread_barrier_init(&done, 0, 3);
    for (long id = 1; id <= 2; id++)
        pthread_create(&threads[id - 1], 0, worker, (void *)id);
    pthread_barrier_wait(&ready);
    int fd = open("/nonexistent/tls", O_RDONLY);     /* errno = ENOENT (2) */
    printf("main %d %d %d\n", fd, tls_counter, tls_in_main); /* break here */
    pthread_barrier_wait(&done);
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], 0);
    printf("after %d %d\n", tls_counter, errno);
    return 0;
}
