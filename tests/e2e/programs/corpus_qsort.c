/* The corpus's glibc debuggee: stopped inside glibc's qsort (msort.c), where the
   expressions read glibc's own state: malloc's arenas, stdio, the dynamic linker's
   link maps, errno. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

void *block;                    /* a malloc'd block the expressions inspect */

static int by_value(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

int main(void)
{
    int values[] = {42, 7, 19, 3, 25, 11};
    FILE *missing = fopen("/nonexistent/corpus", "r");     /* errno = ENOENT */
    block = malloc(100);
    qsort(values, sizeof values / sizeof values[0], sizeof values[0], by_value);
    free(block);
    return missing != NULL || values[0] != 3;
}
