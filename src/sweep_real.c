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
 * On CPUs with AVX-512 (and GCC 11 or later) RealAvx512 below decides 16 lanes per step in
 * single precision: the field from a float copy of the couplings, whose signs come from the spin
 * words as mask registers, then x = -+beta dE and its exp.  BandFloat bounds the error of that
 * arithmetic from the couplings' largest local field, and the lanes inside the band (about one
 * attempt in 10^4 on W2) are decided with the reference's own double dE and libm.  So this kernel
 * too makes the reference's decisions, and its speed does not depend on how close the float field
 * is to the double one.
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

/* Relative half-widths of the bands around the threshold where lanes are decided again with libm:
 * each kernel's own, or a wider one that tests set. */
enum { BAND_DOUBLE = -24, BAND_FLOAT = -16 };
static double test_band = 0;

void SweepRealGuardBand(double rel) { test_band = rel; }

static double Band(int log2) { return test_band > ldexp(1, log2) ? test_band : ldexp(1, log2); }

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

/* The fallback for lanes the fast arithmetic cannot settle, and the energy changes of the flips. */
static uint64_t Settle(const SweepArgs *a, int w, const uint32_t U[64], const double dEs[64], uint64_t flip, uint64_t unsure)
{
  while (unsure) { /* the reference's own threshold */
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

/* One word's 64 lanes at site p: returns the lanes that flip.  d is a constant after inlining. */
INLINE uint64_t DecideWord(const SweepArgs *a, const int d, int64_t p, int w, const uint32_t U[64])
{
  const Lattice  *lat = a->lat;
  const int       lanes = a->cpl->lanes;
  const int       metropolis = a->update == UPDATE_METROPOLIS;
  const vd        beta = Splat(metropolis ? -a->beta : a->beta), two32 = Splat(4294967296.0);
  const double    band = Band(BAND_DOUBLE);
  const vd        lo = Splat(1 - band), hi = Splat(1 + band), clamp = Splat(80.0);
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
  return Settle(a, w, U, dEs, flip, unsure);
}

#if GLASSY_X86_VAES
#include <immintrin.h>
#define HAVE_REAL_AVX512 1
#define AVX512R __attribute__((target("avx512f"), always_inline)) static inline

/* exp(x) in single precision for |x| <= 80: 2^n exp(r), |r| <= ln2/2, exp(r) from its Taylor
 * series to r^6 (relative error below 2^-21, tests/test_kernels.c checks it). */
AVX512R __m512 ExpPolyF(__m512 x)
{
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(0x1.715476p0f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-0x1.05c610p-29f), _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.62e430p-1f), x)); /* x - n ln2, ln2 in two parts */
  __m512       p = _mm512_set1_ps(1.0f / 720);
  p              = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p              = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p              = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p              = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p              = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p              = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

/* The reference's dE of lane b (the same doubles in the same order), for the lanes the float
 * arithmetic leaves unsure and for the energies of tracked runs. */
static double ExactDE(const SweepArgs *a, int d, int64_t p, int w, int b)
{
  const Lattice *lat = a->lat;
  const int      lanes = a->cpl->lanes, l = 64 * w + b;
  const double  *J = a->cpl->J;
  double         h = 0;
  for (int k = 0; k < d; k++) {
    const int64_t up = p + lat->stride[k], dn = p - lat->stride[k];
    const double  su = ((*SweepWord(a, up, w) >> b) & 1u) ? -1.0 : 1.0, sd = ((*SweepWord(a, dn, w) >> b) & 1u) ? -1.0 : 1.0;
    h += J[(p * d + k) * lanes + l] * su + J[(dn * d + k) * lanes + l] * sd;
  }
  return 2.0 * (((*SweepWord(a, p, w) >> b) & 1u) ? -1.0 : 1.0) * h;
}

/* A vector of 16 couplings with its sign flipped where the mask (spin -1) is set. */
AVX512R __m512 Signed(__m512 J, __mmask16 m) { return _mm512_castsi512_ps(_mm512_mask_xor_epi32(_mm512_castps_si512(J), m, _mm512_castps_si512(J), _mm512_set1_epi32((int)0x80000000u))); }

