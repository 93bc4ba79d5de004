/* Random numbers: Random123's counter-based generators.  Every random number in glassy is a pure
 * function of (seed, a purpose, and the coordinates of what it decides), never of the order in
 * which ranks happen to draw them: that is what makes trajectories bit-identical on any number of
 * ranks and restartable without saving generator state.
 *
 * Key:     {seed, first sample index of the 64-lane word (or the sample, for couplings)}
 * Counter: {c0, c1, c2, (purpose << 24) | round}
 *
 * Purposes and their counters:
 *   RNG_COUPLINGS   {global bond index, 0, 0}
 *   RNG_INIT        {global site, 0, slot}              initial spins, one 64-bit word
 *   RNG_UPDATE      {global site, sweep, slot}          multispin bit-planes, 2 words per round (ARS-7)
 *   RNG_UPDATE_LANE {global site, sweep, slot}          one 32-bit uniform per lane, 4 per round (ARS-7)
 *   RNG_SWAP        {tempering step, pair, replica}     one 32-bit uniform per lane, 4 per round
 *
 * The EA model's two update streams, which cost most (about 12 bits per lane and sweep for +-1
 * couplings, 32 for real ones), are ARS-7 (key {seed, stream, 0, 0}, see RngUpdateWords2 and
 * RngUpdateLane); every other purpose, and the SK model's RNG_UPDATE_LANE draws, are
 * Philox4x32-10. */
#ifndef GLASSY_RNG_H
#define GLASSY_RNG_H

#include <stdint.h>
#include <Random123/philox.h>

/* The VAES paths (ARS four blocks per instruction, and the slot kernel) are chosen at run time with
 * __builtin_cpu_supports("vaes"), which GCC knows from version 11 on; other compilers build
 * without them (AES-NI and the portable code give the same numbers). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#define GLASSY_X86_VAES 1
#else
#define GLASSY_X86_VAES 0
#endif

enum { RNG_COUPLINGS = 1, RNG_INIT = 2, RNG_UPDATE = 3, RNG_UPDATE_LANE = 4, RNG_SWAP = 5 };

typedef philox4x32_key_t RngKey;

static inline RngKey RngKeyMake(uint32_t seed, uint32_t stream)
{
  RngKey k = {{seed, stream}};
  return k;
}

/* Four 32-bit random numbers. */
static inline philox4x32_ctr_t RngDraw(RngKey key, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t purpose, uint32_t round)
{
  philox4x32_ctr_t c = {{c0, c1, c2, (purpose << 24) | round}};
  return philox4x32(c, key);
}

/* n draws at once, vectorised across draws: draw d has key {k0[d], k1[d]} and counter
 * {c0[d], c1, c2[d], (purpose << 24) | round}; its four outputs go to out[4d .. 4d+3], equal to
 * RngDraw's. */
void RngDrawMany(int n, const uint32_t *k0, const uint32_t *k1, const uint32_t *c0, const uint32_t *c2, uint32_t c1, uint32_t purpose, uint32_t round, uint32_t *out);

/* 16 draws, a key and a counter per lane: key[i][l] and ctr[i][l] are word i of lane l's key and
 * counter, and out[4l .. 4l+3] equals philox4x32 of them.  Uses AVX-512 where the CPU has it. */
void RngDraw16(const uint32_t key[2][16], const uint32_t ctr[4][16], uint32_t out[64]);
void RngDraw16Portable(const uint32_t key[2][16], const uint32_t ctr[4][16], uint32_t out[64]); /* for tests */



/* ARS's Weyl key increments (the two 64-bit halves of the 128-bit key). */
#define ARS_WEYL_LO 0x9E3779B97F4A7C15ull /* golden ratio */
#define ARS_WEYL_HI 0xBB67AE8584CAA73Bull /* sqrt(3) - 1 */

/* ARS-7 (Random123's ars4x32, seven rounds): out = ars4x32(ctr, key).  RngArs uses AES-NI where
 * the CPU has it; the portable version is for tests and other CPUs. */
void RngArs(const uint32_t ctr[4], const uint32_t key[4], uint32_t out[4]);
void RngArsPortable(const uint32_t ctr[4], const uint32_t key[4], uint32_t out[4]);

/* The RNG_UPDATE stream (the bit-plane words of the bimodal kernels) is ARS-7, the cheapest
 * counter-based generator on CPUs with AES instructions: key {seed, stream, 0, 0}, counter
 * {c0, c1, c2, (RNG_UPDATE << 24) | round}, word 0 = out[0] | out[1] << 32, word 1 = out[2] |
 * out[3] << 32. */
void RngUpdateWords2(RngKey key, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t round, uint64_t w[2]);
/* The same for 16 counters that differ in c0: out[4i .. 4i+3] is the draw of c0[i]. */
void RngUpdateSites16(RngKey key, const uint32_t c0[16], uint32_t c1, uint32_t c2, uint32_t round, uint32_t out[64]);

/* The RNG_UPDATE_LANE stream (one 32-bit uniform per lane, real couplings) is ARS-7 too: four
 * uniforms out[0..3] per round, counter {c0, c1, c2, (RNG_UPDATE_LANE << 24) | round}; and rounds
 * 0..15 (the 64 lanes of a word) of four counters c0[i] at once: out[i][4r .. 4r+3] is round r of
 * c0[i]. */
void RngUpdateLane(RngKey key, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t round, uint32_t out[4]);
void RngUpdateLaneSites4(RngKey key, const uint32_t c0[4], uint32_t c1, uint32_t c2, uint32_t out[4][64]);

/* Two 64-bit random words from one draw. */
static inline void RngWords2(RngKey key, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t purpose, uint32_t round, uint64_t w[2])
{
  philox4x32_ctr_t r = RngDraw(key, c0, c1, c2, purpose, round);
  w[0]               = (uint64_t)r.v[0] | ((uint64_t)r.v[1] << 32);
  w[1]               = (uint64_t)r.v[2] | ((uint64_t)r.v[3] << 32);
}

/* Acceptance threshold: an event of probability p happens iff a uniform 32-bit integer U is
 * below the returned value (2^32 means always).  The error in the probability is below 2^-32. */
static inline uint64_t RngThreshold(double p)
{
  if (!(p > 0)) return 0;
  if (p >= 1) return (uint64_t)1 << 32;
  return (uint64_t)(p * 4294967296.0);
}

#endif
