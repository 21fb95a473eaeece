/* For the interpreter's tests: memory the debugger can read and the program cannot. */
#include <stdio.h>
#include <sys/mman.h>

int counter = 42;
int table[8] = {1, 2, 3, 4, 5, 6, 7, 8};
int *guard;           /* a PROT_NONE page: ptrace reads it, a load faults */
struct node { int value; struct node *next; } n2 = {3, 0}, n1 = {2, &n2}, *head = &n1;
double ratio = 0.75;

int main(void) {
    guard = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    guard[0] = 1234;
    mprotect(guard, 4096, PROT_NONE);
    int local = 7;
    printf("%d\n", counter + local + head->value); /* break here */
    return 0;
}
