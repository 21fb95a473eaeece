/* Loaded by stops.c with dlopen after its second stop. */
typedef short extra_count_t;     /* a type only this library's debug info has */

int extra_value = 1234;
extra_count_t extra_count = 7;

int extra_twice(int x) { return 2 * x; }
