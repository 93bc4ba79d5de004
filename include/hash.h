/* Order-independent checksums: the checksum of an array is the sum (mod 2^64) of a hash of each
 * element's global index and bits, so ranks can add their parts in any order and the result does
 * not depend on how the array is distributed. */
#ifndef GLASSY_HASH_H
#define GLASSY_HASH_H

#include <stdint.h>
#include <string.h>

static inline uint64_t HashMix(uint64_t x)
{
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

/* One multiply-xorshift round over (bits, index): cheap enough to checksum a checkpoint at memory
 * speed, and any change of one element changes the sum. */
static inline uint64_t HashElement(uint64_t index, uint64_t bits)
{
  uint64_t x = bits + (index + 1) * 0x9e3779b97f4a7c15ULL;
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 29;
  return x;
}

static inline uint64_t HashDouble(uint64_t index, double v)
{
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  return HashElement(index, bits);
}

#endif
