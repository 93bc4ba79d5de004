/* Vertical (bit-sliced) counters: count, for each of the 64 lanes of a word, how many of a
 * stream of words had that lane's bit set.  plane[i] holds bit i of the 64 counts; adding a word
 * ripples its carries up only as far as needed (about two steps on average). */
#ifndef GLASSY_VCOUNT_H
#define GLASSY_VCOUNT_H

#include <stdint.h>

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

#endif
