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
 * bit-serially from the most significant bit until the lane is decided.  The random words are the
 * RNG_UPDATE stream's ARS-7 blocks (one block per slot and round, two words, two bits), computed
 * in place with VAES, four blocks per instruction.
 *
 * The bits are spent in two stages.  Each vector first takes INLINE_ROUNDS = 6 rounds (12 bits)
 * without testing, their twelve AES chains computed together so that they keep the AES units
 * busy; that decides all but one lane in 4^6 of those with a random decision, and about one
 * vector in ten (W1's ladder) still has an undecided lane.  Such a vector is queued (its
 * undecided lanes and their classes), and the queue is worked through round by round, GROUP = 4
 * vectors' blocks (eight AES chains) at a time, dropping the vectors that are done, so the later
 * rounds are paid only by the vectors that need them.  On W1 (L = 16, same CPU, best of five)
 * 4, 5, 6 and 7 inline rounds gave 32.4, 27.4, 25.6 and 28.8 ns per vector and site.  The queued
 * vectors' flips land after their site's store; the sites of one call are of one colour, so no
 * site of the call reads them.
 *
 * On request (a->tally, sweep.h) the kernel also counts each updated site's down spins and, in
 * the second colour's pass, its unsatisfied bonds, for the measurement that follows the sweep.
 *
 * The kernel is written for AVX-512 with VAES (mask registers, three-input logic, 512-bit AES) and
 * built with GCC 11 or later (GLASSY_X86_VAES); on other CPUs, and in other builds,
 * SweepBimodalSlots runs the eight-site kernel slot by slot, which makes the same decisions. */
#include "sweep.h"
#include <stdlib.h>
#include <string.h>

enum { NCLASS_MAX = 2 * GLASSY_MAX_DIM + 1, PREFETCH_AHEAD = 2, INLINE_ROUNDS = 6, ROUNDS = 16, QUEUE_MAX = 64, GROUP = 4 };

#if GLASSY_X86_VAES
#include <immintrin.h>
#define HAVE_SLOTS_AVX512 1
#define AVX512 __attribute__((target("avx512f,vaes"), always_inline)) static inline
#define ONES   _mm512_set1_epi64(-1)

/* Acceptance classes of one vector of eight slots. */
typedef struct {
  __m512i always[NCLASS_MAX], random[NCLASS_MAX]; /* element e: all ones if slot e's class n always flips / flips at random */
  __m512i pbit[32][NCLASS_MAX];                   /* [j][n]: all ones where bit 31-j of a random class's threshold is set */
  __m512i ctr[2];                                 /* counter words 2 and 3 of the vector's round-0 ARS blocks (see Vector) */
  int     alo, rlo, nr;                           /* classes >= alo may always flip; rlo .. rlo+nr-1 may be random */
  int     suffix;                                 /* every element: exactly the classes >= alo always flip */
  int     complement;                             /* suffix, and every class < alo flips at random in every element */
  int     lz;                                     /* leading threshold bits that are zero in every random class and element */
} Classes;

