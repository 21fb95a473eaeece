/* dlopen of a library with thread-local storage (tls_lib.c, built as ./libtls_lib.so):
   main uses it, so main's block is allocated; the worker never does, so its DTV has
   no block for the library. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

pthread_barrier_t ready, done;

void *worker(void *arg) {
    pthread_barrier_wait(&ready);
    pthread_barrier_wait(&done);
    return arg;
}

int main(void) {
    pthread_t thread;
    pthread_barrier_init(&ready, 0, 2);
    pthread_barrier_init(&done, 0, 2);
    pthread_create(&thread, 0, worker, 0);
    void *lib = dlopen("./libtls_lib.so", RTLD_NOW);
    int *(*address)(void) = lib ? (int *(*)(void))dlsym(lib, "lib_tls_address") : 0;
    int *mine = address ? address() : 0;
    *mine += 1;
    pthread_barrier_wait(&ready);
    printf("main %d\n", *mine); /* break here */
    pthread_barrier_wait(&done);
    pthread_join(thread, 0);
    return 0;
}
