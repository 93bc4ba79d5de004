/* Fast kernel for real couplings (Gaussian or loaded from a file).
 *
 * The spins stay multispin-coded (64 lanes per word).  The local fields of 8 lanes at a time are
 * summed in SIMD vectors (GCC vector extensions, cloned by GLASSY_CLONES for AVX-512, AVX2 and
 * the baseline), and the acceptance probability comes from a short polynomial exp instead of libm's.
 *
 * It makes exactly the decisions of SweepRealReference:
 * - the field is the same sum, in the same order, of the same couplings, so dE is the same double;
 * - the lane's uniform U is the same RNG_UPDATE_LANE output;
 * - the reference accepts iff U < floor(p 2^32), that is iff U + 1 <= p 2^32.  With the cheap
 *   q ~ p 2^32, whose relative error is below 2^-26 (tests/test_kernels.c checks the bound), a
 *   lane is settled when U + 1 lies outside q (1 -+ 2^-24); a lane inside that band (about one
 *   attempt in 10^7) is decided again with the reference's own arithmetic.
 * Floating-point contraction is allowed here: the field adds +-J in exactly the reference's order
 * (h + (J_up s_up + J_dn s_dn) per direction, the signs applied by XOR, so there is no product to
 * contract), which keeps it the same double even for couplings too large to sum exactly; and
 * everything after the field only has to stay inside the guard band. */
#include "sweep.h"
#include <string.h>

/* The vector helpers are always inlined, so the 64-byte vector ABI warning does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"
#pragma GCC optimize("fp-contract=fast")

typedef double   vd __attribute__((vector_size(64)));
typedef int64_t  vi __attribute__((vector_size(64)));
typedef uint64_t vu __attribute__((vector_size(64)));
typedef uint32_t vu32 __attribute__((vector_size(32)));

#define INLINE static inline __attribute__((always_inline))

INLINE vd Splat(double x) { return (vd){x, x, x, x, x, x, x, x}; }

/* a where m is set, b elsewhere (m: all-ones or zero per element). */
INLINE vd Select(vi m, vd a, vd b) { return (vd)(((vi)a & m) | ((vi)b & ~m)); }

/* exp(x) for |x| <= 80: 2^n exp(r) with |r| <= ln2/2, exp(r) from its Taylor series to r^7
 * (relative error about 2^-27, below 2^-26 as the tests check; the guard band is 2^-24). */
INLINE vd ExpPoly(vd x)
{
  const vd shifter = Splat(0x1.8p52);
  const vd t       = x * Splat(0x1.71547652b82fep0) + shifter; /* rounds x/ln2 to an integer */
  const vd n       = t - shifter;
  const vd r       = (x - n * Splat(0x1.62e42fee00000p-1)) - n * Splat(0x1.a39ef35793c76p-33);
  vd       p       = Splat(1.0 / 5040);
  p                = p * r + Splat(1.0 / 720);
  p                = p * r + Splat(1.0 / 120);
  p                = p * r + Splat(1.0 / 24);
  p                = p * r + Splat(1.0 / 6);
  p                = p * r + Splat(0.5);
  p                = p * r + Splat(1.0);
  p                = p * r + Splat(1.0);
  const vi scale   = (((vi)t - (vi)shifter) + 1023) << 52; /* 2^n: |n| <= 116 */
  return p * (vd)scale;
}

/* Relative half-width of the band around the threshold where lanes are decided again with libm. */
static double guard_band = 0x1p-24;

void SweepRealGuardBand(double rel) { guard_band = rel; }

/* For tests: ExpPoly on n values with |x| <= 80, cloned like the kernel so that the tests measure
 * the version (with or without FMA) that the kernel runs. */
GLASSY_CLONES void SweepRealExpPoly(const double *x, double *y, int n)
{
  for (int i = 0; i + 8 <= n; i += 8) {
    vd v;
    memcpy(&v, x + i, sizeof v);
    v = ExpPoly(v);
    memcpy(y + i, &v, sizeof v);
  }
}

