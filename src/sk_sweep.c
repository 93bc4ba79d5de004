/* SK single-spin sweeps (see sk.h).  Every kernel visits the spins of each copy in order 0..N-1
 * with the copy's own uniforms from RNG_UPDATE_LANE {site/4, sweep, r nT + k}, and makes the same
 * decisions from the same fields, so all of them give bit-identical trajectories (tests/sk.sh
 * checks it).  A flip of spin j changes every field by h_i += 2 s_j K_ji.
 *
 * Real couplings, double-precision fields:
 * - reference: after each accepted flip, add the row K_j to the copy's N fields;
 * - blocked: take the sites in blocks of SK_BLOCK.  Within a block each copy keeps a private copy
 *   of the block's own fields, updated at every flip, and records its flips.  After the block,
 *   every field of every copy is brought up to date in one pass, adding the recorded rows in the
 *   order the flips happened while the partial sums sit in registers.  The fields are read and
 *   written once per block instead of once per flip, and each element still receives exactly
 *   the additions the reference makes, in the same order, so the rounding is the same.
 *
 * Couplings +-c (sk->intpath), exact integer fields H = h / c:
 * - reference: incremental int16 fields as above, plain loops;
 * - popcount: no fields are kept during the sweep.  With the signs of K as bits and the spins as
 *   bits (set for -1), H_i = (N-1) - 2 (popcount(signs_i XOR spins) - spin bit i): N/64 words
 *   per attempt, a few vector instructions at N = 1024, and a flip costs one bit.
 *
 * The vector loops are written with GCC vector types and cloned for AVX-512, AVX2 and plain
 * x86-64, chosen at run time; with -ffp-contract=off every clone rounds identically. */
#include "sk.h"
#include "rng.h"
#include "sweep.h"

#include <immintrin.h>
#include <string.h>

#define SK_BLOCK 32 /* sites per block; a multiple of 4 (one Philox draw serves 4 sites) */

typedef double      SKVector __attribute__((vector_size(64), aligned(8)));

/* Row i of a matrix starts at i ld. */
static inline const double *SKMatrix(const SK *sk, int g) { return sk->K + (int64_t)(sk->nmat == 1 ? 0 : SKCopySample(sk, g)) * sk->N * sk->ld; }
static inline const uint64_t *SKBits(const SK *sk, int g) { return sk->Kbits + (int64_t)(sk->nmat == 1 ? 0 : SKCopySample(sk, g)) * sk->N * sk->Wn; }

/* h += f K_i over n elements.  (gcc -O2 leaves the plain loop scalar.) */
GLASSY_CLONES static void SKAddRow(double *restrict h, const double *restrict Ki, double f, int n)
{
  int j = 0;
  for (; j + 8 <= n; j += 8) *(SKVector *)(h + j) += f * *(const SKVector *)(Ki + j);
  for (; j < n; j++) h[j] += f * Ki[j];
}

/* popcount(a XOR b) over n words: the count behind the exact integer fields. */
typedef int (*SKXorCount)(const uint64_t *a, const uint64_t *b, int n);

static inline __attribute__((always_inline)) int SKXorCountScalar(const uint64_t *a, const uint64_t *b, int n)
{
  int x = 0;
  for (int w = 0; w < n; w++) x += __builtin_popcountll(a[w] ^ b[w]);
  return x;
}

__attribute__((target("avx512f,avx512vpopcntdq"))) static inline int SKXorCountAVX512(const uint64_t *a, const uint64_t *b, int n)
{
  __m512i acc = _mm512_setzero_si512();
  int     w   = 0;
  for (; w + 8 <= n; w += 8) acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(a + w), _mm512_loadu_si512(b + w))));
  if (w < n) {
    const __mmask8 m = (__mmask8)((1u << (n - w)) - 1);
    acc              = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_maskz_loadu_epi64(m, a + w), _mm512_maskz_loadu_epi64(m, b + w))));
  }
  return (int)_mm512_reduce_add_epi64(acc);
}

__attribute__((target("popcnt"))) static int SKXorCountPOPCNT(const uint64_t *a, const uint64_t *b, int n) { return SKXorCountScalar(a, b, n); }
static int SKXorCountPlain(const uint64_t *a, const uint64_t *b, int n) { return SKXorCountScalar(a, b, n); }
__attribute__((target("avx512f,avx512vpopcntdq"))) static int SKXorCountAVX512Call(const uint64_t *a, const uint64_t *b, int n) { return SKXorCountAVX512(a, b, n); }