/* The relative half-width of the float kernel's band at inverse temperature beta, from the errors
 * (u = 2^-24, F = the couplings' field bound on this rank): rounding J to float and summing 2d <= 8
 * terms puts the field within 10 u F of the reference's (about 5 u F is the bound), so x = -+beta dE
 * within dx = 20 u beta F + 2 u |x| (|x| <= 80 after clamping), a relative error expm1(dx) in
 * exp(x); the exp adds 2^-21 = 8 u (tested), the products, U + 1 and its conversion 6 u.  The band
 * is twice their sum.  Where it exceeds BAND_EXACT_ONLY (beta F near 2^19, with couplings as large
 * as the 2^30 limit on sum |J| allows, or temperatures near 10^-6), the float arithmetic settles
 * nothing and every lane takes the exact path. */
static double BandFloat(double beta, double F) { return 2 * (expm1(0x1p-24 * (20 * beta * F + 160)) + 0x1p-24 * (8 + 6)); }

#define BAND_EXACT_ONLY 0x1p-4

/* One word's 64 lanes, 16 per step: the field in single precision from the float couplings, the
 * exp in single precision, and the lanes inside the band (or all flips, when the energy is
 * tracked) given the reference's double dE. */
AVX512R uint64_t DecideWordF(const SweepArgs *a, const int d, int64_t p, int w, const uint32_t U[64], double band)
{
  const Lattice *lat = a->lat;
  const int      lanes = a->cpl->lanes, metropolis = a->update == UPDATE_METROPOLIS;
  const __m512   beta = _mm512_set1_ps((float)(metropolis ? -a->beta : a->beta)), two32 = _mm512_set1_ps(4294967296.0f), one = _mm512_set1_ps(1.0f);
  const __m512   lo = _mm512_set1_ps((float)(1 - band)), hi = _mm512_set1_ps((float)(1 + band));
  const float   *Ju[GLASSY_MAX_DIM], *Jd[GLASSY_MAX_DIM];
  uint64_t       su[GLASSY_MAX_DIM], sd[GLASSY_MAX_DIM], flip = 0, unsure = 0;
  const uint64_t si = *SweepWord(a, p, w);

#pragma GCC unroll 4
  for (int k = 0; k < d; k++) {
    const int64_t up = p + lat->stride[k], dn = p - lat->stride[k];
    Ju[k] = a->cpl->Jf + (p * d + k) * lanes + 64 * w;
    Jd[k] = a->cpl->Jf + (dn * d + k) * lanes + 64 * w;
    su[k] = *SweepWord(a, up, w);
    sd[k] = *SweepWord(a, dn, w);
  }
  if (band < BAND_EXACT_ONLY) {
#pragma GCC unroll 4
    for (int c = 0; c < 4; c++) {
      const int off = 16 * c;
      __m512    h   = _mm512_setzero_ps();
#pragma GCC unroll 4
      for (int k = 0; k < d; k++) h = _mm512_add_ps(h, _mm512_add_ps(Signed(_mm512_loadu_ps(Ju[k] + off), (__mmask16)(su[k] >> off)), Signed(_mm512_loadu_ps(Jd[k] + off), (__mmask16)(sd[k] >> off))));
      __m512 x = _mm512_mul_ps(beta, Signed(_mm512_add_ps(h, h), (__mmask16)(si >> off))); /* -+beta 2 s_i h */
      x        = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-80.0f)), _mm512_set1_ps(80.0f));
      const __m512    e   = ExpPolyF(x);
      const __m512    q   = metropolis ? _mm512_mul_ps(e, two32) : _mm512_div_ps(two32, _mm512_add_ps(one, e));
      const __m512    u1  = _mm512_add_ps(_mm512_cvtepu32_ps(_mm512_loadu_si512(U + off)), one);
      const __mmask16 acc = _mm512_cmp_ps_mask(u1, _mm512_mul_ps(q, lo), _CMP_LE_OQ), rej = _mm512_cmp_ps_mask(u1, _mm512_mul_ps(q, hi), _CMP_GT_OQ);
      flip |= (uint64_t)acc << off;
      unsure |= (uint64_t)(uint16_t)~(acc | rej) << off;
    }
  } else unsure = ~(uint64_t)0; /* the float arithmetic settles nothing */
  /* Metropolis accepts every lane with dE <= 0 (q >= 2^32 there), so no lane is accepted or
   * rejected on the sign of an approximate dE. */
  while (unsure) {
    const int b = __builtin_ctzll(unsure);
    unsure &= unsure - 1;
    if ((uint64_t)U[b] < RngThreshold(SweepAcceptance(a->update, a->beta, ExactDE(a, d, p, w, b)))) flip |= (uint64_t)1 << b;
  }
  if (a->dE)
    for (uint64_t f = flip; f; f &= f - 1) {
      const int b = __builtin_ctzll(f);
      a->dE[64 * w + b] += (int64_t)(ExactDE(a, d, p, w, b) * GLASSY_FIX_ONE);
    }
  return flip;
}

