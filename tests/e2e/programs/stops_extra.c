/* Loaded by stops.c with dlopen after its second stop. */
int extra_value = 1234;

int extra_twice(int x) { return 2 * x; }
