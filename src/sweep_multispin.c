/* Multispin kernel for bimodal couplings: 64 samples per machine word, bit-sliced arithmetic,
 * and per-lane exact acceptance decisions made bit-serially (see sweep.h).  It makes exactly the
 * decisions of SweepBimodalReference; tests compare the two bit for bit.
 *
 * Eight sites of one colour are updated together: element e of a vector (GCC vector extensions,
 * cloned by GLASSY_CLONES for AVX-512, AVX2 and the baseline) holds the 64-lane word of site e, so
 * the neighbour count, the class masks and every bit-serial decision step act on 512 lanes at
 * once.
 * The random words come from the reference's counters, drawn for 16 sites at a time
 * (RngUpdateSites16, ARS with VAES where the CPU has it), one round (two words, two decision
 * bits) at a time until every lane of the 16 sites is decided. */
#include "sweep.h"
#include <string.h>

/* The vector helpers are always inlined, so the 64-byte vector ABI warning does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"

typedef uint64_t v8 __attribute__((vector_size(64)));

enum { SITE_BATCH = 16 };

#define INLINE static inline __attribute__((always_inline))

/* Add the 1-bit lanes of u into the bit-sliced counter c[0..3] (counts up to 15). */
INLINE void Add1(v8 c[4], v8 u)
{
  v8 t0 = c[0] & u;
  c[0] ^= u;
  v8 t1 = c[1] & t0;
  c[1] ^= t0;
  v8 t2 = c[2] & t1;
  c[2] ^= t1;
  c[3] ^= t2;
}

/* Lanes whose count equals n, given pat[b] = all ones where bit b of n is set; counts reach 2d,
 * so d <= 3 needs three bit planes. */
INLINE v8 CountIs(const v8 c[4], const uint64_t pat[4], int planes)
{
  v8 m = ~(c[0] ^ pat[0]);
  for (int b = 1; b < planes; b++) m &= ~(c[b] ^ pat[b]);
  return m;
}

/* Lanes whose count is at least n: compared from the most significant plane down. */
INLINE v8 CountAtLeast(const v8 c[4], int n, int planes)
{
  v8 gt = {0}, eq = ~(v8){0};
  for (int b = planes - 1; b >= 0; b--) {
    if ((n >> b) & 1) eq &= c[b];
    else {
      gt |= eq & c[b];
      eq &= ~c[b];
    }
  }
  return gt | eq;
}

INLINE uint64_t Any(v8 x)
{
  uint64_t r = 0;
  for (int e = 0; e < 8; e++) r |= x[e];
  return r;
}

/* Word t (as RngUpdateWords2 gives it: out[4i + 2t] | out[4i + 2t + 1] << 32) of sites 8h .. 8h+7. */
INLINE v8 Words(const uint32_t out[4 * SITE_BATCH], int h, int t)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && !defined(__clang__) /* __builtin_shuffle is GCC's */
  v8 o[2]; /* sites 8h .. 8h+7, their two words interleaved */
  memcpy(o, out + 32 * h, sizeof o);
  return __builtin_shuffle(o[0], o[1], (v8){0, 2, 4, 6, 8, 10, 12, 14} + (uint64_t)t);
#else
  v8 r;
  for (int e = 0; e < 8; e++) r[e] = (uint64_t)out[4 * (8 * h + e) + 2 * t] | ((uint64_t)out[4 * (8 * h + e) + 2 * t + 1] << 32);
  return r;
#endif
}

/* The thresholds P_n never decrease with the number n of unsatisfied bonds (p is monotone in the
 * energy change), so the classes are: never (n < nrand0), random (nrand0 <= n < nalways), always
 * (n >= nalways).  d is a constant after inlining, so the bond loop unrolls. */