/* What this CPU can count bits with: 2 AVX-512 VPOPCNTQ, 1 the POPCNT instruction, 0 neither. */
static int SKPopcountLevel(void)
{
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512vpopcntdq") ? 2 : (__builtin_cpu_supports("popcnt") ? 1 : 0);
}

/* The fastest counter this CPU runs. */
static SKXorCount SKXorCountBest(void)
{
  static const SKXorCount best[3] = {SKXorCountPlain, SKXorCountPOPCNT, SKXorCountAVX512Call};
  return best[SKPopcountLevel()];
}

void SKPackSpins(const signed char *s, int N, int Wn, uint64_t *t)
{
  for (int w = 0; w < Wn; w++) t[w] = 0;
  for (int j = 0; j < N; j++) t[j / 64] |= (uint64_t)(s[j] < 0) << (j % 64); /* no branch: the spins are random */
}

void SKIntFieldsEnsure(SK *sk)
{
  if (sk->hint_valid) return;
  for (int c = 0; c < sk->ncopies; c++) SKFieldsCompute(sk, c);
  sk->hint_valid = PETSC_TRUE;
}

void SKFieldsCompute(SK *sk, int c)
{
  const int          N = sk->N, g = sk->first + c;
  const signed char *s = sk->spins + (int64_t)c * N;
  if (sk->intpath) { /* exact integers */
    const uint64_t *B = SKBits(sk, g);
    int16_t        *H = sk->hint + (int64_t)c * sk->ld;
    uint64_t        t[GLASSY_MAX_SK_N / 64];
    const SKXorCount count = SKXorCountBest();
    SKPackSpins(s, N, sk->Wn, t);
    for (int i = 0; i < N; i++) H[i] = (int16_t)((N - 1) - 2 * (count(B + (int64_t)i * sk->Wn, t, sk->Wn) - (int)((t[i / 64] >> (i % 64)) & 1)));
  } else { /* h_i = sum_j s_j K_ji, added in the order j = 0..N-1 for every i */
    const double *K = SKMatrix(sk, g);
    double       *h = sk->fields + (int64_t)c * sk->ld;
    for (int i = 0; i < N; i++) h[i] = 0;
    for (int j = 0; j < N; j++) SKAddRow(h, K + (int64_t)j * sk->ld, s[j], N);
  }
}

/* What one copy needs during a sweep: its random stream, temperature and state. */
typedef struct {
  RngKey           key;
  uint32_t         slot;
  double           beta;
  const uint64_t  *thr; /* integer path: thresholds indexed by s_i H_i */
  signed char     *s;
  double          *h;
  int16_t         *H;
  philox4x32_ctr_t r;
} SKCopy;

static void SKCopiesSetup(const SK *sk, int c0, int c1, SKCopy *cp)
{
  for (int c = 0; c < c1 - c0; c++) {
    const int g = sk->first + c0 + c;
    cp[c].key   = RngKeyMake(sk->seed, (uint32_t)(sk->first_sample + SKCopySample(sk, g)));
    cp[c].slot  = (uint32_t)(SKCopyReplica(sk, g) * sk->nT + SKCopyIndex(sk, g));
    cp[c].beta  = sk->beta[sk->temp_of[g]];
    cp[c].thr   = sk->intpath ? sk->ithr + (int64_t)sk->temp_of[g] * (2 * sk->N - 1) + (sk->N - 1) : NULL;
    cp[c].s     = sk->spins + (int64_t)(c0 + c) * sk->N;
    cp[c].h     = sk->fields + (int64_t)(c0 + c) * sk->ld;
    cp[c].H     = sk->intpath ? sk->hint + (int64_t)(c0 + c) * sk->ld : NULL;
  }
}

/* The uniform of site i of a copy, for the reference kernel: one Philox draw serves 4 sites. */
static inline uint32_t SKUniform(const SK *sk, SKCopy *cp, int i)
{
  if ((i & 3) == 0) cp->r = RngDraw(cp->key, (uint32_t)(i >> 2), (uint32_t)sk->sweep, cp->slot, RNG_UPDATE_LANE, 1);
  return cp->r.v[i & 3];
}

