/* The bimodal multispin kernel across slots: 64 samples per machine word as in every multispin
 * kernel (see sweep.h), and eight configuration slots of one site per 512-bit vector.
 *
 * In the spin layout of simulation.h the slots of a site are contiguous, so the eight slots' words
 * of a site and of each of its neighbours load as one vector each, and the couplings (the same for
 * every slot) are one broadcast per bond.  The slots differ in temperature, so the acceptance
 * classes and threshold bits are per vector element.
 *
 * Decisions are exactly SweepBimodalReference's: lane b of slot s flips iff its uniform U (bit
 * 31-j is bit b of random word j of (site, sweep, s)) is below the threshold of its class, compared
 * bit-serially from the most significant bit until every lane of a chunk of up to 64 slots is
 * decided.  The random words are the RNG_UPDATE stream's ARS-7 blocks, computed in place with VAES
 * (four blocks per instruction): one round draws two words for every slot of the chunk.
 *
 * The kernel is written for AVX-512 with VAES (mask registers, three-input logic, 512-bit AES) and
 * built with GCC 11 or later (GLASSY_X86_VAES); on other CPUs, and in other builds,
 * SweepBimodalSlots runs the eight-site kernel slot by slot, which makes the same decisions. */
#include "sweep.h"
#include <stdlib.h>
#include <string.h>

/* The chunk's arrays are filled for h < NV only and read for h < NV only; with NV not a constant
 * GCC cannot see that. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

enum { NCLASS_MAX = 2 * GLASSY_MAX_DIM + 1, PREFETCH_AHEAD = 2, CHUNK = 8 };

#if GLASSY_X86_VAES
#include <immintrin.h>
#define HAVE_SLOTS_AVX512 1
#define AVX512 __attribute__((target("avx512f,vaes"), always_inline)) static inline
#define ONES   _mm512_set1_epi64(-1)

/* Acceptance classes of one vector of eight slots. */
typedef struct {
  __m512i always[NCLASS_MAX], random[NCLASS_MAX]; /* element e: all ones if slot e's class n always flips / flips at random */
  int     alo, rlo, rhi;                          /* classes >= alo may always flip; rlo .. rhi-1 may be random */
  __m512i pbit[32][NCLASS_MAX];                   /* [j][n]: all ones where bit 31-j of a random class's threshold is set */
} Classes;

static void ClassesMake(const uint64_t *thresholds, int nclass, Classes *c)
{
  const uint64_t always = (uint64_t)1 << 32;
  uint64_t       al[NCLASS_MAX][8], ra[NCLASS_MAX][8];
  c->alo = nclass;
  c->rlo = nclass;
  c->rhi = 0;
  for (int n = 0; n < nclass; n++) {
    int any_always = 0, any_random = 0;
    for (int e = 0; e < 8; e++) {
      const uint64_t P = thresholds[e * nclass + n];
      al[n][e]         = P == always ? ~(uint64_t)0 : 0;
      ra[n][e]         = P > 0 && P < always ? ~(uint64_t)0 : 0;
      any_always |= P == always;
      any_random |= P > 0 && P < always;
    }
    if (any_always && c->alo == nclass) c->alo = n;
    if (any_random) {
      if (c->rlo == nclass) c->rlo = n;
      c->rhi = n + 1;
    }
  }
  for (int n = 0; n < nclass; n++) {
    memcpy(&c->always[n], al[n], sizeof c->always[n]);
    memcpy(&c->random[n], ra[n], sizeof c->random[n]);
  }
  for (int j = 0; j < 32; j++)
    for (int n = 0; n < nclass; n++) {
      uint64_t b[8];
      for (int e = 0; e < 8; e++) {
        const uint64_t P = thresholds[e * nclass + n];
        b[e]             = P < always && ((P >> (31 - j)) & 1) ? ~(uint64_t)0 : 0;
      }
      memcpy(&c->pbit[j][n], b, sizeof b);
    }
}

