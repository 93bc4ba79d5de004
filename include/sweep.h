/* Single-spin update kernels over one colour of the checkerboard.
 *
 * Spins are bit-packed: site p of a configuration holds W 64-bit words, bit b of word w is lane
 * (sample) 64*w + b, and a set bit is spin -1.  Every lane decides with its own random bits:
 *
 * - Bimodal couplings.  With n unsatisfied bonds out of 2*dim, a flip changes the energy by
 *   4*(dim - n) and is accepted with probability p_n (Metropolis or heat bath), represented as a
 *   32-bit threshold P_n (see RngThreshold).  Lane b's uniform U is a 32-bit integer whose bit
 *   31-j is bit b of random word j (words j = 0..31 come from RNG_UPDATE draws); the lane flips
 *   iff U < P_n.  The reference kernel builds U lane by lane; the multispin kernel compares
 *   all 64 lanes bit-serially from the most significant bit and stops once every lane is decided,
 *   which gives identical decisions.
 * - Real couplings (Gaussian or loaded).  Lane b's uniform is one 32-bit RNG_UPDATE_LANE output
 *   and the threshold is computed from exp() per lane.  The multispin kernel sums the fields in
 *   SIMD vectors and uses a polynomial exp, falling back on the reference's arithmetic for lanes
 *   too close to the threshold to tell, so its decisions are again identical.
 *
 * The kernels read neighbour spins from the halo, so the halo of the other colour must be
 * current.  Kernels that can report the per-lane energy change (fixed point) add it to dE when
 * dE is not NULL. */
#ifndef GLASSY_SWEEP_H
#define GLASSY_SWEEP_H

#include "couplings.h"
#include "lattice.h"
#include "options.h"
#include "rng.h"
#include "vcount.h"

/* Counts the slot kernel keeps, when asked, of the sites it updates, after their update: their
 * down spins and (in the pass over the second colour, whose sites' neighbours are all final)
 * their unsatisfied bonds, which counts every bond once.  A measurement after such a sweep needs
 * no pass of its own over the lattice.  Counter [q][w][g] (q = 0: down spins; q = 1 + i: bit i
 * of the unsatisfied bonds, weight 2^i) is slot group g's, word w's; late[] gets the changes
 * made by the vectors decided after their site's store, [0][slot][lane] to the down spins and
 * [1][slot][lane] to the unsatisfied bonds (slot over the slot stride, lane over 64 W). */
typedef struct {
  VSum8   *sums;  /* [1 + planes][W][slot stride / 8], planes = 3 for dim <= 3 and 4 for dim 4 */
  int64_t *late;  /* [2][slot stride][64 W] */
  int      bonds; /* count the unsatisfied bonds too */
} SweepTally;

typedef struct {
  const Lattice   *lat;
  const Couplings *cpl;
  uint64_t        *spins;     /* this configuration: word w of padded site p is SweepWord(a, p, w) */
  int64_t          site_stride, word_stride; /* words from one site, and from one word, to the next */
  uint32_t         seed;
  int64_t          first_sample; /* sample index of lane 0 */
  uint32_t         sweep, slot;
  double           beta;
  GlassyUpdate     update;
  const uint64_t  *threshold; /* bimodal: [2*dim+1] thresholds P_n */
  int64_t         *dE;        /* [lanes] energy change in units of 2^-32, or NULL */
  SweepTally      *tally;     /* slot kernel: counts of the updated sites, or NULL */
} SweepArgs;

typedef void (*SweepKernel)(const SweepArgs *a, const int64_t *sites, int64_t n);

static inline uint64_t *SweepWord(const SweepArgs *a, int64_t p, int w) { return a->spins + p * a->site_stride + (int64_t)w * a->word_stride; }

void SweepBimodalReference(const SweepArgs *a, const int64_t *sites, int64_t n);
void SweepBimodalMultispin(const SweepArgs *a, const int64_t *sites, int64_t n);
void SweepRealReference(const SweepArgs *a, const int64_t *sites, int64_t n);
void SweepRealMultispin(const SweepArgs *a, const int64_t *sites, int64_t n);
/* The bimodal multispin kernel for every slot at once, eight slots of a site per vector:
 * a->spins points at slot 0, a->word_stride (the slot stride) is a multiple of 8 and a->slot is 0.
 * Its tables are made once from thresholds[s * (2*dim+1) + n], slot s's P_n for the slot stride's
 * slots (all zero for padding slots, which never flip); NULL if out of memory.  a->beta,
 * a->threshold and a->dE are not used.  Same decisions as the reference. */
typedef struct SweepSlotTables SweepSlotTables;
SweepSlotTables *SweepSlotTablesCreate(int dim, int nslots, const uint64_t *thresholds);
void             SweepSlotTablesDestroy(SweepSlotTables *t);
void             SweepBimodalSlots(const SweepArgs *a, const SweepSlotTables *t, const int64_t *sites, int64_t n);
/* Whether SweepBimodalSlots keeps a->tally with these tables (the AVX-512 kernel does; the
 * portable path ignores it). */
int SweepSlotsCanTally(const SweepSlotTables *t);
/* For tests: tables made while this is on take the portable path (the eight-site kernel slot by
 * slot) even on CPUs with AVX-512 and VAES. */
void SweepSlotsForcePortable(int on);

/* The real-coupling kernel's polynomial exp on n values (n a multiple of 8, |x| <= 80), and a
 * relative guard band wider than the kernels' own (2^-24 in double; in single precision at least
 * 2^-16, and wider from an error bound on the couplings; 0 restores them), for tests. */
void SweepRealExpPoly(const double *x, double *y, int n);
void SweepRealGuardBand(double rel);
/* For tests: the AVX-512 kernel's single-precision exp on n values (n a multiple of 16, |x| <= 80);
 * 0 where this build or CPU has no AVX-512 kernel.  While SweepRealForcePortable is on, the
 * real-coupling kernel takes its vector-extension path even on CPUs with AVX-512. */
int  SweepRealExpPolyF(const float *x, float *y, int n);
void SweepRealForcePortable(int on);

/* Thresholds P_n for n = 0..2*dim unsatisfied bonds at inverse temperature beta. */
void SweepBimodalThresholds(int dim, double beta, GlassyUpdate update, uint64_t *threshold);

/* Acceptance probability of a flip that changes the energy by dE. */
static inline double SweepAcceptance(GlassyUpdate update, double beta, double dE)
{
  if (update == UPDATE_METROPOLIS) return dE <= 0 ? 1.0 : exp(-beta * dE);
  return 1.0 / (1.0 + exp(beta * dE));
}

#endif