/* One word's 64 lanes at site p: returns the lanes that flip.  d is a constant after inlining. */
INLINE uint64_t DecideWord(const SweepArgs *a, const int d, int64_t p, int w, const uint32_t U[64])
{
  const Lattice  *lat = a->lat;
  const int       lanes = a->cpl->lanes;
  const int       metropolis = a->update == UPDATE_METROPOLIS;
  const vd        beta = Splat(metropolis ? -a->beta : a->beta), two32 = Splat(4294967296.0);
  const vd        lo = Splat(1 - guard_band), hi = Splat(1 + guard_band), clamp = Splat(80.0);
  const double   *Ju[GLASSY_MAX_DIM], *Jd[GLASSY_MAX_DIM];
  vu              su[GLASSY_MAX_DIM], sd[GLASSY_MAX_DIM], si = (vu){0} + *SweepWord(a, p, w);
  vu              flipv = {0}, unsurev = {0};
  uint64_t        flip = 0, unsure = 0;
  double          dEs[64];

  for (int k = 0; k < d; k++) {
    const int64_t up = p + lat->stride[k], dn = p - lat->stride[k];
    Ju[k] = a->cpl->J + (p * d + k) * lanes + 64 * w;
    Jd[k] = a->cpl->J + (dn * d + k) * lanes + 64 * w;
    su[k] = (vu){0} + *SweepWord(a, up, w);
    sd[k] = (vu){0} + *SweepWord(a, dn, w);
  }
  for (int c = 0; c < 8; c++) {
    const vu idx = (vu){0, 1, 2, 3, 4, 5, 6, 7} + (uint64_t)(8 * c);
    vd       h   = Splat(0.0);
    for (int k = 0; k < d; k++) {
      vd Jup, Jdn;
      memcpy(&Jup, Ju[k] + 8 * c, sizeof Jup);
      memcpy(&Jdn, Jd[k] + 8 * c, sizeof Jdn);
      h = h + ((vd)((vu)Jup ^ ((su[k] >> idx) << 63)) + (vd)((vu)Jdn ^ ((sd[k] >> idx) << 63))); /* J s_j, s_j = -1 for a set bit */
    }
    const vd dE = (vd)((vu)(h + h) ^ ((si >> idx) << 63)); /* 2 s_i h */
    vd       x  = beta * dE;
    x           = Select(x > clamp, clamp, x);
    x           = Select(x < -clamp, -clamp, x);
    const vd e  = ExpPoly(x);
    const vd q  = metropolis ? e * two32 : two32 / (Splat(1.0) + e);
    vu32     u32;
    memcpy(&u32, U + 8 * c, sizeof u32);
    const vd u1   = __builtin_convertvector(u32, vd) + Splat(1.0);
    const vi sure = metropolis ? (dE <= Splat(0.0)) : (vi){0};
    const vi acc  = sure | (u1 <= q * lo);
    const vi rej  = ~sure & (u1 > q * hi);
    const vu bit  = (vu){1, 1, 1, 1, 1, 1, 1, 1} << idx;
    flipv |= (vu)acc & bit;
    unsurev |= ~(vu)(acc | rej) & bit;
    memcpy(dEs + 8 * c, &dE, sizeof dE);
  }
  for (int i = 0; i < 8; i++) {
    flip |= flipv[i];
    unsure |= unsurev[i];
  }
  while (unsure) { /* the reference's own threshold, for lanes the cheap exp cannot settle */
    const int b = __builtin_ctzll(unsure);
    unsure &= unsure - 1;
    if ((uint64_t)U[b] < RngThreshold(SweepAcceptance(a->update, a->beta, dEs[b]))) flip |= (uint64_t)1 << b;
  }
  if (a->dE)
    for (uint64_t f = flip; f; f &= f - 1) {
      const int b = __builtin_ctzll(f);
      a->dE[64 * w + b] += (int64_t)(dEs[b] * GLASSY_FIX_ONE);
    }
  return flip;
}

GLASSY_CLONES void SweepRealMultispin(const SweepArgs *a, const int64_t *sites, int64_t n)
{
  const int W = a->cpl->W;
  uint32_t  U[4][64];

  for (int64_t s0 = 0; s0 < n; s0 += 4) { /* the uniforms of four sites are drawn together */
    const int m = n - s0 < 4 ? (int)(n - s0) : 4;
    uint32_t  g[4];
    for (int i = 0; i < 4; i++) g[i] = (uint32_t)a->lat->global[sites[s0 + (i < m ? i : 0)]];
    for (int w = 0; w < W; w++) {
      RngUpdateLaneSites4(RngKeyMake(a->seed, (uint32_t)(a->first_sample + 64 * w)), g, a->sweep, a->slot, U);
      for (int i = 0; i < m; i++) {
        const int64_t p = sites[s0 + i];
        uint64_t      flip;
        switch (a->lat->dim) { /* a constant dimension lets the compiler unroll the bonds */
        case 2: flip = DecideWord(a, 2, p, w, U[i]); break;
        case 3: flip = DecideWord(a, 3, p, w, U[i]); break;
        default: flip = DecideWord(a, 4, p, w, U[i]); break;
        }
        *SweepWord(a, p, w) ^= flip;
      }
    }
  }
}