/* Lanes whose count (bit planes c[0..3]) is n: one three-input operation on the low planes. */
AVX512 __m512i CountIs(const __m512i c[4], int n, int planes)
{
  __m512i m;
  switch (n & 7) { /* minterm of (c0, c1, c2): imm bit (c0 << 2 | c1 << 1 | c2) */
  case 0: m = _mm512_ternarylogic_epi64(c[0], c[1], c[2], 0x01); break;
  case 1: m = _mm512_ternarylogic_epi64(c[0], c[1], c[2], 0x10); break;
  case 2: m = _mm512_ternarylogic_epi64(c[0], c[1], c[2], 0x04); break;
  case 3: m = _mm512_ternarylogic_epi64(c[0], c[1], c[2], 0x40); break;
  case 4: m = _mm512_ternarylogic_epi64(c[0], c[1], c[2], 0x02); break;
  case 5: m = _mm512_ternarylogic_epi64(c[0], c[1], c[2], 0x20); break;
  case 6: m = _mm512_ternarylogic_epi64(c[0], c[1], c[2], 0x08); break;
  default: m = _mm512_ternarylogic_epi64(c[0], c[1], c[2], 0x80); break;
  }
  if (planes > 3) m = (n & 8) ? _mm512_and_si512(m, c[3]) : _mm512_andnot_si512(c[3], m);
  return m;
}

/* The bond terms u (1 where the bond is unsatisfied) summed into bit planes c[0..3]. */
AVX512 void Count(const __m512i *u, int nb, __m512i c[4])
{
  if (nb == 6) { /* two full adders, then the three-bit sum */
    const __m512i s1 = _mm512_ternarylogic_epi64(u[0], u[1], u[2], 0x96), k1 = _mm512_ternarylogic_epi64(u[0], u[1], u[2], 0xE8);
    const __m512i s2 = _mm512_ternarylogic_epi64(u[3], u[4], u[5], 0x96), k2 = _mm512_ternarylogic_epi64(u[3], u[4], u[5], 0xE8);
    const __m512i k0 = _mm512_and_si512(s1, s2);
    c[0]             = _mm512_xor_si512(s1, s2);
    c[1]             = _mm512_ternarylogic_epi64(k1, k2, k0, 0x96);
    c[2]             = _mm512_ternarylogic_epi64(k1, k2, k0, 0xE8);
    c[3]             = _mm512_setzero_si512();
    return;
  }
  c[0] = c[1] = c[2] = c[3] = _mm512_setzero_si512();
  for (int i = 0; i < nb; i++) { /* ripple add of one bit */
    const __m512i t0 = _mm512_and_si512(c[0], u[i]);
    c[0]             = _mm512_xor_si512(c[0], u[i]);
    const __m512i t1 = _mm512_and_si512(c[1], t0);
    c[1]             = _mm512_xor_si512(c[1], t0);
    const __m512i t2 = _mm512_and_si512(c[2], t1);
    c[2]             = _mm512_xor_si512(c[2], t1);
    c[3]             = _mm512_xor_si512(c[3], t2);
  }
}

AVX512 __m512i Load(const uint64_t *p) { return _mm512_loadu_si512(p); }

/* One chunk of NV <= CHUNK vectors of eight slots (slots s0 .. s0 + 8 NV - 1) at site p, word w,
 * whose random classes lie in rlo .. rlo + NR - 1 and whose always-classes start at alo.  rk[0..7]
 * are the ARS round keys of the word's key, each broadcast to the four blocks.  d, NV and NR are
 * constants after inlining (or NV, NR are the general values), so the loops unroll. */