/* Does a flip that would change the energy by dE happen, given the uniform u?  (Double path.) */
static inline int SKAccept(GlassyUpdate update, double beta, uint32_t u, double dE)
{
  if (update == UPDATE_METROPOLIS && dE <= 0) return 1;
  return (uint64_t)u < RngThreshold(SweepAcceptance(update, beta, dE));
}

/* Reference: sites outside, copies inside, so the row K_i an accepted flip needs is read once
 * for all the copies; every flip updates the copy's N fields at once. */
static void SKSweepReference(SK *sk, int c0, int c1, SKCopy *cp)
{
  const int N = sk->N, nc = c1 - c0;
  if (sk->intpath) {
    const uint64_t *B = SKBits(sk, sk->first + c0);
    SKIntFieldsEnsure(sk);
    for (int i = 0; i < N; i++)
      for (int c = 0; c < nc; c++) {
        int16_t *H = cp[c].H;
        if ((uint64_t)SKUniform(sk, &cp[c], i) >= cp[c].thr[cp[c].s[i] * H[i]]) continue;
        cp[c].s[i] = (signed char)-cp[c].s[i];
        for (int j = 0; j < N; j++) {
          const int sign = (B[(int64_t)i * sk->Wn + j / 64] >> (j % 64)) & 1 ? -1 : 1;
          if (j != i) H[j] = (int16_t)(H[j] + 2 * cp[c].s[i] * sign);
        }
      }
  } else {
    const double *K = SKMatrix(sk, sk->first + c0);
    for (int i = 0; i < N; i++)
      for (int c = 0; c < nc; c++) {
        if (!SKAccept(sk->opt->update, cp[c].beta, SKUniform(sk, &cp[c], i), 2.0 * cp[c].s[i] * cp[c].h[i])) continue;
        cp[c].s[i] = (signed char)-cp[c].s[i];
        SKAddRow(cp[c].h, K + (int64_t)i * sk->ld, 2.0 * cp[c].s[i], N);
      }
  }
}

/* Bring the fields of nc copies up to date with their recorded flips: copy c flipped the sites
 * site[c][0..nflip[c]) in that order, with field changes f[c][k] K_site.  Elements are taken 64
 * at a time; each copy's partial sums stay in registers while its rows are added.  Eight
 * independent sums keep the adders busy despite their latency. */
#define SK_APPLY_VECTORS 8
GLASSY_CLONES static void SKApplyFlips(int N, int ld, int nc, double *const *h, const double *restrict K, const int *site, const double *f, const int *nflip)
{
  enum { W = 8 * SK_APPLY_VECTORS };
  int j = 0;
  for (; j + W <= N; j += W)
    for (int c = 0; c < nc; c++) {
      const int    *sc = site + c * SK_BLOCK;
      const double *fc = f + c * SK_BLOCK;
      double       *hc = h[c] + j;
      SKVector      a[SK_APPLY_VECTORS];
      if (!nflip[c]) continue;
      _Pragma("GCC unroll 8") for (int v = 0; v < SK_APPLY_VECTORS; v++) a[v] = *(SKVector *)(hc + 8 * v);
      for (int k = 0; k < nflip[c]; k++) {
        const double *Kr = K + (int64_t)sc[k] * ld + j;
        _Pragma("GCC unroll 8") for (int v = 0; v < SK_APPLY_VECTORS; v++) a[v] += fc[k] * *(const SKVector *)(Kr + 8 * v);
      }
      _Pragma("GCC unroll 8") for (int v = 0; v < SK_APPLY_VECTORS; v++) *(SKVector *)(hc + 8 * v) = a[v];
    }
  for (; j < N; j++)
    for (int c = 0; c < nc; c++)
      for (int k = 0; k < nflip[c]; k++) h[c][j] += f[c * SK_BLOCK + k] * K[(int64_t)site[c * SK_BLOCK + k] * ld + j];
}

/* One copy's decisions over the block of sites i0 .. i0+nb-1 (blocked kernel), with the uniforms
 * u[0..nb): its fields of the block are kept up to date in hb at every flip; the flips are
 * recorded in site[] and f[] and counted in the return value.  K points at the copy's matrix. */
