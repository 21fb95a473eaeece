/* The debuggee of the end-to-end tests: one of everything a C expression can reach. */
#include <stdio.h>
#include <stdint.h>
#include <fcntl.h>
#include <unistd.h>

struct point { int x; double y; };
typedef struct point point_t;
struct node { int value; struct node *next; };
union number { int i; float f; };
enum color { RED, GREEN = 5, BLUE };
struct flags { unsigned a : 3; signed b : 4; unsigned c : 1; };
typedef enum { LOW = 1, HIGH = 9 } level_t;          /* anonymous: LLDB cannot see HIGH */
struct __attribute__((packed)) packed { char c; int i; short s; };

int counter = 41;
static int hidden = 7;
double scale = 2.5;
float ratio = 0.75f;
char letter = 'J';
unsigned char byte = 200;
short small = -12;
unsigned short usmall = 65000;
long big = 1234567890123L;
unsigned long ubig = 18446744073709551615UL;
long long llv = -9000000000LL;
int32_t fixed = -5;
uint64_t ufixed = 1ULL << 40;
const char *greeting = "hello";
int primes[6] = {2, 3, 5, 7, 11, 13};
int grid[2][3] = {{1, 2, 3}, {4, 5, 6}};
struct point origin = {3, 4.5};
point_t points[3] = {{1, 1.5}, {2, 2.5}, {3, 3.5}};
struct node n3 = {30, 0}, n2 = {20, &n3}, n1 = {10, &n2};
struct node *head = &n1;
union number num = {.i = 0x3f800000};
enum color favourite = BLUE;
struct flags fl = {5, -3, 1};
int *null_ptr = 0;
int (*op)(int, int);
char name[16] = "debugger";
level_t level = HIGH;
struct packed pk = {'x', 77, -5};
long double ld = 1.25L;

int add(int a, int b) { return a + b; }
int sub(int a, int b) { return a - b; }
double half(double x) { return x / 2; }
long mul3(long a, long b, long c) { return a * b * c; }
int sum_list(struct node *n) { int s = 0; for (; n; n = n->next) s += n->value; return s; }
const char *pick(int i) { return i ? "yes" : "no"; }
unsigned char low_byte(unsigned x) { return x & 0xff; }
float scalef(float f) { return f * 2; }
static int twice(int x) { return 2 * x; }
struct point mid(struct point a, struct point b) {
    struct point m = {(a.x + b.x) / 2, (a.y + b.y) / 2};
    return m;
}
double len2(point_t p) { return p.x * p.x + p.y * p.y; }
long sum8(int a, int b, int c, int d, int e, int f, int g, int h) {
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8L * h;
}
double mix(int a, double b, float c, long d, double e) { return a + b + c + d + e; }

int compute(int param, double dparam, struct point *pp) {
    int local = param * 2;
    double dlocal = dparam + 0.5;
    point_t lp = {param, dparam};
    int larr[4] = {9, 8, 7, 6};
    char lstr[] = "local";
    int *lptr = &larr[1];
    unsigned short lus = 7;
    return local + (int)dlocal + lp.x + larr[0] + lstr[0] + *lptr + lus + pp->x; /* break here */
}

int main(void) {
    op = sub;
    int r = compute(5, 1.25, &origin);
    printf("%d %d %d %g %g\n", r, hidden, twice(counter), half(scale), scalef(ratio));
    printf("%ld %s %u %d %d\n", mul3(1, 2, 3), pick(1), low_byte(300), sum_list(head), fl.b);
    printf("%d %g %ld %d\n", mid(origin, points[2]).x, len2(origin), sum8(1, 2, 3, 4, 5, 6, 7, 8),
           level + pk.i + (int)ld + (int)mix(1, 2, 3, 4, 5));
    if (counter < 0) {   /* never: links open/read/write/close into static builds */
        char c;
        close(open("/", O_RDONLY) + (int)read(0, &c, 1) + (int)write(1, &c, 0));
    }
    return 0;
}
