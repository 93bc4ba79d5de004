/* The Sherrington-Kirkpatrick model: H = -sum_{i<j} K_ij s_i s_j with K_ij = J_ij / sqrt(N) for
 * generated couplings (J Gaussian or +-1) and K_ij = J as written for a loaded instance.
 *
 * Copies.  A batch of S samples with R replicas at nT temperatures has C = S R nT copies; copy
 * g = (s R + r) nT + k keeps its spins and local fields h_i = sum_j K_ij s_j on one rank (copies
 * are dealt out in contiguous blocks), and its own random stream, keyed by (seed, sample) and
 * counted by (site, sweep, r nT + k).  Parallel tempering exchanges temperatures, not spins:
 * every rank keeps the same table of which copy is at which temperature, decided from the
 * gathered energies.  Measurements gather the packed spins of all copies, so every rank computes
 * the same overlaps.  Nothing depends on the number of ranks.
 *
 * The coupling matrices (one per sample, or one for a loaded instance) are held once per node in
 * an MPI-3 shared-memory window. */
#ifndef GLASSY_SK_H
#define GLASSY_SK_H

#include "accumulators.h"
#include "options.h"

typedef enum { SKOBS_ENERGY, SKOBS_ENERGY2, SKOBS_ABS_MAGNETIZATION, SKOBS_Q2, SKOBS_Q4, NSKOBS } SKObservable;
extern const char *const SKObservableNames[NSKOBS];
extern const char *const SKObservableDescriptions[NSKOBS];

typedef struct {
  const GlassyOptions *opt;
  MPI_Comm             comm, node; /* the group, and its ranks on this node */
  int                  rank, size;
  int                  N, S, R, nT, C;   /* spins, samples, replicas, temperatures, copies */
  int                  nmat;             /* coupling matrices: S, or 1 for a loaded instance */
  int                  Wn;               /* 64-bit words of a packed spin vector */
  int                  ld;               /* row stride of the matrices and the fields, >= N (see SKStride) */
  MPI_Win              win;              /* shared window holding the matrices */
  const double        *K;                /* [nmat][N][ld], zero diagonal */
  double               matrix_bytes;
  uint32_t             seed;
  int64_t              first_sample;
  int                  first, ncopies;   /* this rank's copies: first .. first+ncopies-1 */
  int                 *counts, *displs;  /* copies per rank, for gathers */
  signed char         *spins;            /* [ncopies][N] */
  double              *fields;           /* [ncopies][ld] */
  double              *beta;             /* [nT] */
  int                 *temp_of;          /* [C] temperature index of each copy */
  int                 *copy_at;          /* [S][R][nT] copy at each temperature */
  double              *energy;           /* [C] gathered energies */
  uint64_t            *packed;           /* [C][Wn] gathered packed spins (bit set: spin -1) */
  int64_t              sweep, total_sweeps, pt_steps, swap_attempts;
  int64_t             *swap_accepts;     /* [S][nT-1] over replicas */
  Accumulators         acc;
  double              *pq;               /* [S][nT][N+1] counts of q = -1 + 2k/N (production) */
  double               wall_run, timer_sweep, timer_measure, timer_tempering, timer_checkpoint;
  int64_t              sweep_start;      /* sweep this process started from (restarts) */
  int                  interrupted;      /* the stop signal, or 0 */
  SweepHook            hook;             /* called on rank 0 at sweep boundaries (campaigns) */
  int64_t              checkpoints;
  double               checkpoint_bytes;
  uint64_t             file_checksum;    /* hash of a loaded instance (0 when generated) */
  /* Integer path, when every coupling is +-kscale (bimodal): the signs as bits in a second shared
   * window, so that H_i = h_i / kscale = (N-1) - 2 popcount(signs_i XOR spins) is exact and
   * cheap; acceptance thresholds tabulated per temperature over the 2N-1 values of s_i H_i.  The
   * fields hint are a function of the spins: kept by the reference kernel, recomputed when
   * needed (hint_valid) after the popcount kernel, and not checkpointed. */
  PetscBool            intpath;
  double               kscale;
  MPI_Win              win_bits;
  const uint64_t      *Kbits;            /* [nmat][N][Wn], bit j of row i set when K_ij < 0 */
  int16_t             *hint;             /* [ncopies][ld] */
  PetscBool            hint_valid;
  uint64_t            *tbits;            /* [ncopies][Wn] the spins as bits, kept by the popcount kernel */
  PetscBool            tbits_valid;
  uint64_t            *ithr;             /* [nT][2N-1] */
} SK;

/* Sweep kernels (sk_sweep.c): one sweep of the local copies c0 .. c1-1, which share a coupling
 * matrix, with the reference or the blocked kernel (-kernel); and the fields of local copy c
 * computed from scratch. */
PetscErrorCode SKSweep(SK *sk, int c0, int c1);
void           SKFieldsCompute(SK *sk, int c);
/* Integer path: make hint current if the last sweep left it stale. */
void           SKIntFieldsEnsure(SK *sk);
/* The kernel SKSweep uses: reference, blocked (real couplings) or popcount (+-c). */
const char    *SKKernelName(const SK *sk);

/* Copy g = (s R + r) nT + k: its sample, replica and temperature slot. */
static inline int SKCopySample(const SK *sk, int g) { return g / (sk->R * sk->nT); }
static inline int SKCopyReplica(const SK *sk, int g) { return (g / sk->nT) % sk->R; }
static inline int SKCopyIndex(const SK *sk, int g) { return g % sk->nT; }

/* Pack N spins +-1 as Wn words of bits (set for -1). */
void SKPackSpins(const signed char *s, int N, int Wn, uint64_t *t);

PetscErrorCode SKCreate(MPI_Comm comm, const GlassyOptions *opt, SK **sk);
PetscErrorCode SKDestroy(SK **sk);
PetscErrorCode SKRun(SK *sk);
/* With -restart: continue from the newest valid checkpoint, if any (collective). */
PetscErrorCode SKRestore(SK *sk, PetscBool *restored);
PetscErrorCode SKWrite(SK *sk);
PetscErrorCode SKPrintSummary(SK *sk);
/* Write each sample's couplings K_ij as an instance file (-export_couplings). */
PetscErrorCode SKExport(MPI_Comm comm, const GlassyOptions *opt);

/* Read an SK instance (pairs `i j J`, J used as written) into the dense matrix K[N][N]. */
PetscErrorCode SKInstanceRead(MPI_Comm comm, const char *path, int N, double *K);

#endif
