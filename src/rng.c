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




/* ------------------------------------------------------------------------------------------
 * ARS-7: Random123's ars4x32 with its default seven rounds (an AES round function keyed by a
 * Weyl sequence).  One 128-bit block per draw: counter {c0, c1, c2, c3}, key {k0, k1, k2, k3},
 * 32-bit words in little-endian order as Random123's _mm_set_epi32(v3, v2, v1, v0).  Here are a
 * portable version (the AES round in plain C, its S-box computed from the field inverse) and
 * AES-NI and VAES versions; tests/test_kernels.c checks them against each other and against
 * Random123's ars4x32. */

static uint8_t aes_sbox[256];

static uint8_t GfMul(uint8_t a, uint8_t b)
{
  uint8_t p = 0;
  for (; b; b >>= 1) {
    if (b & 1) p ^= a;
    a = (uint8_t)((a << 1) ^ ((a & 0x80) ? 0x1b : 0));
  }
  return p;
}

static void AesSboxInit(void)
{
  for (int x = 0; x < 256; x++) {
    uint8_t inv = 0, s;
    if (x) { /* x^254 = x^-1 in GF(2^8) */
      uint8_t b = (uint8_t)x;
      inv       = 1;
      for (int e = 254; e; e >>= 1, b = GfMul(b, b))
        if (e & 1) inv = GfMul(inv, b);
    }
    s = inv;
    for (int r = 1; r <= 4; r++) s ^= (uint8_t)((inv << r) | (inv >> (8 - r)));
    aes_sbox[x] = s ^ 0x63;
  }
}

/* One AES encryption round as AESENC (last: AESENCLAST): ShiftRows, SubBytes, MixColumns (not in
 * the last round), then the round key.  Byte i of the state is row i % 4 of column i / 4. */
static void AesRound(uint8_t s[16], const uint8_t rk[16], int last)
{
  uint8_t t[16];
  for (int c = 0; c < 4; c++)
    for (int r = 0; r < 4; r++) t[4 * c + r] = aes_sbox[s[4 * ((c + r) % 4) + r]];
  if (!last)
    for (int c = 0; c < 4; c++) {
      const uint8_t a0 = t[4 * c], a1 = t[4 * c + 1], a2 = t[4 * c + 2], a3 = t[4 * c + 3];
      t[4 * c]     = (uint8_t)(GfMul(a0, 2) ^ GfMul(a1, 3) ^ a2 ^ a3);
      t[4 * c + 1] = (uint8_t)(a0 ^ GfMul(a1, 2) ^ GfMul(a2, 3) ^ a3);
      t[4 * c + 2] = (uint8_t)(a0 ^ a1 ^ GfMul(a2, 2) ^ GfMul(a3, 3));
      t[4 * c + 3] = (uint8_t)(GfMul(a0, 3) ^ a1 ^ a2 ^ GfMul(a3, 2));
    }
  for (int i = 0; i < 16; i++) s[i] = t[i] ^ rk[i];
}

static void Bytes128(uint64_t lo, uint64_t hi, uint8_t b[16])
{
  for (int i = 0; i < 8; i++) {
    b[i]     = (uint8_t)(lo >> (8 * i));
    b[8 + i] = (uint8_t)(hi >> (8 * i));
  }
}

void RngArsPortable(const uint32_t ctr[4], const uint32_t key[4], uint32_t out[4])
{
  uint64_t klo = key[0] | ((uint64_t)key[1] << 32), khi = key[2] | ((uint64_t)key[3] << 32);
  uint8_t  s[16], rk[16];
  if (!aes_sbox[0]) AesSboxInit(); /* S(0) = 0x63 */
  Bytes128(ctr[0] | ((uint64_t)ctr[1] << 32), ctr[2] | ((uint64_t)ctr[3] << 32), s);
  Bytes128(klo, khi, rk);
  for (int i = 0; i < 16; i++) s[i] ^= rk[i];
  for (int r = 1; r <= 7; r++) {
    klo += ARS_WEYL_LO;
    khi += ARS_WEYL_HI;
    Bytes128(klo, khi, rk);
    AesRound(s, rk, r == 7);
  }
  for (int i = 0; i < 4; i++) out[i] = (uint32_t)s[4 * i] | ((uint32_t)s[4 * i + 1] << 8) | ((uint32_t)s[4 * i + 2] << 16) | ((uint32_t)s[4 * i + 3] << 24);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("aes,sse4.1"))) static void ArsAesni(const uint32_t ctr[4], const uint32_t key[4], uint32_t out[4])
{
  const __m128i weyl = _mm_set_epi64x((long long)ARS_WEYL_HI, (long long)ARS_WEYL_LO);
  __m128i       k    = _mm_loadu_si128((const __m128i *)key), v = _mm_xor_si128(_mm_loadu_si128((const __m128i *)ctr), k);
  for (int r = 1; r < 7; r++) {
    k = _mm_add_epi64(k, weyl);
    v = _mm_aesenc_si128(v, k);
  }
  v = _mm_aesenclast_si128(v, _mm_add_epi64(k, weyl));
  _mm_storeu_si128((__m128i *)out, v);
}

#if GLASSY_X86_VAES
/* ARS-7 on n vectors of four counter blocks in place, under key {key[0..3]} (broadcast). */
__attribute__((target("vaes,avx512f"), always_inline)) static inline void ArsVaes(const uint32_t key[4], __m512i *v, int n)
{
  const __m512i weyl = _mm512_broadcast_i32x4(_mm_set_epi64x((long long)ARS_WEYL_HI, (long long)ARS_WEYL_LO));
  __m512i       k    = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)key));
  /* Unrolled, so that the blocks stay in registers (n <= 16 is a constant after inlining). */
