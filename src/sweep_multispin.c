/* Multispin kernel for bimodal couplings: 64 samples per machine word, bit-sliced arithmetic,
 * and per-lane exact acceptance decisions made bit-serially (see sweep.h).  It makes exactly the
 * decisions of SweepBimodalReference; tests compare the two bit for bit.
 *
 * The random words come from the same counters as the reference's, drawn 16 sites at a time
 * with the vectorised Philox (RngDrawSites16): the first EAGER_ROUNDS draws (2 words each) of
 * every site of a batch, then one more draw at a time for the sites that still have undecided
 * lanes. */
#include "sweep.h"
#include <string.h>

enum { EAGER_ROUNDS = 4, SITE_BATCH = 16 };

#define INLINE static inline __attribute__((always_inline))

/* Add the 1-bit lanes of u into the bit-sliced counter c[0..3] (counts up to 15). */
INLINE void Add1(uint64_t c[4], uint64_t u)
{
  uint64_t t0 = c[0] & u;
  c[0] ^= u;
  uint64_t t1 = c[1] & t0;
  c[1] ^= t0;
  uint64_t t2 = c[2] & t1;
  c[2] ^= t1;
  c[3] ^= t2;
}

/* Lanes whose count equals n, given pat[b] = all ones where bit b of n is set; counts reach 2d,
 * so d <= 3 needs three bit planes. */
INLINE uint64_t CountIs(const uint64_t c[4], const uint64_t pat[4], int planes)
{
  uint64_t m = ~(c[0] ^ pat[0]);
  for (int b = 1; b < planes; b++) m &= ~(c[b] ^ pat[b]);
  return m;
}

/* Lanes whose count is at least n: compared from the most significant plane down. */
INLINE uint64_t CountAtLeast(const uint64_t c[4], int n, int planes)
{
  uint64_t gt = 0, eq = ~(uint64_t)0;
  for (int b = planes - 1; b >= 0; b--) {
    if ((n >> b) & 1) eq &= c[b];
    else {
      gt |= eq & c[b];
      eq &= ~c[b];
    }
  }
  return gt | eq;
}

/* Word h of a draw's output o[0..3], as RngWords2 gives it: o[2h] | o[2h+1] << 32. */
INLINE uint64_t Word(const uint32_t *o, int h)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint64_t w;
  memcpy(&w, o + 2 * h, sizeof w); /* one load */
  return w;
#else
  return (uint64_t)o[2 * h] | ((uint64_t)o[2 * h + 1] << 32);
#endif
}

/* Bit-serial decisions with the random words of draws round0 .. round0+nrounds-1, site i of the
 * batch (draws[r][4i .. 4i+3] is the output of round round0+r).  Lane b flips iff its uniform U (bit 31-j is bit
 * b of random word j) is below the threshold P: it is decided at the first bit where they differ. */
INLINE void Decide(const uint32_t (*draws)[4 * SITE_BATCH], int i, int round0, int nrounds, int nrandom, const uint64_t *mask, const uint64_t (*pbit)[32], uint64_t anybit, uint64_t *accept, uint64_t *undecided)
{
  uint64_t acc = *accept, und = *undecided;
  for (int j = 2 * round0; j < 2 * (round0 + nrounds) && und; j++) {
    const uint64_t rw = Word(draws[(j >> 1) - round0] + 4 * i, j & 1);
    if ((anybit >> j) & 1) {
      uint64_t pb = 0;
      for (int r = 0; r < nrandom; r++) pb |= mask[r] & pbit[r][j];
      acc |= und & pb & ~rw;
      und &= ~(rw ^ pb);
    } else und &= ~rw; /* every threshold bit is 0 here: a 1 in U rejects */
  }
  *accept    = acc;
  *undecided = und;
}

/* d is a constant after inlining, so the bond loop unrolls.  The thresholds P_n never decrease
 * with the number n of unsatisfied bonds (p is monotone in the energy change), so the classes
 * are: never (n < nrand0), random (nrand0 <= n < nalways), always (n >= nalways). */