GLASSY_CLONES static int SKDecideBlock(const SK *sk, SKCopy *x, const double *K, int i0, int nb, const uint32_t *u, int *site, double *f)
{
  double hb[SK_BLOCK] __attribute__((aligned(64)));
  int    n = 0;
  memcpy(hb, x->h + i0, sizeof(*hb) * nb);
  for (int k = 0; k < nb; k++) {
    const int     i  = i0 + k;
    const double *Kr = K + (int64_t)i * sk->ld + i0;
    double        d;
    if (!SKAccept(sk->opt->update, x->beta, u[k], 2.0 * x->s[i] * hb[k])) continue;
    x->s[i] = (signed char)-x->s[i];
    d       = 2.0 * x->s[i];
    site[n] = i;
    f[n++]  = d;
    if (nb == SK_BLOCK) _Pragma("GCC unroll 8") for (int v = 0; v < SK_BLOCK / 8; v++) *(SKVector *)(hb + 8 * v) += d * *(const SKVector *)(Kr + 8 * v);
    else for (int m = 0; m < nb; m++) hb[m] += d * Kr[m];
  }
  return n;
}

/* The uniforms of the block of sites starting at i0 for nc copies, u[c SK_BLOCK + k] for site
 * i0 + k: the same RNG_UPDATE_LANE draws as SKUniform, made together. */
static void SKBlockUniforms(const SK *sk, int nc, int i0, const uint32_t *k0, const uint32_t *k1, uint32_t *q, const uint32_t *slot, uint32_t *u)
{
  const int nq = SK_BLOCK / 4;
  for (int c = 0; c < nc; c++)
    for (int k = 0; k < nq; k++) q[c * nq + k] = (uint32_t)(i0 / 4 + k);
  RngDrawMany(nc * nq, k0, k1, q, slot, (uint32_t)sk->sweep, RNG_UPDATE_LANE, 1, u);
}

/* Blocked (see the top of the file). */
static PetscErrorCode SKSweepBlocked(SK *sk, int c0, int c1, SKCopy *cp)
{
  const int     N = sk->N, nc = c1 - c0;
  const int     nq = SK_BLOCK / 4; /* Philox draws per copy and block */
  const double *K  = SKMatrix(sk, sk->first + c0);
  int      *site, *nflip;
  double   *f, **h;
  uint32_t *k0, *k1, *q, *slot, *u;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc4(nc * SK_BLOCK, &site, nc, &nflip, nc * SK_BLOCK, &f, nc, &h));
  PetscCall(PetscMalloc5(nc * nq, &k0, nc * nq, &k1, nc * nq, &q, nc * nq, &slot, nc * SK_BLOCK, &u));
  for (int c = 0; c < nc; c++) {
    h[c] = cp[c].h;
    for (int k = 0; k < nq; k++) {
      k0[c * nq + k]   = cp[c].key.v[0];
      k1[c * nq + k]   = cp[c].key.v[1];
      slot[c * nq + k] = cp[c].slot;
    }
  }
  for (int i0 = 0; i0 < N; i0 += SK_BLOCK) {
    const int nb = N - i0 < SK_BLOCK ? N - i0 : SK_BLOCK;
    SKBlockUniforms(sk, nc, i0, k0, k1, q, slot, u);
    for (int c = 0; c < nc; c++) nflip[c] = SKDecideBlock(sk, &cp[c], K, i0, nb, u + c * SK_BLOCK, site + c * SK_BLOCK, f + c * SK_BLOCK);
    SKApplyFlips(N, sk->ld, nc, h, K, site, f, nflip);
  }
  PetscCall(PetscFree4(site, nflip, f, h));
  PetscCall(PetscFree5(k0, k1, q, slot, u));
  PetscFunctionReturn(0);
}

/* Popcount kernel (integer path; see the top of the file).  The body is inlined into one
 * function per instruction set, each with its own way of counting the bits of signs XOR spins;
 * u holds the uniforms of 4 sites for every copy, t the packed spins of every copy. */
