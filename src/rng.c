/* Many Philox4x32-10 draws at once (see rng.h): 16 draws per pass, in portable code that the
 * compiler vectorises and, where the CPU has it, in AVX-512, which does each 32x32->64-bit product
 * with one vpmuludq (the compiler emulates a full 64-bit product instead).  The same rounds as
 * Random123's philox4x32, lane by lane; tests/test_kernels.c checks both paths against it. */
#include "rng.h"

enum { RNG_LANES = 16 };

__attribute__((optimize("tree-vectorize"))) void RngDraw16Portable(const uint32_t key[2][16], const uint32_t ctr[4][16], uint32_t out[64])
{
  uint32_t x0[RNG_LANES], x1[RNG_LANES], x2[RNG_LANES], x3[RNG_LANES], y0[RNG_LANES], y1[RNG_LANES];
  for (int l = 0; l < RNG_LANES; l++) {
    x0[l] = ctr[0][l];
    x1[l] = ctr[1][l];
    x2[l] = ctr[2][l];
    x3[l] = ctr[3][l];
    y0[l] = key[0][l];
    y1[l] = key[1][l];
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

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* lo and hi halves of the 32x32-bit products of the 16 lanes of x with m. */
__attribute__((target("avx512f"))) static inline void MulHiLo(__m512i x, __m512i m, __m512i *lo, __m512i *hi)
{
  const __m512i even = _mm512_mul_epu32(x, m), odd = _mm512_mul_epu32(_mm512_srli_epi64(x, 32), m);
  *lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  *hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}

__attribute__((target("avx512f"))) static void Draw16Avx512(const uint32_t key[2][16], const uint32_t ctr[4][16], uint32_t out[64])
{
  const __m512i m0 = _mm512_set1_epi32((int)PHILOX_M4x32_0), m1 = _mm512_set1_epi32((int)PHILOX_M4x32_1);
  const __m512i w0 = _mm512_set1_epi32((int)PHILOX_W32_0), w1 = _mm512_set1_epi32((int)PHILOX_W32_1);
  __m512i       x0 = _mm512_loadu_si512(ctr[0]), x1 = _mm512_loadu_si512(ctr[1]);
  __m512i       x2 = _mm512_loadu_si512(ctr[2]), x3 = _mm512_loadu_si512(ctr[3]);
  __m512i       y0 = _mm512_loadu_si512(key[0]), y1 = _mm512_loadu_si512(key[1]);
  for (int round = 0; round < 10; round++) {
    __m512i lo0, hi0, lo1, hi1;
    MulHiLo(x0, m0, &lo0, &hi0);
    MulHiLo(x2, m1, &lo1, &hi1);
    const __m512i n0 = _mm512_ternarylogic_epi32(hi1, x1, y0, 0x96);
    const __m512i n2 = _mm512_ternarylogic_epi32(hi0, x3, y1, 0x96);
    x1 = lo1;
    x3 = lo0;
    x0 = n0;
    x2 = n2;
    y0 = _mm512_add_epi32(y0, w0);
    y1 = _mm512_add_epi32(y1, w1);
  }
  /* transpose 4 x 16 into 16 x 4: out[4l + i] = x_i[l] */
  const __m512i a = _mm512_unpacklo_epi32(x0, x1), b = _mm512_unpackhi_epi32(x0, x1);
  const __m512i c = _mm512_unpacklo_epi32(x2, x3), d = _mm512_unpackhi_epi32(x2, x3);
  const __m512i r0 = _mm512_unpacklo_epi64(a, c), r1 = _mm512_unpackhi_epi64(a, c);
  const __m512i r2 = _mm512_unpacklo_epi64(b, d), r3 = _mm512_unpackhi_epi64(b, d);
  /* r0 holds lanes 0,4,8,12 (one per 128-bit block), r1 lanes 1,5,9,13, r2 2,6,10,14, r3 3,7,11,15 */
  const __m512i t0 = _mm512_shuffle_i64x2(r0, r1, 0x44), t1 = _mm512_shuffle_i64x2(r2, r3, 0x44);
  const __m512i t2 = _mm512_shuffle_i64x2(r0, r1, 0xEE), t3 = _mm512_shuffle_i64x2(r2, r3, 0xEE);
  _mm512_storeu_si512(out, _mm512_shuffle_i64x2(t0, t1, 0x88));
  _mm512_storeu_si512(out + 16, _mm512_shuffle_i64x2(t0, t1, 0xDD));
  _mm512_storeu_si512(out + 32, _mm512_shuffle_i64x2(t2, t3, 0x88));
  _mm512_storeu_si512(out + 48, _mm512_shuffle_i64x2(t2, t3, 0xDD));
}
#endif

void RngDraw16(const uint32_t key[2][16], const uint32_t ctr[4][16], uint32_t out[64])
{
#if defined(__x86_64__) && defined(__GNUC__)
  static int avx512 = -1; /* -1: not yet probed */
  if (avx512 < 0) avx512 = __builtin_cpu_supports("avx512f");
  if (avx512) {
    Draw16Avx512(key, ctr, out);
    return;
  }
#endif
  RngDraw16Portable(key, ctr, out);
}

void RngDrawMany(int n, const uint32_t *k0, const uint32_t *k1, const uint32_t *c0, const uint32_t *c2, uint32_t c1, uint32_t purpose, uint32_t round, uint32_t *out)
{
  uint32_t key[2][16], ctr[4][16];
  int      d = 0;
  for (; d + RNG_LANES <= n; d += RNG_LANES) {
    for (int l = 0; l < RNG_LANES; l++) {
      key[0][l] = k0[d + l];
      key[1][l] = k1[d + l];
      ctr[0][l] = c0[d + l];
      ctr[1][l] = c1;
      ctr[2][l] = c2[d + l];
      ctr[3][l] = (purpose << 24) | round;
    }
    RngDraw16((const uint32_t(*)[16])key, (const uint32_t(*)[16])ctr, out + 4 * d);
  }
  for (; d < n; d++) {
    const RngKey           k = {{k0[d], k1[d]}};
    const philox4x32_ctr_t r = RngDraw(k, c0[d], c1, c2[d], purpose, round);
    for (int i = 0; i < 4; i++) out[4 * d + i] = r.v[i];
  }
}

/* The wrappers below share one key across the 16 lanes. */
static void KeyLanes(RngKey k, uint32_t key[2][16])
{
  for (int l = 0; l < RNG_LANES; l++) {
    key[0][l] = k.v[0];
    key[1][l] = k.v[1];
  }
}

void RngDrawRounds16(RngKey key, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t purpose, uint32_t first_round, uint32_t out[64])
{
  uint32_t k[2][16], ctr[4][16];
  KeyLanes(key, k);
  for (int l = 0; l < RNG_LANES; l++) {
    ctr[0][l] = c0;
    ctr[1][l] = c1;
    ctr[2][l] = c2;
    ctr[3][l] = (purpose << 24) | (first_round + (uint32_t)l);
  }
  RngDraw16((const uint32_t(*)[16])k, (const uint32_t(*)[16])ctr, out);
}

void RngDrawSites16(RngKey key, const uint32_t c0[16], uint32_t c1, uint32_t c2, uint32_t purpose, uint32_t round, uint32_t out[64])
{
  uint32_t k[2][16], ctr[4][16];
  KeyLanes(key, k);
  for (int l = 0; l < RNG_LANES; l++) {
    ctr[0][l] = c0[l];
    ctr[1][l] = c1;
    ctr[2][l] = c2;
    ctr[3][l] = (purpose << 24) | round;
  }
  RngDraw16((const uint32_t(*)[16])k, (const uint32_t(*)[16])ctr, out);
}
