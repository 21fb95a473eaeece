/* Real-world C the plain fixtures lack: qualifiers, _Atomic, types completed in another
   compile unit (realc_other.c), a typedef and a tag of one name, same-name statics,
   function-local statics, VLAs, flexible array members, anonymous members, enums with
   negative and 64-bit values. */
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct opaque;                          /* defined only in realc_other.c */
struct opaque *make_opaque(int a, double d);
extern struct opaque *the_opaque;
int other_count(void);

_Atomic int atom = 41;
_Atomic(unsigned long) atom_ul = 7;
atomic_int atom_typedef = 3;
struct counters { _Atomic(unsigned long) hits; volatile int flag; int plain; };
struct counters ctr = {100, 1, 2};
volatile int vflag = 9;
const volatile unsigned cvu = 12;
static int shared_name = 1;             /* another in realc_other.c is 2 */

union value {
    int i;
    struct { short lo, hi; };           /* anonymous struct member */
    float f;
};
union value uv = {.i = 0x00020001};
struct tagged { int kind; union { long l; double d; }; };
struct tagged tg = {1, {.l = -77}};

struct blob { int len; char data[]; };  /* flexible array member */
struct blob *bl;

enum sign { NEG = -3, ZERO = 0, POS = 3 };
enum wide { SMALL = 1, HUGE = 0x7fffffffffffLL, NEGBIG = -0x10000000000LL };
enum sign sg = NEG;
enum wide wd = HUGE;

typedef long both;                      /* a typedef and a struct tag of one name */
struct both { int x, y; };
struct both bo = {5, 6};
both bl_typedef = 44;
typedef long hidden;                    /* a typedef that work()'s local hides */
hidden hidden_global = 5;

static inline int only_inline(int x) { return x + 1000; }
int (*fp_table[2])(int);
int inc(int x) { return x + 1; }
int dec(int x) { return x - 1; }

int sum_restrict(int *restrict a, const int *restrict b, int n) {
    int s = 0;
    for (int i = 0; i < n; i++) s += a[i] + b[i];
    return s;
}

int ticks(void) {
    static int calls = 0;              /* function-local static */
    return ++calls;
}

int work(int n) {
    int vla[n];                        /* variable-length array in the frame */
    for (int i = 0; i < n; i++) vla[i] = i * i;
    int *restrict rp = vla;
    volatile int vlocal = 5;
    _Atomic int alocal = 6;
    struct opaque *op = the_opaque;
    char *nothing = NULL;
    int hidden = 9;                     /* C: an ordinary identifier hides the typedef */
    return hidden - 9 + vla[n - 1] + rp[0] + vlocal + alocal + (op != 0) + (nothing == 0) + shared_name; /* break here */
}

int main(void) {
    fp_table[0] = inc;
    fp_table[1] = dec;
    make_opaque(5, 2.5);
    bl = malloc(sizeof *bl + 4);
    bl->len = 4;
    memcpy(bl->data, "abc", 4);
    ticks();
    ticks();
    int r = work(4) + other_count() + sum_restrict((int[]){1, 2}, (int[]){3, 4}, 2);
    return r == 0;
}