#pragma GCC unroll 16
  for (int q = 0; q < n; q++) v[q] = _mm512_xor_si512(v[q], k);
#pragma GCC unroll 6
  for (int r = 1; r < 7; r++) {
    k = _mm512_add_epi64(k, weyl);
#pragma GCC unroll 16
    for (int q = 0; q < n; q++) v[q] = _mm512_aesenc_epi128(v[q], k);
  }
  k = _mm512_add_epi64(k, weyl);
#pragma GCC unroll 16
  for (int q = 0; q < n; q++) v[q] = _mm512_aesenclast_epi128(v[q], k);
}

/* 16 blocks, four per vector: block i has counter ctr[i]. */
__attribute__((target("vaes,avx512f"))) static void Ars16Vaes(const uint32_t key[4], const uint32_t ctr[16][4], uint32_t out[64])
{
  __m512i v[4];
  for (int q = 0; q < 4; q++) v[q] = _mm512_loadu_si512(ctr[4 * q]);
  ArsVaes(key, v, 4);
  for (int q = 0; q < 4; q++) _mm512_storeu_si512(out + 16 * q, v[q]);
}

/* Rounds 0..15 of RNG_UPDATE_LANE for four sites, sixteen vectors of four blocks in flight, the
 * counters made in registers. */
__attribute__((target("vaes,avx512f"))) static void LaneSites4Vaes(const uint32_t key[4], const uint32_t c0[4], uint32_t c1, uint32_t c2, uint32_t out[4][64])
{
  const __m512i inc = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3);
  __m512i       v[16];
  for (int i = 0; i < 4; i++) {
    const __m512i base = _mm512_add_epi32(_mm512_broadcast_i32x4(_mm_setr_epi32((int)c0[i], (int)c1, (int)c2, (int)((uint32_t)RNG_UPDATE_LANE << 24))), inc);
    for (int q = 0; q < 4; q++) v[4 * i + q] = _mm512_add_epi32(base, _mm512_setr_epi32(0, 0, 0, 4 * q, 0, 0, 0, 4 * q, 0, 0, 0, 4 * q, 0, 0, 0, 4 * q));
  }
  ArsVaes(key, v, 16);
  for (int q = 0; q < 16; q++) _mm512_storeu_si512(out[q / 4] + 16 * (q % 4), v[q]);
}
#endif
#endif

enum { ARS_PORTABLE, ARS_AESNI, ARS_VAES };

/* The fastest ARS path this CPU has (probed once). */
static int ArsPath(void)
{
  static int path = -1;
  if (path < 0) {
    path = ARS_PORTABLE;
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("aes")) path = ARS_AESNI;
#if GLASSY_X86_VAES
    if (__builtin_cpu_supports("aes") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("vaes")) path = ARS_VAES;
#endif
#endif
  }
  return path;
}

void RngArs(const uint32_t ctr[4], const uint32_t key[4], uint32_t out[4])
{
#if defined(__x86_64__) && defined(__GNUC__)
  if (ArsPath() != ARS_PORTABLE) {
    ArsAesni(ctr, key, out);
    return;
  }
#endif
  RngArsPortable(ctr, key, out);
}

void RngUpdateWords2(RngKey key, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t round, uint64_t w[2])
{
  const uint32_t k[4] = {key.v[0], key.v[1], 0, 0}, c[4] = {c0, c1, c2, ((uint32_t)RNG_UPDATE << 24) | round};
  uint32_t       o[4];
  RngArs(c, k, o);
  w[0] = (uint64_t)o[0] | ((uint64_t)o[1] << 32);
  w[1] = (uint64_t)o[2] | ((uint64_t)o[3] << 32);
}

/* 16 ARS blocks under one key: VAES, or one block at a time. */
static void Ars16(RngKey key, const uint32_t ctr[16][4], uint32_t out[64])
{
  const uint32_t k[4] = {key.v[0], key.v[1], 0, 0};
#if GLASSY_X86_VAES
  if (ArsPath() == ARS_VAES) {
    Ars16Vaes(k, ctr, out);
    return;
  }
#endif
  for (int i = 0; i < 16; i++) RngArs(ctr[i], k, out + 4 * i);
}

void RngUpdateSites16(RngKey key, const uint32_t c0[16], uint32_t c1, uint32_t c2, uint32_t round, uint32_t out[64])
{
  uint32_t ctr[16][4];
  for (int i = 0; i < 16; i++) {
    ctr[i][0] = c0[i];
    ctr[i][1] = c1;
    ctr[i][2] = c2;
    ctr[i][3] = ((uint32_t)RNG_UPDATE << 24) | round;
  }
  Ars16(key, (const uint32_t(*)[4])ctr, out);
}

void RngUpdateLane(RngKey key, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t round, uint32_t out[4])
{
  const uint32_t k[4] = {key.v[0], key.v[1], 0, 0}, c[4] = {c0, c1, c2, ((uint32_t)RNG_UPDATE_LANE << 24) | round};
  RngArs(c, k, out);
}

void RngUpdateLaneSites4(RngKey key, const uint32_t c0[4], uint32_t c1, uint32_t c2, uint32_t out[4][64])
{
#if GLASSY_X86_VAES
  if (ArsPath() == ARS_VAES) {
    const uint32_t k[4] = {key.v[0], key.v[1], 0, 0};
    LaneSites4Vaes(k, c0, c1, c2, out);
    return;
  }
#endif
  for (int i = 0; i < 4; i++)
    for (int r = 0; r < 16; r++) RngUpdateLane(key, c0[i], c1, c2, (uint32_t)r, out[i] + 4 * r);
}