AVX512 void Chunk(const SweepArgs *a, const int d, const Classes *cls, const int NV, const int NR, int alo, int rlo, int s0, int64_t p, int w, const int64_t sS[], const int64_t sJ[], const __m512i rk[8])
{
  const int       W = a->cpl->W, planes = d <= 3 ? 3 : 4, nclass = 2 * d + 1;
  uint64_t       *S  = a->spins + p * a->site_stride + w * a->word_stride + s0;
  const uint64_t *Jp = a->cpl->bits + p * d * W + w;
  __m512i         spin[CHUNK], accept[CHUNK], undecided[CHUNK], mask[CHUNK][NCLASS_MAX], ctr[CHUNK][2];
  __m512i         any = _mm512_setzero_si512();

#pragma GCC unroll 8
  for (int h = 0; h < NV; h++) {
    const Classes *c = &cls[h];
    __m512i        u[2 * GLASSY_MAX_DIM], cnt[4];
    accept[h] = undecided[h] = _mm512_setzero_si512();
    spin[h]   = Load(S + 8 * h);
    for (int k = 0; k < d; k++) {
      u[2 * k]     = _mm512_ternarylogic_epi64(spin[h], Load(S + 8 * h + sS[k]), _mm512_set1_epi64((long long)Jp[k * W]), 0x96);
      u[2 * k + 1] = _mm512_ternarylogic_epi64(spin[h], Load(S + 8 * h - sS[k]), _mm512_set1_epi64((long long)Jp[k * W - sJ[k]]), 0x96);
    }
    Count(u, 2 * d, cnt);
    /* Class indices are constants where rlo is (the loops unroll and each class test is one
     * three-input operation). */
#pragma GCC unroll 9
    for (int m = 0; m < nclass; m++)
      if (m >= alo) accept[h] = _mm512_ternarylogic_epi64(accept[h], CountIs(cnt, m, planes), c->always[m], 0xF8); /* a | (b & c) */
#pragma GCC unroll 9
    for (int m = 0; m < NR; m++) {
      mask[h][m]   = _mm512_and_si512(CountIs(cnt, rlo + m, planes), c->random[rlo + m]);
      undecided[h] = _mm512_or_si512(undecided[h], mask[h][m]);
    }
    any = _mm512_or_si512(any, undecided[h]);
  }

  /* Lane b flips iff its uniform U (bit 31-j is bit b of random word j) is below the threshold P:
   * it is decided at the first bit where they differ.  Each round draws one ARS block per slot,
   * two words, two bits.  The blocks of vector h: ctr[h][0] holds slots 8h + 0, 2, 4, 6 and
   * ctr[h][1] slots 8h + 1, 3, 5, 7, so that unpacking their 64-bit halves gives the words in slot
   * order. */
  {
    const uint32_t g = (uint32_t)a->lat->global[p], sw = a->sweep, c3 = (uint32_t)RNG_UPDATE << 24;
#pragma GCC unroll 8
    for (int h = 0; h < NV; h++)
      for (int o = 0; o < 2; o++) {
        const uint32_t s = a->slot + (uint32_t)(s0 + 8 * h + o);
        ctr[h][o]        = _mm512_setr_epi32((int)g, (int)sw, (int)s, (int)c3, (int)g, (int)sw, (int)(s + 2), (int)c3, (int)g, (int)sw, (int)(s + 4), (int)c3, (int)g, (int)sw, (int)(s + 6), (int)c3);
      }
  }
  const __m512i next_round = _mm512_setr_epi32(0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1);
  for (int round = 0; NR > 0 && round < 16 && _mm512_test_epi64_mask(any, ONES); round++) {
    any = _mm512_setzero_si512();
#pragma GCC unroll 8
    for (int h = 0; h < NV; h++) {
      const Classes *c = &cls[h];
      __m512i        b0 = _mm512_xor_si512(ctr[h][0], rk[0]), b1 = _mm512_xor_si512(ctr[h][1], rk[0]);
#pragma GCC unroll 6
      for (int r = 1; r < 7; r++) {
        b0 = _mm512_aesenc_epi128(b0, rk[r]);
        b1 = _mm512_aesenc_epi128(b1, rk[r]);
      }
      b0                = _mm512_aesenclast_epi128(b0, rk[7]);
      b1                = _mm512_aesenclast_epi128(b1, rk[7]);
      ctr[h][0]         = _mm512_add_epi32(ctr[h][0], next_round);
      ctr[h][1]         = _mm512_add_epi32(ctr[h][1], next_round);
      const __m512i rw[2] = {_mm512_unpacklo_epi64(b0, b1), _mm512_unpackhi_epi64(b0, b1)};
#pragma GCC unroll 2
      for (int t = 0; t < 2; t++) {
        const __m512i *P  = c->pbit[2 * round + t] + rlo;
        __m512i        pb = _mm512_and_si512(mask[h][0], P[0]);
#pragma GCC unroll 9
        for (int m = 1; m < NR; m++) pb = _mm512_ternarylogic_epi64(pb, mask[h][m], P[m], 0xF8); /* pb | (mask & P) */
        accept[h]    = _mm512_ternarylogic_epi64(accept[h], undecided[h], _mm512_andnot_si512(rw[t], pb), 0xF8);
        undecided[h] = _mm512_ternarylogic_epi64(undecided[h], rw[t], pb, 0x90); /* und & ~(r ^ pb) */
      }
      any = _mm512_or_si512(any, undecided[h]);
    }
  }
#pragma GCC unroll 8
  for (int h = 0; h < NV; h++) _mm512_storeu_si512(S + 8 * h, _mm512_xor_si512(spin[h], accept[h]));
}

