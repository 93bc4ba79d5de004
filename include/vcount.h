/* Vertical (bit-sliced) counters: count, for each of the 64 lanes of a word, how many of a
 * stream of words had that lane's bit set.  plane[i] holds bit i of the 64 counts; adding a word
 * ripples its carries up as long as some lane still carries (about 7 planes for random 64-lane
 * words; VSum8 below adds 16 words at a time, for eight streams at once). */
#ifndef GLASSY_VCOUNT_H
#define GLASSY_VCOUNT_H

#include <stdint.h>
#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define VCOUNT_AVX512 1
#endif

#define VCOUNT_PLANES 40 /* counts up to 2^40 */

static inline void VCountAdd(uint64_t *plane, uint64_t m)
{
  for (int i = 0; m; i++) {
    uint64_t carry = plane[i] & m;
    plane[i] ^= m;
    m = carry;
  }
}

/* Add the 64 counts held in plane[], times weight, to out[0..63]: the plain loop over the set
 * bits, and (VCountExtractAvx512) eight bits of every count per vector with masked byte
 * additions, then widened eight lanes at a time.  Same sums. */
static inline void VCountExtractPlain(const uint64_t *plane, int64_t weight, int64_t *out)
{
  for (int i = 0; i < VCOUNT_PLANES; i++) {
    uint64_t x = plane[i];
    while (x) {
      int b = __builtin_ctzll(x);
      out[b] += weight << i;
      x &= x - 1;
    }
  }
}

#if VCOUNT_AVX512
__attribute__((target("avx512f,avx512bw,avx512dq"))) static inline void VCountExtractAvx512(const uint64_t *plane, int64_t weight, int64_t *out)
{
  enum { NB = (VCOUNT_PLANES + 7) / 8 };
  uint8_t byte[NB][64]; /* byte[k][b]: bits 8k .. 8k+7 of lane b's count */
  int     top = VCOUNT_PLANES, nb;
  while (top > 0 && !plane[top - 1]) top--;
  nb = (top + 7) / 8;
  for (int k = 0; k < nb; k++) {
    __m512i v = _mm512_setzero_si512();
    for (int i = 8 * k; i < top && i < 8 * k + 8; i++) v = _mm512_mask_add_epi8(v, (__mmask64)plane[i], v, _mm512_set1_epi8((char)(1 << (i - 8 * k))));
    _mm512_storeu_si512(byte[k], v);
  }
  for (int j = 0; j < 8; j++) {
    __m512i c = _mm512_setzero_si512();
    for (int k = 0; k < nb; k++) c = _mm512_add_epi64(c, _mm512_slli_epi64(_mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)(byte[k] + 8 * j))), 8 * k));
    _mm512_storeu_si512(out + 8 * j, _mm512_add_epi64(_mm512_loadu_si512(out + 8 * j), _mm512_mullo_epi64(c, _mm512_set1_epi64(weight))));
  }
}
#endif

static inline void VCountExtract(const uint64_t *plane, int64_t weight, int64_t *out)
{
#if VCOUNT_AVX512
  if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")) {
    VCountExtractAvx512(plane, weight, out);
    return;
  }
#endif
  VCountExtractPlain(plane, weight, out);
}

/* VSum8: eight vertical counters at once, one per element of a 512-bit vector (GCC vector
 * extensions; callers compiled with GLASSY_CLONES get AVX-512 or AVX2 code), used to count eight
 * configuration slots of a site together.  Words are taken one at a time but added 16 at a time
 * with the Harley-Seal carry-save tree: the running bit planes ones, twos, fours and eights absorb
 * 16 words with 15 carry-save adders, and only their carry (the sixteens) ripples into plane[].
 * That is about 4 operations per word instead of a ripple through 6 or more planes. */
typedef uint64_t VWord __attribute__((vector_size(64), aligned(8))); /* any allocation will do */

/* These helpers are inlined into their callers, so the 64-byte vector ABI warning does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"

/* The counters' own state is 64-byte aligned (allocate arrays of VSum8 with GlassyCallocAligned),
 * so that no access splits a cache line; a VSum8 is a whole number of cache lines. */
typedef uint64_t VWordA __attribute__((vector_size(64)));

typedef struct {
  VWordA plane[VCOUNT_PLANES];
  VWordA ones, twos, fours, eights;
  VWordA  buf[16];
  int     n;      /* words in buf */
  int64_t blocks; /* blocks of 16 words added to the planes */
} VSum8;

