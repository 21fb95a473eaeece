/* The second compile unit of realc: completes struct opaque, has its own shared_name. */
#include <stdlib.h>

struct opaque { int a; double d; struct opaque *self; };
struct opaque *the_opaque;
static int shared_name = 2;

struct opaque *make_opaque(int a, double d) {
    the_opaque = malloc(sizeof *the_opaque);
    the_opaque->a = a;
    the_opaque->d = d;
    the_opaque->self = the_opaque;
    return the_opaque;
}

int other_count(void) { return shared_name; }