/* Chunk with NV and NR made constants where they are common. */
AVX512 void ChunkAny(const SweepArgs *a, const int d, const Classes *cls, int nv, int nr, int alo, int rlo, int s0, int64_t p, int w, const int64_t sS[], const int64_t sJ[], const __m512i rk[8])
{
  if (nv == CHUNK && nr == 3 && rlo == 0) Chunk(a, d, cls, CHUNK, 3, alo, 0, s0, p, w, sS, sJ, rk); /* Metropolis, the common case */
  else if (nv == CHUNK && nr == 2 && rlo == 1) Chunk(a, d, cls, CHUNK, 2, alo, 1, s0, p, w, sS, sJ, rk);
  else if (nr > 0) Chunk(a, d, cls, nv, nr, alo, rlo, s0, p, w, sS, sJ, rk);
  else Chunk(a, d, cls, nv, 0, alo, rlo, s0, p, w, sS, sJ, rk);
}

AVX512 void SlotsD(const SweepArgs *a, const int d, const Classes *cls, const int64_t *sites, int64_t n)
{
  const Lattice *lat = a->lat;
  const int      W = a->cpl->W, nslots = (int)a->word_stride;
  int64_t        sS[GLASSY_MAX_DIM], sJ[GLASSY_MAX_DIM];
  int            range[(nslots + 8 * CHUNK - 1) / (8 * CHUNK)][3]; /* per chunk: alo, rlo, number of random classes */
  for (int k = 0; k < d; k++) {
    sS[k] = lat->stride[k] * a->site_stride;
    sJ[k] = lat->stride[k] * d * W;
  }
  for (int s0 = 0; s0 < nslots; s0 += 8 * CHUNK) { /* a chunk's classes: the union of its vectors' */
    const int nv = (nslots - s0) / 8 < CHUNK ? (nslots - s0) / 8 : CHUNK;
    int       alo = 2 * d + 1, rlo = 2 * d + 1, rhi = 0, *r = range[s0 / (8 * CHUNK)];
    for (int h = 0; h < nv; h++) {
      const Classes *c = &cls[s0 / 8 + h];
      alo              = c->alo < alo ? c->alo : alo;
      if (c->rlo < c->rhi) {
        rlo = c->rlo < rlo ? c->rlo : rlo;
        rhi = c->rhi > rhi ? c->rhi : rhi;
      }
    }
    r[0] = alo;
    r[1] = rhi > rlo ? rlo : 0;
    r[2] = rhi > rlo ? rhi - rlo : 0;
  }
  for (int w = 0; w < W; w++) {
    /* ARS round keys: {seed, stream, 0, 0} plus r times the Weyl increment (64-bit halves). */
    __m512i  rk[8];
    uint64_t klo = a->seed | ((uint64_t)(uint32_t)(a->first_sample + 64 * w) << 32), khi = 0;
    for (int r = 0; r < 8; r++, klo += ARS_WEYL_LO, khi += ARS_WEYL_HI) rk[r] = _mm512_broadcast_i32x4(_mm_set_epi64x((long long)khi, (long long)klo));
    for (int64_t i = 0; i < n; i++) {
      /* The records a site ahead first touches: its own and its upper neighbours' (the lower ones
       * and those along dimension 0 were touched by earlier sites). */
      if (i + PREFETCH_AHEAD < n) {
        const uint64_t *q = a->spins + sites[i + PREFETCH_AHEAD] * a->site_stride + w * a->word_stride;
        for (int s0 = 0; s0 < nslots; s0 += 8) {
          _mm_prefetch((const char *)(q + s0), _MM_HINT_T0);
          for (int k = 1; k < d; k++) _mm_prefetch((const char *)(q + s0 + sS[k]), _MM_HINT_T0);
        }
      }
      for (int s0 = 0; s0 < nslots; s0 += 8 * CHUNK) {
        const int nv = (nslots - s0) / 8 < CHUNK ? (nslots - s0) / 8 : CHUNK, *r = range[s0 / (8 * CHUNK)];
        ChunkAny(a, d, cls + s0 / 8, nv, r[2], r[0], r[1], s0, sites[i], w, sS, sJ, rk);
      }
    }
  }
}