INLINE void Sweep(const SweepArgs *a, const int d, const int64_t *sites, int64_t n)
{
  const Lattice  *lat = a->lat;
  const int       W = a->cpl->W, nclass = 2 * d + 1, planes = d <= 3 ? 3 : 4;
  const uint64_t *J = a->cpl->bits;
  uint64_t       *S = a->spins;
  const uint64_t  always = (uint64_t)1 << 32;
  int             nrand0 = 0, nalways = nclass, nrandom;
  int64_t         sW[GLASSY_MAX_DIM];
  uint64_t        pbit[2 * GLASSY_MAX_DIM + 1][32]; /* all ones where bit 31-j of the class threshold is set */
  uint64_t        anybit = 0;                      /* bit j set: some random class has bit 31-j set */
  uint64_t        pat[2 * GLASSY_MAX_DIM + 1][4];   /* the bit planes of each random class's count */

  while (nrand0 < nclass && a->threshold[nrand0] == 0) nrand0++;
  while (nalways > nrand0 && a->threshold[nalways - 1] == always) nalways--;
  nrandom = nalways - nrand0;
  for (int r = 0; r < nrandom; r++)
    for (int b = 0; b < 4; b++) pat[r][b] = (((nrand0 + r) >> b) & 1) ? ~(uint64_t)0 : 0;
  for (int r = 0; r < nrandom; r++)
    for (int j = 0; j < 32; j++) {
      pbit[r][j] = ((a->threshold[nrand0 + r] >> (31 - j)) & 1) ? ~(uint64_t)0 : 0;
      anybit |= (pbit[r][j] & 1) << j;
    }
  for (int k = 0; k < d; k++) sW[k] = lat->stride[k] * W;

  for (int w = 0; w < W; w++) {
    const RngKey    key = RngKeyMake(a->seed, (uint32_t)(a->first_sample + 64 * w));
    uint64_t       *Sw  = S + w;
    const uint64_t *Jw  = J + w;
    for (int64_t s0 = 0; s0 < n; s0 += SITE_BATCH) {
      const int m = (int)(n - s0 < SITE_BATCH ? n - s0 : SITE_BATCH);
      uint32_t  g[SITE_BATCH], draws[EAGER_ROUNDS][4 * SITE_BATCH];
      for (int i = 0; i < SITE_BATCH; i++) g[i] = (uint32_t)lat->global[sites[s0 + (i < m ? i : 0)]];
      if (nrandom)
        for (int r = 0; r < EAGER_ROUNDS; r++) RngDrawSites16(key, g, a->sweep, a->slot, RNG_UPDATE, (uint32_t)r, draws[r]);

      uint64_t accept[SITE_BATCH], undecided[SITE_BATCH], mask[SITE_BATCH][2 * GLASSY_MAX_DIM + 1];
      int      pending[SITE_BATCH], npending = 0;
      for (int i = 0; i < m; i++) {
        const int64_t   pw   = sites[s0 + i] * W;
        const uint64_t  spin = Sw[pw];
        const uint64_t *Jp   = Jw + pw * d;
        uint64_t        cnt[4] = {0, 0, 0, 0};
        for (int k = 0; k < d; k++) {
          Add1(cnt, spin ^ Sw[pw + sW[k]] ^ Jp[k * W]);
          Add1(cnt, spin ^ Sw[pw - sW[k]] ^ Jp[k * W - sW[k] * d]);
        }
        accept[i]    = nalways < nclass ? CountAtLeast(cnt, nalways, planes) : 0;
        undecided[i] = 0;
        for (int r = 0; r < nrandom; r++) undecided[i] |= mask[i][r] = CountIs(cnt, pat[r], planes);
        Decide(draws, i, 0, EAGER_ROUNDS, nrandom, mask[i], pbit, anybit, &accept[i], &undecided[i]);
        if (undecided[i]) pending[npending++] = i;
      }
      /* Lanes still undecided: the next draws of just those sites, again 16 at a time. */
      for (int round = EAGER_ROUNDS; npending && round < 16; round++) {
        uint32_t gp[SITE_BATCH], more[1][4 * SITE_BATCH];
        int      still = 0;
        for (int q = 0; q < SITE_BATCH; q++) gp[q] = g[pending[q < npending ? q : 0]];
        RngDrawSites16(key, gp, a->sweep, a->slot, RNG_UPDATE, (uint32_t)round, more[0]);
        for (int q = 0; q < npending; q++) {
          const int i = pending[q];
          Decide((const uint32_t(*)[4 * SITE_BATCH])more, q, round, 1, nrandom, mask[i], pbit, anybit, &accept[i], &undecided[i]);
          if (undecided[i]) pending[still++] = i;
        }
        npending = still;
      }
      for (int i = 0; i < m; i++) Sw[sites[s0 + i] * W] ^= accept[i];
    }
  }
}

void SweepBimodalMultispin(const SweepArgs *a, const int64_t *sites, int64_t n)
{
  switch (a->lat->dim) {
  case 2: Sweep(a, 2, sites, n); break;
  case 3: Sweep(a, 3, sites, n); break;
  default: Sweep(a, 4, sites, n); break;
  }
}