INLINE void Sweep(const SweepArgs *a, const int d, const int64_t *sites, int64_t n)
{
  const Lattice  *lat = a->lat;
  const int       W = a->cpl->W, nclass = 2 * d + 1, planes = d <= 3 ? 3 : 4;
  const uint64_t *J = a->cpl->bits;
  const uint64_t  always = (uint64_t)1 << 32;
  int             nrand0 = 0, nalways = nclass, nrandom;
  const int64_t   ps = a->site_stride;
  int64_t         sW[GLASSY_MAX_DIM], sJ[GLASSY_MAX_DIM];
  uint64_t        pbit[2 * GLASSY_MAX_DIM + 1][32]; /* all ones where bit 31-j of the class threshold is set */
  uint64_t        pat[2 * GLASSY_MAX_DIM + 1][4];   /* the bit planes of each random class's count */

  while (nrand0 < nclass && a->threshold[nrand0] == 0) nrand0++;
  while (nalways > nrand0 && a->threshold[nalways - 1] == always) nalways--;
  nrandom = nalways - nrand0;
  for (int r = 0; r < nrandom; r++) {
    for (int b = 0; b < 4; b++) pat[r][b] = (((nrand0 + r) >> b) & 1) ? ~(uint64_t)0 : 0;
    for (int j = 0; j < 32; j++) pbit[r][j] = ((a->threshold[nrand0 + r] >> (31 - j)) & 1) ? ~(uint64_t)0 : 0;
  }
  for (int k = 0; k < d; k++) {
    sW[k] = lat->stride[k] * ps;
    sJ[k] = lat->stride[k] * d * W;
  }

  for (int w = 0; w < W; w++) {
    const RngKey    key = RngKeyMake(a->seed, (uint32_t)(a->first_sample + 64 * w));
    uint64_t       *Sw  = SweepWord(a, 0, w);
    const uint64_t *Jw  = J + w;
    for (int64_t s0 = 0; s0 < n; s0 += SITE_BATCH) {
      const int m = (int)(n - s0 < SITE_BATCH ? n - s0 : SITE_BATCH);
      int64_t   pw[SITE_BATCH], pj[SITE_BATCH]; /* spin and coupling word of each site; past m, copies of the first (not stored) */
      uint32_t  g[SITE_BATCH];
      v8        accept[2], undecided[2] = {{0}, {0}}, mask[2][2 * GLASSY_MAX_DIM + 1];
      for (int i = 0; i < SITE_BATCH; i++) {
        const int64_t p = sites[s0 + (i < m ? i : 0)];
        pw[i]           = p * ps;
        pj[i]           = p * d * W;
        g[i]            = (uint32_t)lat->global[p];
      }
      for (int h = 0; h < 2; h++) {
        v8 spin, cnt[4] = {{0}, {0}, {0}, {0}};
        for (int e = 0; e < 8; e++) spin[e] = Sw[pw[8 * h + e]];
        for (int k = 0; k < d; k++) {
          v8 up, dn, Jup, Jdn;
          for (int e = 0; e < 8; e++) {
            const int64_t q = pw[8 * h + e], j = pj[8 * h + e] + k * W;
            up[e]           = Sw[q + sW[k]];
            dn[e]           = Sw[q - sW[k]];
            Jup[e]          = Jw[j];
            Jdn[e]          = Jw[j - sJ[k]];
          }
          Add1(cnt, spin ^ up ^ Jup);
          Add1(cnt, spin ^ dn ^ Jdn);
        }
        accept[h] = nalways < nclass ? CountAtLeast(cnt, nalways, planes) : (v8){0};
        for (int r = 0; r < nrandom; r++) undecided[h] |= mask[h][r] = CountIs(cnt, pat[r], planes);
      }

      /* Lane b flips iff its uniform U (bit 31-j is bit b of random word j) is below the
       * threshold P: it is decided at the first bit where they differ. */
      for (int round = 0; round < 16 && Any(undecided[0] | undecided[1]); round++) {
        uint32_t out[4 * SITE_BATCH];
        RngUpdateSites16(key, g, a->sweep, a->slot, (uint32_t)round, out);
        for (int h = 0; h < 2; h++)
          for (int t = 0; t < 2; t++) {
            const int j  = 2 * round + t;
            const v8  rw = Words(out, h, t);
            v8        pb = {0};
            for (int r = 0; r < nrandom; r++) pb |= mask[h][r] & pbit[r][j];
            accept[h] |= undecided[h] & pb & ~rw;
            undecided[h] &= ~(rw ^ pb);
          }
      }
      for (int i = 0; i < m; i++) Sw[pw[i]] ^= accept[i >> 3][i & 7];
    }
  }
}

GLASSY_CLONES void SweepBimodalMultispin(const SweepArgs *a, const int64_t *sites, int64_t n)
{
  switch (a->lat->dim) {
  case 2: Sweep(a, 2, sites, n); break;
  case 3: Sweep(a, 3, sites, n); break;
  default: Sweep(a, 4, sites, n); break;
  }
}
