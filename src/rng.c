/* Many Philox4x32-10 draws at once (see rng.h), written so that the compiler vectorises them
 * across draws: the same rounds as Random123's philox4x32, lane by lane, checked against it in
 * tests/test_kernels.c. */
#include "rng.h"

enum { RNG_LANES = 16 };

__attribute__((target_clones("avx512f", "avx2", "default"), optimize("tree-vectorize"))) static void DrawLanes(const uint32_t *restrict k0, const uint32_t *restrict k1, const uint32_t *restrict c0, const uint32_t *restrict c2, uint32_t c1, uint32_t c3, uint32_t *restrict out)
{
  uint32_t x0[RNG_LANES], x1[RNG_LANES], x2[RNG_LANES], x3[RNG_LANES], y0[RNG_LANES], y1[RNG_LANES];
  for (int l = 0; l < RNG_LANES; l++) {
    x0[l] = c0[l];
    x1[l] = c1;
    x2[l] = c2[l];
    x3[l] = c3;
    y0[l] = k0[l];
    y1[l] = k1[l];
  }
  for (int round = 0; round < 10; round++) {
    for (int l = 0; l < RNG_LANES; l++) {
      const uint64_t p0 = (uint64_t)PHILOX_M4x32_0 * x0[l], p1 = (uint64_t)PHILOX_M4x32_1 * x2[l];
      const uint32_t n0 = (uint32_t)(p1 >> 32) ^ x1[l] ^ y0[l], n2 = (uint32_t)(p0 >> 32) ^ x3[l] ^ y1[l];
      x1[l] = (uint32_t)p1;
      x3[l] = (uint32_t)p0;
      x0[l] = n0;
      x2[l] = n2;
      y0[l] += PHILOX_W32_0;
      y1[l] += PHILOX_W32_1;
    }
  }
  for (int l = 0; l < RNG_LANES; l++) {
    out[4 * l]     = x0[l];
    out[4 * l + 1] = x1[l];
    out[4 * l + 2] = x2[l];
    out[4 * l + 3] = x3[l];
  }
}

void RngDrawMany(int n, const uint32_t *k0, const uint32_t *k1, const uint32_t *c0, const uint32_t *c2, uint32_t c1, uint32_t purpose, uint32_t round, uint32_t *out)
{
  const uint32_t c3 = (purpose << 24) | round;
  int            d  = 0;
  for (; d + RNG_LANES <= n; d += RNG_LANES) DrawLanes(k0 + d, k1 + d, c0 + d, c2 + d, c1, c3, out + 4 * d);
  for (; d < n; d++) {
    const RngKey           key = {{k0[d], k1[d]}};
    const philox4x32_ctr_t r   = RngDraw(key, c0[d], c1, c2[d], purpose, round);
    for (int k = 0; k < 4; k++) out[4 * d + k] = r.v[k];
  }
}