/* One word of site p with the AVX-512 kernel, inside the given band. */
__attribute__((target("avx512f"))) static uint64_t DecideAvx512(const SweepArgs *a, int64_t p, int w, const uint32_t U[64], double band)
{
  switch (a->lat->dim) { /* a constant dimension lets the compiler unroll the bonds */
  case 2: return DecideWordF(a, 2, p, w, U, band);
  case 3: return DecideWordF(a, 3, p, w, U, band);
  default: return DecideWordF(a, 4, p, w, U, band);
  }
}

__attribute__((target("avx512f"))) static void ExpPolyFAvx512(const float *x, float *y, int n)
{
  for (int i = 0; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, ExpPolyF(_mm512_loadu_ps(x + i)));
}
#endif

static int force_portable; /* tests: the vector-extension kernel even where AVX-512 exists */

void SweepRealForcePortable(int on) { force_portable = on; }

static int UseAvx512(void)
{
#if HAVE_REAL_AVX512
  return !force_portable && __builtin_cpu_supports("avx512f");
#else
  return 0;
#endif
}

int SweepRealExpPolyF(const float *x, float *y, int n)
{
#if HAVE_REAL_AVX512
  if (__builtin_cpu_supports("avx512f")) {
    ExpPolyFAvx512(x, y, n);
    return 1;
  }
#endif
  (void)x, (void)y, (void)n;
  return 0;
}

/* One word of site p with the vector-extension kernel (its band is fixed). */
GLASSY_CLONES static uint64_t DecidePortable(const SweepArgs *a, int64_t p, int w, const uint32_t U[64], double band)
{
  (void)band;
  switch (a->lat->dim) { /* a constant dimension lets the compiler unroll the bonds */
  case 2: return DecideWord(a, 2, p, w, U);
  case 3: return DecideWord(a, 3, p, w, U);
  default: return DecideWord(a, 4, p, w, U);
  }
}

void SweepRealMultispin(const SweepArgs *a, const int64_t *sites, int64_t n)
{
  uint64_t (*decide)(const SweepArgs *, int64_t, int, const uint32_t *, double) = DecidePortable;
  uint32_t U[4][64];
  double   band = 0;
#if HAVE_REAL_AVX512
  if (UseAvx512()) {
    decide = DecideAvx512;
    band   = PetscMax(Band(BAND_FLOAT), BandFloat(a->beta, a->cpl->field_bound)); /* once per call: it takes an expm1 */
  }
#endif
  for (int64_t s0 = 0; s0 < n; s0 += 4) { /* the uniforms of four sites are drawn together */
    const int m = n - s0 < 4 ? (int)(n - s0) : 4;
    uint32_t  g[4];
    for (int i = 0; i < 4; i++) g[i] = (uint32_t)a->lat->global[sites[s0 + (i < m ? i : 0)]];
    for (int w = 0; w < a->cpl->W; w++) {
      RngUpdateLaneSites4(RngKeyMake(a->seed, (uint32_t)(a->first_sample + 64 * w)), g, a->sweep, a->slot, U);
      for (int i = 0; i < m; i++) {
        const uint64_t flip = decide(a, sites[s0 + i], w, U[i], band);
        *SweepWord(a, sites[s0 + i], w) ^= flip;
      }
    }
  }
}