static inline VWord VWordLoad(const uint64_t *p)
{
  VWord v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline void VSum8Zero(VSum8 *s) { memset(s, 0, sizeof *s); }

static inline void VCount8CSA(VWord *h, VWord *l, VWord a, VWord b, VWord c)
{
  *h = (a & b) | (c & (a | b)); /* the majority, written so that GCC makes it of three-input operations */
  *l = a ^ b ^ c;
}

static inline void VSum8Block(VSum8 *s)
{
  VWord ones = s->ones, twos = s->twos, fours = s->fours, eights = s->eights; /* in registers, not stored at each step */
  VWord twosA, twosB, foursA, foursB, eightsA[2], m;
  for (int h = 0; h < 2; h++) {
    const VWordA *d = s->buf + 8 * h;
    VCount8CSA(&twosA, &ones, ones, d[0], d[1]);
    VCount8CSA(&twosB, &ones, ones, d[2], d[3]);
    VCount8CSA(&foursA, &twos, twos, twosA, twosB);
    VCount8CSA(&twosA, &ones, ones, d[4], d[5]);
    VCount8CSA(&twosB, &ones, ones, d[6], d[7]);
    VCount8CSA(&foursB, &twos, twos, twosA, twosB);
    VCount8CSA(&eightsA[h], &fours, fours, foursA, foursB);
  }
  VCount8CSA(&m, &eights, eights, eightsA[0], eightsA[1]);
  s->ones   = ones;
  s->twos   = twos;
  s->fours  = fours;
  s->eights = eights;
  /* The sixteens ripple up the planes.  No lane's count of them exceeds the number of blocks, so
   * no carry goes past that number's bit length: the ripple stops there without a test of the
   * carries on the way (whose latency, plane after plane, cost more than the additions). */
  s->blocks++;
  const int top = 4 + 64 - __builtin_clzll((unsigned long long)s->blocks);
  for (int i = 4; i < top && i < VCOUNT_PLANES; i++) {
    const VWord carry = s->plane[i] & m;
    s->plane[i] ^= m;
    m = carry;
  }
  s->n = 0;
}

static inline void VSum8Add(VSum8 *s, VWord m)
{
  s->buf[s->n++] = m;
  if (s->n == 16) VSum8Block(s);
}

/* Add element e's 64 counts, times weight, to out[e][0..63] for e < ne (the sum stays usable). */
static inline void VSum8Extract(const VSum8 *s, int ne, int64_t weight, int64_t *const out[8])
{
  for (int e = 0; e < ne; e++) {
    uint64_t plane[VCOUNT_PLANES];
    for (int i = 0; i < VCOUNT_PLANES; i++) plane[i] = s->plane[i][e];
    VCountAdd(plane, s->ones[e]);
    VCountAdd(plane + 1, s->twos[e]);
    VCountAdd(plane + 2, s->fours[e]);
    VCountAdd(plane + 3, s->eights[e]);
    for (int i = 0; i < s->n; i++) VCountAdd(plane, s->buf[i][e]);
    VCountExtract(plane, weight, out[e]);
  }
}

/* Counts as plain bit planes, without a buffer: VWordsCount turns n words into the bit planes of
 * their per-lane count (carry-save adders level by level: about one adder per word), and
 * VPlanesAdd adds such a number, times 2^shift, to a counter's planes P[0..top) with a ripple of
 * full adders.  For passes that first sum a run of words (a row of sites) and then add the sum
 * to a counter, instead of adding every word to it. */

/* The planes of the counts of the words a[0..n) at weight 1 and b[0..nb) at weight 2 (nb <= n;
 * both arrays have room for n + nb words and are overwritten); returns the number of planes. */
static inline int VWordsCount(VWord *a, int n, VWord *b, int nb, VWord *plane)
{
  int np = 0;
  while (n > 0 || nb > 0) {
    VWord s = {0};
    int   m = 0, i = 0;
    if (n > 0) s = a[i++];
    for (; i + 1 < n; i += 2) VCount8CSA(&b[nb + m++], &s, s, a[i], a[i + 1]); /* the carries go after the next level's words */
    if (i < n) {
      b[nb + m++] = s & a[i];
      s ^= a[i];
    }
    plane[np++] = s;
    VWord *t = a;
    a        = b;
    b        = t;
    n        = nb + m;
    nb       = 0;
  }
  return np;
}

/* P[0..top) += (the number with bit planes r[0..nr)) * 2^shift; top must hold the largest count. */
static inline void VPlanesAdd(VWordA *P, const VWord *r, int nr, int shift, int top)
{
  VWord carry = {0};
  int   i     = shift;
  for (int j = 0; j < nr; j++, i++) {
    VWord p = P[i], c;
    VCount8CSA(&c, &p, p, r[j], carry);
    P[i]  = p;
    carry = c;
  }
  for (; i < top; i++) {
    const VWord p = P[i];
    P[i]          = p ^ carry;
    carry         = p & carry;
  }
}

/* Add element e's 64 counts held in the planes P[0..np), times weight, to out[e][0..63], e < ne. */
static inline void VPlanesExtract(const VWordA *P, int np, int ne, int64_t weight, int64_t *const out[8])
{
  for (int e = 0; e < ne; e++) {
    uint64_t plane[VCOUNT_PLANES] = {0};
    for (int i = 0; i < np && i < VCOUNT_PLANES; i++) plane[i] = P[i][e];
    VCountExtract(plane, weight, out[e]);
  }
}

#endif