static void ClassesMake(const uint64_t *thresholds, int nclass, uint32_t slot0, Classes *c)
{
  const uint64_t always = (uint64_t)1 << 32;
  uint64_t       al[NCLASS_MAX][8], ra[NCLASS_MAX][8];
  int            rhi = 0;
  c->alo              = nclass;
  c->rlo              = nclass;
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
      rhi = n + 1;
    }
  }
  c->nr     = rhi > c->rlo ? rhi - c->rlo : 0;
  c->suffix = 1;
  for (int n = 0; n < nclass; n++)
    for (int e = 0; e < 8; e++) c->suffix &= al[n][e] == (n >= c->alo ? ~(uint64_t)0 : 0);
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
  c->complement = c->suffix;
  for (int n = 0; n < c->alo; n++)
    for (int e = 0; e < 8; e++) c->complement &= ra[n][e] == ~(uint64_t)0;
  c->lz = 0;
  while (c->lz < 32) {
    int any = 0;
    for (int n = c->rlo; n < c->rlo + c->nr; n++)
      for (int e = 0; e < 8; e++) {
        const uint64_t P = thresholds[e * nclass + n];
        any |= P > 0 && P < always && ((P >> (31 - c->lz)) & 1);
      }
    if (any) break;
    c->lz++;
  }
  /* ctr[0] holds slots 0, 2, 4, 6 of the vector and ctr[1] slots 1, 3, 5, 7, so that unpacking
   * the two blocks' 64-bit halves gives the words in slot order. */
  for (int o = 0; o < 2; o++) {
    uint32_t v[16] = {0};
    for (int i = 0; i < 4; i++) {
      v[4 * i + 2] = slot0 + (uint32_t)(o + 2 * i);
      v[4 * i + 3] = (uint32_t)RNG_UPDATE << 24;
    }
    memcpy(&c->ctr[o], v, sizeof v);
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

/* Six bond terms (1 where the bond is unsatisfied) summed into bit planes c[0..2]: two full
 * adders, then the three-bit sum. */
AVX512 void Count6(__m512i u0, __m512i u1, __m512i u2, __m512i u3, __m512i u4, __m512i u5, __m512i c[4])
{
  const __m512i s1 = _mm512_ternarylogic_epi64(u0, u1, u2, 0x96), k1 = _mm512_ternarylogic_epi64(u0, u1, u2, 0xE8);
  const __m512i s2 = _mm512_ternarylogic_epi64(u3, u4, u5, 0x96), k2 = _mm512_ternarylogic_epi64(u3, u4, u5, 0xE8);
  const __m512i k0 = _mm512_and_si512(s1, s2);
  c[0]             = _mm512_xor_si512(s1, s2);
  c[1]             = _mm512_ternarylogic_epi64(k1, k2, k0, 0x96);
  c[2]             = _mm512_ternarylogic_epi64(k1, k2, k0, 0xE8);
  c[3]             = _mm512_setzero_si512();
}

/* nb bond terms u summed into bit planes c[0..3]. */
AVX512 void Count(const __m512i *u, int nb, __m512i c[4])
{
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

/* Lanes whose count is at least n (n = 3 with three planes: one operation). */
AVX512 __m512i CountAtLeast(const __m512i c[4], int n, int planes)
{
  if (n == 3 && planes == 3) return _mm512_ternarylogic_epi64(c[2], c[1], c[0], 0xF8); /* c2 | (c1 & c0) */
  __m512i gt = _mm512_setzero_si512(), eq = ONES;
  for (int b = planes - 1; b >= 0; b--) {
    if ((n >> b) & 1) eq = _mm512_and_si512(eq, c[b]);
    else {
      gt = _mm512_ternarylogic_epi64(gt, eq, c[b], 0xF8);
      eq = _mm512_andnot_si512(c[b], eq);
    }
  }
  return _mm512_or_si512(gt, eq);
}

/* Each lane's threshold bit j for its class (don't care for lanes of no random class).  NR and
 * RLO are the random classes where they are constants (NR < 0: c->nr, c->rlo). */
AVX512 __m512i Pbit(const Classes *c, const __m512i cnt[4], int planes, int j, const int NR, const int RLO)
{
  const __m512i *P = c->pbit[j];
  /* 0xB8 is (a, b, c) -> b ? c : a: the first operand, which the instruction overwrites, is a
   * fresh load or a temporary, so no count plane is copied first. */
  if (NR == 3 && RLO == 0 && planes == 3) return _mm512_ternarylogic_epi64(_mm512_ternarylogic_epi64(P[0], cnt[0], P[1], 0xB8), cnt[1], P[2], 0xB8); /* c1 ? P2 : c0 ? P1 : P0 */
  if (NR == 2 && RLO == 1 && planes == 3) return _mm512_ternarylogic_epi64(P[1], cnt[1], P[2], 0xB8);                                                  /* c1 ? P2 : P1 */
  const int nr = NR >= 0 ? NR : c->nr, rlo = NR >= 0 ? RLO : c->rlo;
  __m512i   pb = _mm512_setzero_si512();
  for (int m = 0; m < nr; m++) pb = _mm512_ternarylogic_epi64(pb, CountIs(cnt, rlo + m, planes), P[rlo + m], 0xF8); /* pb | (is & P) */
  return pb;
}

/* One decision bit: lanes where the random bit r and the threshold bit pb differ are decided,
 * and flip where pb is set. */
AVX512 void Decide(__m512i *accept, __m512i *und, __m512i r, __m512i pb)
{
  *accept = _mm512_ternarylogic_epi64(*accept, *und, _mm512_andnot_si512(r, pb), 0xF8); /* a | (und & pb & ~r) */
  *und    = _mm512_ternarylogic_epi64(*und, r, pb, 0x90);                              /* und & ~(r ^ pb) */
}

/* Round r's blocks (counter word 3's low bits) from the round-0 blocks. */
AVX512 __m512i Round(__m512i b0, int r) { return _mm512_xor_si512(b0, _mm512_setr_epi32(0, 0, 0, r, 0, 0, 0, r, 0, 0, 0, r, 0, 0, 0, r)); }

/* A vector whose lanes the inline rounds left undecided. */
typedef struct {
  __m512i        und, cnt[4];
  uint64_t      *S;    /* its words */
  const Classes *c;
  uint32_t       g;     /* its site's global index (its ARS counters' word 0) */
  int64_t        li;    /* its first lane's index in a tally's late[0] (slot lanes + 64 w) */
} Pending;

/* The tally (sweep.h): counters for one vector's slot group and word, q apart. */
typedef struct {
  SweepTally *T;
  int64_t     q, lanes, late1; /* counters from one quantity to the next; lanes; late[1] - late[0] */
  int         d;
} Tally;

__attribute__((always_inline, target("avx512f"))) static inline void TallyBlock(VSum8 *s) { VSum8Block(s); }

AVX512 void TallyAdd(VSum8 *s, __m512i m)
{
  s->buf[s->n++] = (VWordA)m;
  if (s->n == 16) TallyBlock(s);
}

/* Count a vector's new spins, and with T->bonds its unsatisfied bonds after the update: the
 * count n where the spin stays and 2d - n where it flips (= ~n + 2d + 1 on the planes).  The
 * counters' code is inlined: a call here would make the vector loop save its registers. */
AVX512 void TallyVector(const Tally *t, VSum8 *s, __m512i news, __m512i accept, const __m512i cnt[4], int planes)
{
  TallyAdd(s, news);
  if (t->T->bonds) {
    const int K = 2 * t->d + 1;
    __m512i   carry = _mm512_setzero_si512();
    for (int i = 0; i < planes; i++) {
      __m512i m;
      if ((K >> i) & 1) {
        m     = _mm512_xor_si512(cnt[i], carry);                       /* ~n_i ^ 1 ^ carry */
        carry = _mm512_ternarylogic_epi64(cnt[i], carry, carry, 0xCF); /* ~n_i | carry */
      } else {
        m     = _mm512_ternarylogic_epi64(cnt[i], carry, carry, 0xC3); /* ~(n_i ^ carry) */
        carry = _mm512_andnot_si512(cnt[i], carry);                    /* ~n_i & carry */
      }
      TallyAdd(s + (1 + i) * t->q, _mm512_ternarylogic_epi64(accept, m, cnt[i], 0xCA)); /* accept ? m : n_i */
    }
  }
}

/* The changes made by a queued vector's late flips (accept, on the words before them). */
static void TallyLate(const Tally *t, const Pending *v, const uint64_t *old, const uint64_t *accept, int planes)
{
  for (int e = 0; e < 8; e++)
    for (uint64_t x = accept[e]; x; x &= x - 1) {
      const int     b = __builtin_ctzll(x);
      const int64_t l = v->li + e * t->lanes + b;
      int           n = 0;
      t->T->late[l] += (old[e] >> b) & 1 ? -1 : 1;
      if (!t->T->bonds) continue;
      for (int i = 0; i < planes; i++) n |= (int)((v->cnt[i][e] >> b) & 1) << i;
      t->T->late[t->late1 + l] += 2 * t->d - 2 * n;
    }
}

typedef struct {
  Pending  q[QUEUE_MAX + 1]; /* q[QUEUE_MAX]: the padding of a short last group, never undecided */
  uint64_t scratch[8];       /* its words */
} Queue;

/* The threshold bit j of each lane's class, for a vector whose random classes are not constants. */
AVX512 __m512i PbitAny(const Classes *c, const __m512i cnt[4], int planes, int j)
{
  if (planes == 3 && c->nr == 3 && c->rlo == 0) return Pbit(c, cnt, 3, j, 3, 0);
  if (planes == 3 && c->nr == 2 && c->rlo == 1) return Pbit(c, cnt, 3, j, 2, 1);
  return Pbit(c, cnt, planes, j, -1, 0);
}

/* Work through the queued vectors round by round from INLINE_ROUNDS on, GROUP vectors' blocks
 * at a time; the lanes still undecided after the last round are rejected (U's 32 bits equal P's). */
AVX512 void QueueFlushT(Queue *Q, int n, int planes, uint32_t sweep, const __m512i rk[8], const int TALLY, const Tally *t)
{
  int      idx[QUEUE_MAX];
  Pending *pad = &Q->q[QUEUE_MAX];
  if (n == 0) return;
  pad->und     = _mm512_setzero_si512();
  pad->S       = Q->scratch;
  pad->c       = Q->q[0].c;
  for (int k = 0; k < 4; k++) pad->cnt[k] = _mm512_setzero_si512();
  pad->g       = 0;
  for (int i = 0; i < QUEUE_MAX; i++) idx[i] = i < n ? i : 0; /* entries past n are read (and dropped) by the padding of a short group */
  for (int r = INLINE_ROUNDS; r < ROUNDS && n > 0; r++) {
    const __m512i rnd = Round(_mm512_setzero_si512(), r);
    int           m   = 0;
    for (int i0 = 0; i0 < n; i0 += GROUP) {
      Pending *v[GROUP];
      __m512i  b[GROUP][2];
#pragma GCC unroll 8
      for (int h = 0; h < GROUP; h++) {
        v[h]    = i0 + h < n ? &Q->q[idx[i0 + h]] : pad;
        const __m512i gk = _mm512_xor_si512(_mm512_broadcast_i32x4(_mm_setr_epi32((int)v[h]->g, (int)sweep, 0, 0)), rk[0]);
        b[h][0] = _mm512_xor_si512(_mm512_xor_si512(gk, v[h]->c->ctr[0]), rnd);
        b[h][1] = _mm512_xor_si512(_mm512_xor_si512(gk, v[h]->c->ctr[1]), rnd);
      }
#pragma GCC unroll 6
      for (int q = 1; q < 7; q++)
#pragma GCC unroll 8
        for (int h = 0; h < GROUP; h++) {
          b[h][0] = _mm512_aesenc_epi128(b[h][0], rk[q]);
          b[h][1] = _mm512_aesenc_epi128(b[h][1], rk[q]);
        }
#pragma GCC unroll 8
      for (int h = 0; h < GROUP; h++) {
        const __m512i w0 = _mm512_aesenclast_epi128(b[h][0], rk[7]), w1 = _mm512_aesenclast_epi128(b[h][1], rk[7]);
        __m512i       accept = _mm512_setzero_si512(), und = v[h]->und;
        Decide(&accept, &und, _mm512_unpacklo_epi64(w0, w1), PbitAny(v[h]->c, v[h]->cnt, planes, 2 * r));
        Decide(&accept, &und, _mm512_unpackhi_epi64(w0, w1), PbitAny(v[h]->c, v[h]->cnt, planes, 2 * r + 1));
        const __m512i old = _mm512_loadu_si512(v[h]->S);
        _mm512_storeu_si512(v[h]->S, _mm512_xor_si512(old, accept));
        if (TALLY && _mm512_test_epi64_mask(accept, ONES)) { /* rare: a tally's corrections */
          uint64_t o[8], x[8];
          _mm512_storeu_si512(o, old);
          _mm512_storeu_si512(x, accept);
          TallyLate(t, v[h], o, x, planes);
        }
        v[h]->und = und;
        idx[m] = idx[i0 + h]; /* kept if still undecided: no branch to mispredict */
        m += i0 + h < n && _mm512_test_epi64_mask(und, ONES);
      }
    }
    n = m;
  }
}

__attribute__((noinline, target("avx512f,vaes"))) static void QueueFlush(Queue *Q, int n, int planes, uint32_t sweep, const __m512i rk[8]) { QueueFlushT(Q, n, planes, sweep, rk, 0, NULL); }
__attribute__((noinline, target("avx512f,vaes"))) static void QueueFlushTally(Queue *Q, int n, int planes, uint32_t sweep, const __m512i rk[8], const Tally *t) { QueueFlushT(Q, n, planes, sweep, rk, 1, t); }

/* One vector of eight slots at a site whose words start at S: the count, the always-flips, and
 * the inline rounds.  Jp points at the site's coupling words, sJ their steps down; gk is the
 * site's counter words 0 and 1 (site, sweep) xor the first round key.  NR and RLO as in Pbit; d
 * is a constant too, so the loops unroll.  With TALLY the vector is counted in t, its counters
 * at ts, its late corrections at li. */
AVX512 void Vector(const int d, const Classes *c, const int NR, const int RLO, uint64_t *S, const int64_t sS[], const uint64_t *Jp, const int64_t sJ[], int W, __m512i gk, const __m512i rk[8], Queue *Q, int *qn, const int TALLY, const Tally *t, VSum8 *ts, int64_t li)
{
  const int     planes = d <= 3 ? 3 : 4, nclass = 2 * d + 1, nr = NR >= 0 ? NR : c->nr, rlo = NR >= 0 ? RLO : c->rlo;
  const __m512i spin = _mm512_loadu_si512(S);
  __m512i       u[2 * GLASSY_MAX_DIM], cnt[4], accept, und = _mm512_setzero_si512();

#define BOND(k, sign) _mm512_ternarylogic_epi64(spin, _mm512_loadu_si512(S + (sign) * sS[k]), _mm512_set1_epi64((long long)Jp[k * W - ((sign) < 0 ? sJ[k] : 0)]), 0x96)
  if (d == 3) /* named values, not an array, so that they stay in registers */
    Count6(BOND(0, 1), BOND(0, -1), BOND(1, 1), BOND(1, -1), BOND(2, 1), BOND(2, -1), cnt);
  else {
    for (int k = 0; k < d; k++) {
      u[2 * k]     = BOND(k, 1);
      u[2 * k + 1] = BOND(k, -1);
    }
    Count(u, 2 * d, cnt);
  }
#undef BOND
  if (c->suffix) accept = c->alo < nclass ? CountAtLeast(cnt, c->alo, planes) : _mm512_setzero_si512();
  else {
    accept = _mm512_setzero_si512();
    for (int m = c->alo; m < nclass; m++) accept = _mm512_ternarylogic_epi64(accept, CountIs(cnt, m, planes), c->always[m], 0xF8); /* a | (b & c) */
  }
  if (c->complement) und = _mm512_ternarylogic_epi64(accept, accept, accept, 0x01); /* ~accept: every other class is random */
  else {
#pragma GCC unroll 9
    for (int m = 0; m < nr; m++) und = _mm512_ternarylogic_epi64(und, CountIs(cnt, rlo + m, planes), c->random[rlo + m], 0xF8);
  }

  if (nr > 0 && _mm512_test_epi64_mask(und, ONES)) {
    const __m512i b0[2] = {_mm512_xor_si512(gk, c->ctr[0]), _mm512_xor_si512(gk, c->ctr[1])};
    __m512i       b[INLINE_ROUNDS][2];
#pragma GCC unroll 8
    for (int r = 0; r < INLINE_ROUNDS; r++)
      for (int o = 0; o < 2; o++) b[r][o] = Round(b0[o], r);
#pragma GCC unroll 6
    for (int q = 1; q < 7; q++)
#pragma GCC unroll 8
      for (int r = 0; r < INLINE_ROUNDS; r++)
        for (int o = 0; o < 2; o++) b[r][o] = _mm512_aesenc_epi128(b[r][o], rk[q]);
    /* The 12 bits compared from the least significant up, which takes one operation per bit for
     * each of: lt, U < P over the bits seen; eq, U = P over them (the lanes left undecided).
     * Bits where every threshold bit is 0 only reject; they are ORed into z. */
    __m512i lt = _mm512_setzero_si512(), eq = und, z = _mm512_setzero_si512();
#pragma GCC unroll 8
    for (int r = INLINE_ROUNDS - 1; r >= 0; r--) {
      const __m512i w0 = _mm512_aesenclast_epi128(b[r][0], rk[7]), w1 = _mm512_aesenclast_epi128(b[r][1], rk[7]);
      const __m512i ulo = _mm512_unpacklo_epi64(w0, w1), uhi = _mm512_unpackhi_epi64(w0, w1);
      if (2 * r + 1 < c->lz) z = _mm512_ternarylogic_epi64(z, ulo, uhi, 0xFE); /* both bits zero in P */
      else {
        __m512i pb = Pbit(c, cnt, planes, 2 * r + 1, NR, RLO);
        lt         = _mm512_ternarylogic_epi64(lt, uhi, pb, 0xB2); /* u != p ? p : lt */
        eq         = _mm512_ternarylogic_epi64(eq, uhi, pb, 0x90); /* eq & (u == p) */
        if (2 * r < c->lz) z = _mm512_or_si512(z, ulo);
        else {
          pb = Pbit(c, cnt, planes, 2 * r, NR, RLO);
          lt = _mm512_ternarylogic_epi64(lt, ulo, pb, 0xB2);
          eq = _mm512_ternarylogic_epi64(eq, ulo, pb, 0x90);
        }
      }
    }
    accept = _mm512_ternarylogic_epi64(accept, und, _mm512_andnot_si512(z, lt), 0xF8); /* accept | (und & lt & ~z) */
    und    = _mm512_andnot_si512(z, eq);
    /* Queued if still undecided: written always and kept or not, which is cheaper than a
     * mispredicted branch. */
    Pending *v = &Q->q[*qn];
    v->und     = und;
    for (int k = 0; k < planes; k++) v->cnt[k] = cnt[k];
    v->S     = S;
    v->c     = c;
    v->g     = (uint32_t)_mm_cvtsi128_si32(_mm512_castsi512_si128(_mm512_xor_si512(gk, rk[0])));
    if (TALLY) v->li = li;
    *qn += _mm512_test_epi64_mask(und, ONES) != 0;
  }
  const __m512i news = _mm512_xor_si512(spin, accept);
  _mm512_storeu_si512(S, news);
  if (TALLY) TallyVector(t, ts, news, accept, cnt, planes);
}

/* Vector with the random classes made constants where they are common. */
AVX512 void VectorAny(const int d, const Classes *c, uint64_t *S, const int64_t sS[], const uint64_t *Jp, const int64_t sJ[], int W, __m512i gk, const __m512i rk[8], Queue *Q, int *qn, const int TALLY, const Tally *t, VSum8 *ts, int64_t li)
{
  if (c->nr == 3 && c->rlo == 0) Vector(d, c, 3, 0, S, sS, Jp, sJ, W, gk, rk, Q, qn, TALLY, t, ts, li); /* Metropolis, the common case */
  else if (c->nr == 2 && c->rlo == 1) Vector(d, c, 2, 1, S, sS, Jp, sJ, W, gk, rk, Q, qn, TALLY, t, ts, li);
  else Vector(d, c, -1, 0, S, sS, Jp, sJ, W, gk, rk, Q, qn, TALLY, t, ts, li);
}

/* Word w of the given sites (with TALLY, counted in t). */
AVX512 void Sites(const SweepArgs *a, const int d, const Classes *cls, Queue *Q, const int64_t *sites, int64_t n, int w, const int64_t sS[], const int64_t sJ[], const int TALLY, const Tally *t)
{
  const Lattice *lat = a->lat;
  const int      W = a->cpl->W, nslots = (int)a->word_stride, planes = d <= 3 ? 3 : 4;
  int            qn = 0; /* queued vectors (a local, so that it stays in a register) */
  /* ARS round keys: {seed, stream, 0, 0} plus r times the Weyl increment (64-bit halves). */
  __m512i  rk[8];
  uint64_t klo = a->seed | ((uint64_t)(uint32_t)(a->first_sample + 64 * w) << 32), khi = 0;
  for (int r = 0; r < 8; r++, klo += ARS_WEYL_LO, khi += ARS_WEYL_HI) rk[r] = _mm512_broadcast_i32x4(_mm_set_epi64x((long long)khi, (long long)klo));
  for (int64_t i = 0; i < n; i++) {
    const int64_t p = sites[i];
    uint64_t     *S = a->spins + p * a->site_stride + w * a->word_stride;
    /* The records a site ahead first touches: its own and its upper neighbours' (the lower ones
     * and those along dimension 0 were touched by earlier sites). */
    if (i + PREFETCH_AHEAD < n) {
      const uint64_t *q = a->spins + sites[i + PREFETCH_AHEAD] * a->site_stride + w * a->word_stride;
      for (int s0 = 0; s0 < nslots; s0 += 8) {
        _mm_prefetch((const char *)(q + s0), _MM_HINT_T0);
        for (int k = 1; k < d; k++) _mm_prefetch((const char *)(q + s0 + sS[k]), _MM_HINT_T0);
      }
    }
    /* Counter words 0 and 1 (site, sweep) of every block, xor the first round key. */
    const __m512i gk = _mm512_xor_si512(_mm512_broadcast_i32x4(_mm_setr_epi32((int)lat->global[p], (int)a->sweep, 0, 0)), rk[0]);
    for (int s0 = 0; s0 < nslots; s0 += 8) {
      if (qn == QUEUE_MAX) {
        if (TALLY) QueueFlushTally(Q, qn, planes, a->sweep, rk, t);
        else QueueFlush(Q, qn, planes, a->sweep, rk);
        qn = 0;
      }
      VectorAny(d, &cls[s0 / 8], S + s0, sS, a->cpl->bits + p * d * W + w, sJ, W, gk, rk, Q, &qn, TALLY, t, TALLY ? t->T->sums + (int64_t)w * (nslots / 8) + s0 / 8 : NULL, (int64_t)s0 * 64 * W + 64 * w);
    }
  }
  if (TALLY) QueueFlushTally(Q, qn, planes, a->sweep, rk, t);
  else QueueFlush(Q, qn, planes, a->sweep, rk);
}

AVX512 void SlotsD(const SweepArgs *a, const int d, const Classes *cls, Queue *Q, const int64_t *sites, int64_t n)
{
  const int W = a->cpl->W, nslots = (int)a->word_stride;
  int64_t   sS[GLASSY_MAX_DIM], sJ[GLASSY_MAX_DIM];
  for (int k = 0; k < d; k++) {
    sS[k] = a->lat->stride[k] * a->site_stride;
    sJ[k] = a->lat->stride[k] * d * W;
  }
  if (a->tally) {
    const Tally t = {.T = a->tally, .q = (int64_t)W * (nslots / 8), .lanes = 64 * W, .late1 = (int64_t)nslots * 64 * W, .d = d};
    for (int w = 0; w < W; w++) Sites(a, d, cls, Q, sites, n, w, sS, sJ, 1, &t);
  } else
    for (int w = 0; w < W; w++) Sites(a, d, cls, Q, sites, n, w, sS, sJ, 0, NULL);
}

__attribute__((target("avx512f,vaes"))) static void SlotsAvx512(const SweepArgs *a, const Classes *cls, Queue *Q, const int64_t *sites, int64_t n)
{
  switch (a->lat->dim) {
  case 2: SlotsD(a, 2, cls, Q, sites, n); break;
  case 3: SlotsD(a, 3, cls, Q, sites, n); break;
  default: SlotsD(a, 4, cls, Q, sites, n); break;
  }
}
#endif

struct SweepSlotTables {
  int       nclass, nslots;
  uint64_t *thresholds; /* [nslots][nclass] */
  void     *classes;    /* [nslots / 8] Classes for the AVX-512 kernel, or NULL */
  void     *queue;      /* its queue of vectors the inline rounds left undecided */
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
    Queue   *queue = aligned_alloc(64, sizeof *queue);
    if (cls && queue) {
      for (int g = 0; g < nslots / 8; g++) ClassesMake(thresholds + (int64_t)8 * g * t->nclass, t->nclass, (uint32_t)(8 * g), &cls[g]);
      t->classes = cls;
      t->queue   = queue;
    } else { /* the portable path */
      free(cls);
      free(queue);
    }
  }
#endif
  return t;
}

void SweepSlotTablesDestroy(SweepSlotTables *t)
{
  if (!t) return;
  free(t->classes);
  free(t->queue);
  free(t->thresholds);
  free(t);
}

int SweepSlotsCanTally(const SweepSlotTables *t) { return t->classes != NULL; }

void SweepBimodalSlots(const SweepArgs *a, const SweepSlotTables *t, const int64_t *sites, int64_t n)
{
#if HAVE_SLOTS_AVX512
  if (t->classes) {
    SlotsAvx512(a, (const Classes *)t->classes, (Queue *)t->queue, sites, n);
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
