/* A header of the macros fixture: its macros are in scope after the #include. */
#ifndef MACROS_H
#define MACROS_H

#define HDR_LIMIT 64
#define HDR_SCALE(x) ((x) * HDR_LIMIT)

struct pair { int a, b; };

#endif