__attribute__((target("avx512f,vaes"))) static void SlotsAvx512(const SweepArgs *a, const Classes *cls, const int64_t *sites, int64_t n)
{
  switch (a->lat->dim) {
  case 2: SlotsD(a, 2, cls, sites, n); break;
  case 3: SlotsD(a, 3, cls, sites, n); break;
  default: SlotsD(a, 4, cls, sites, n); break;
  }
}
#endif

struct SweepSlotTables {
  int       nclass, nslots;
  uint64_t *thresholds; /* [nslots][nclass] */
  void     *classes;    /* [nslots / 8] Classes for the AVX-512 kernel, or NULL */
};

static int force_portable; /* tests: take the portable path even where AVX-512 and VAES exist */

void SweepSlotsForcePortable(int on) { force_portable = on; }

SweepSlotTables *SweepSlotTablesCreate(int dim, int nslots, const uint64_t *thresholds)
{
  SweepSlotTables *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->nclass     = 2 * dim + 1;
  t->nslots     = nslots;
  t->thresholds = malloc(sizeof *t->thresholds * (size_t)nslots * (size_t)t->nclass);
  if (!t->thresholds) {
    free(t);
    return NULL;
  }
  memcpy(t->thresholds, thresholds, sizeof *t->thresholds * (size_t)nslots * (size_t)t->nclass);
#if HAVE_SLOTS_AVX512
  if (!force_portable && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("vaes")) {
    Classes *cls = aligned_alloc(64, sizeof *cls * (size_t)(nslots / 8));
    if (cls)
      for (int g = 0; g < nslots / 8; g++) ClassesMake(thresholds + (int64_t)8 * g * t->nclass, t->nclass, &cls[g]);
    t->classes = cls; /* NULL: the portable path */
  }
#endif
  return t;
}

void SweepSlotTablesDestroy(SweepSlotTables *t)
{
  if (!t) return;
  free(t->classes);
  free(t->thresholds);
  free(t);
}

void SweepBimodalSlots(const SweepArgs *a, const SweepSlotTables *t, const int64_t *sites, int64_t n)
{
#if HAVE_SLOTS_AVX512
  if (t->classes) {
    SlotsAvx512(a, (const Classes *)t->classes, sites, n);
    return;
  }
#endif
  /* Without AVX-512 and VAES: the eight-site kernel, slot by slot (same decisions). */
  for (int s = 0; s < t->nslots; s++) {
    SweepArgs b = *a;
    b.spins     = a->spins + s;
    b.slot      = a->slot + (uint32_t)s;
    b.threshold = t->thresholds + (int64_t)s * t->nclass;
    SweepBimodalMultispin(&b, sites, n);
  }
}
