/* Vertical (bit-sliced) counters: count, for each of the 64 lanes of a word, how many of a
 * stream of words had that lane's bit set.  plane[i] holds bit i of the 64 counts; adding a word
 * ripples its carries up as long as some lane still carries (about 7 planes for random 64-lane
 * words; VSum8 below adds 16 words at a time, for eight streams at once). */
#ifndef GLASSY_VCOUNT_H
#define GLASSY_VCOUNT_H

#include <stdint.h>
#include <string.h>

#define VCOUNT_PLANES 40 /* counts up to 2^40 */

static inline void VCountAdd(uint64_t *plane, uint64_t m)
{
  for (int i = 0; m; i++) {
    uint64_t carry = plane[i] & m;
    plane[i] ^= m;
    m = carry;
  }
}

/* Add the 64 counts held in plane[] to out[0..63]. */
static inline void VCountExtract(const uint64_t *plane, int64_t *out)
{
  for (int i = 0; i < VCOUNT_PLANES; i++) {
    uint64_t x = plane[i];
    while (x) {
      int b = __builtin_ctzll(x);
      out[b] += (int64_t)1 << i;
      x &= x - 1;
    }
  }
}

/* VSum8: eight vertical counters at once, one per element of a 512-bit vector (GCC vector
 * extensions; callers compiled with GLASSY_CLONES get AVX-512 or AVX2 code), used to count eight
 * configuration slots of a site together.  Words are taken one at a time but added 16 at a time
 * with the Harley-Seal carry-save tree: the running bit planes ones, twos, fours and eights absorb
 * 16 words with 15 carry-save adders, and only their carry (the sixteens) ripples into plane[].
 * That is about 6 operations per word instead of a ripple through 6 or more planes. */
typedef uint64_t VWord __attribute__((vector_size(64), aligned(8))); /* any allocation will do */

/* These helpers are inlined into their callers, so the 64-byte vector ABI warning does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"

/* The counters' own state is 64-byte aligned (allocate arrays of VSum8 with GlassyCallocAligned),
 * so that no access splits a cache line; a VSum8 is a whole number of cache lines. */
typedef uint64_t VWordA __attribute__((vector_size(64)));

typedef struct {
  VWordA plane[VCOUNT_PLANES];
  VWordA ones, twos, fours, eights;
  VWordA buf[16];
  int    n;
} VSum8;

static inline VWord VWordLoad(const uint64_t *p)
{
  VWord v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline void VSum8Zero(VSum8 *s) { memset(s, 0, sizeof *s); }

static inline void VCount8CSA(VWord *h, VWord *l, VWord a, VWord b, VWord c)
{
  const VWord u = a ^ b;
  *h            = (a & b) | (u & c);
  *l            = u ^ c;
}

static inline void VCount8Add(VWord *plane, VWord m)
{
  for (int i = 0;; i++) {
    const VWord carry = plane[i] & m;
    uint64_t    any   = 0;
    plane[i] ^= m;
    m = carry;
    for (int e = 0; e < 8; e++) any |= m[e];
    if (!any) break;
  }
}

static inline void VSum8Block(VSum8 *s)
{
  VWord twosA, twosB, foursA, foursB, eights[2], sixteens;
  for (int h = 0; h < 2; h++) {
    const VWord *d = s->buf + 8 * h;
    VCount8CSA(&twosA, &s->ones, s->ones, d[0], d[1]);
    VCount8CSA(&twosB, &s->ones, s->ones, d[2], d[3]);
    VCount8CSA(&foursA, &s->twos, s->twos, twosA, twosB);
    VCount8CSA(&twosA, &s->ones, s->ones, d[4], d[5]);
    VCount8CSA(&twosB, &s->ones, s->ones, d[6], d[7]);
    VCount8CSA(&foursB, &s->twos, s->twos, twosA, twosB);
    VCount8CSA(&eights[h], &s->fours, s->fours, foursA, foursB);
  }
  VCount8CSA(&sixteens, &s->eights, s->eights, eights[0], eights[1]);
  VCount8Add(s->plane + 4, sixteens);
  s->n = 0;
}

static inline void VSum8Add(VSum8 *s, VWord m)
{
  s->buf[s->n++] = m;
  if (s->n == 16) VSum8Block(s);
}

/* Add element e's 64 counts to out[e][0..63] for e < ne (the sum stays usable). */
static inline void VSum8Extract(const VSum8 *s, int ne, int64_t *const out[8])
{
  for (int e = 0; e < ne; e++) {
    uint64_t plane[VCOUNT_PLANES];
    for (int i = 0; i < VCOUNT_PLANES; i++) plane[i] = s->plane[i][e];
    VCountAdd(plane, s->ones[e]);
    VCountAdd(plane + 1, s->twos[e]);
    VCountAdd(plane + 2, s->fours[e]);
    VCountAdd(plane + 3, s->eights[e]);
    for (int i = 0; i < s->n; i++) VCountAdd(plane, s->buf[i][e]);
    VCountExtract(plane, out[e]);
  }
}

#endif