static inline __attribute__((always_inline)) void SKPopcountBody(const SK *sk, int nc, SKCopy *cp, const uint64_t *B, uint64_t *t, const uint32_t *k0, const uint32_t *k1, uint32_t *q, const uint32_t *slot, uint32_t *u, SKXorCount count)
{
  const int N = sk->N, Wn = sk->Wn;
  for (int i = 0; i < N; i++) {
    const uint64_t *Bi   = B + (int64_t)i * Wn;
    const uint64_t  mask = (uint64_t)1 << (i % 64);
    if ((i & 3) == 0) {
      for (int c = 0; c < nc; c++) q[c] = (uint32_t)(i >> 2);
      RngDrawMany(nc, k0, k1, q, slot, (uint32_t)sk->sweep, RNG_UPDATE_LANE, 1, u);
    }
    for (int c = 0; c < nc; c++) {
      uint64_t *tc = t + (int64_t)c * Wn;
      const int down = (tc[i / 64] & mask) != 0;
      const int H    = (N - 1) - 2 * (count(Bi, tc, Wn) - down);
      const int flip = (uint64_t)u[4 * c + (i & 3)] < cp[c].thr[H * (1 - 2 * down)]; /* s_i H_i */
      /* Without a branch: half the decisions at high temperature go either way. */
      cp[c].s[i] = (signed char)(cp[c].s[i] * (1 - 2 * flip));
      tc[i / 64] ^= mask & -(uint64_t)flip;
    }
  }
}

__attribute__((target("avx512f,avx512vpopcntdq"))) static void SKPopcountAVX512(const SK *sk, int nc, SKCopy *cp, const uint64_t *B, uint64_t *t, const uint32_t *k0, const uint32_t *k1, uint32_t *q, const uint32_t *slot, uint32_t *u)
{
  SKPopcountBody(sk, nc, cp, B, t, k0, k1, q, slot, u, SKXorCountAVX512);
}

__attribute__((target("popcnt"))) static void SKPopcountPOPCNT(const SK *sk, int nc, SKCopy *cp, const uint64_t *B, uint64_t *t, const uint32_t *k0, const uint32_t *k1, uint32_t *q, const uint32_t *slot, uint32_t *u)
{
  SKPopcountBody(sk, nc, cp, B, t, k0, k1, q, slot, u, SKXorCountScalar);
}

static void SKPopcountPlain(const SK *sk, int nc, SKCopy *cp, const uint64_t *B, uint64_t *t, const uint32_t *k0, const uint32_t *k1, uint32_t *q, const uint32_t *slot, uint32_t *u)
{
  SKPopcountBody(sk, nc, cp, B, t, k0, k1, q, slot, u, SKXorCountScalar);
}

static PetscErrorCode SKSweepPopcount(SK *sk, int c0, int c1, SKCopy *cp)
{
  const int nc = c1 - c0, Wn = sk->Wn;
  uint64_t *t = sk->tbits + (int64_t)c0 * Wn; /* kept between sweeps */
  uint32_t *k0, *k1, *q, *slot, *u;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc5(nc, &k0, nc, &k1, nc, &q, nc, &slot, 4 * nc, &u));
  for (int c = 0; c < nc; c++) {
    if (!sk->tbits_valid) SKPackSpins(cp[c].s, sk->N, Wn, t + (int64_t)c * Wn);
    k0[c]   = cp[c].key.v[0];
    k1[c]   = cp[c].key.v[1];
    slot[c] = cp[c].slot;
  }
  {
    static void (*const sweep[3])(const SK *, int, SKCopy *, const uint64_t *, uint64_t *, const uint32_t *, const uint32_t *, uint32_t *, const uint32_t *, uint32_t *) = {SKPopcountPlain, SKPopcountPOPCNT, SKPopcountAVX512};
    sweep[SKPopcountLevel()](sk, nc, cp, SKBits(sk, sk->first + c0), t, k0, k1, q, slot, u);
  }
  sk->hint_valid = PETSC_FALSE;
  PetscCall(PetscFree5(k0, k1, q, slot, u));
  PetscFunctionReturn(0);
}

const char *SKKernelName(const SK *sk) { return sk->opt->kernel == KERNEL_REFERENCE ? "reference" : (sk->intpath ? "popcount" : "blocked"); }

PetscErrorCode SKSweep(SK *sk, int c0, int c1)
{
  SKCopy *cp;
  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(c1 - c0, &cp));
  SKCopiesSetup(sk, c0, c1, cp);
  if (sk->opt->kernel == KERNEL_REFERENCE) SKSweepReference(sk, c0, c1, cp);
  else if (sk->intpath) PetscCall(SKSweepPopcount(sk, c0, c1, cp)); /* leaves tbits valid (SKRun) */
  else PetscCall(SKSweepBlocked(sk, c0, c1, cp));
  PetscCall(PetscFree(cp));
  PetscFunctionReturn(0);
}
