/* One simulation: a batch of samples (lanes) of the EA model on a distributed lattice, with R
 * replicas at each of nT temperatures, advanced together by checkerboard sweeps and parallel
 * tempering.  Configuration slot r*nT + t always holds replica r at temperature index t for
 * every lane: a tempering swap exchanges the lanes' bits between slots (see tempering.c).
 *
 * Spin layout: the slots of a site are contiguous, word w of slot s at padded site p is
 * spins[(p * W + w) * slot_stride + s] (SimulationSpinIndex).  With eight slots or more the slot stride
 * is rounded up to a multiple of 8, so that the bimodal kernel loads eight slots of a site and of
 * each neighbour as one vector; the padding slots stay zero and are never measured. */
#ifndef GLASSY_SIMULATION_H
#define GLASSY_SIMULATION_H

#include "accumulators.h"
#include "couplings.h"
#include "halo.h"
#include "vcount.h"
#include "lattice.h"
#include "options.h"
#include "structure_factor.h"
#include "sweep.h"

typedef enum { OBS_ENERGY, OBS_ENERGY2, OBS_ABS_MAGNETIZATION, OBS_Q2, OBS_Q4, OBS_LINK_OVERLAP, OBS_LINK_OVERLAP2, OBS_QK2, NOBS } ObservableIndex;
extern const char *const ObservableNames[NOBS];
extern const char *const ObservableDescriptions[NOBS];

#ifndef OVERLAP_GROUPS
#define OVERLAP_GROUPS 4 /* vectors of eight temperatures counted in one pass over the sites */
#endif

typedef enum { TIMER_SWEEP, TIMER_HALO_WAIT, TIMER_MEASURE, TIMER_TEMPERING, TIMER_CHECKPOINT, TIMER_OUTPUT, NTIMERS } TimerIndex;
extern const char *const TimerNames[NTIMERS];

typedef struct {
  const GlassyOptions *opt;
  MPI_Comm             comm; /* the Cartesian communicator of the lattice */
  Lattice             *lat;
  Couplings           *cpl;
  Halo                *halo;
  StructureFactor     *sf;
  int                  W, lanes, samples, nT, R, nslots, npairs;
  int                  slot_stride; /* nslots, or nslots rounded up to a multiple of 8 */
  uint32_t             seed;
  int64_t              first_sample;
  uint64_t            *spins;     /* [npadded][W][slot_stride] */
  double              *beta;      /* [nT] */
  uint64_t            *threshold; /* [nT][2*dim+1] bimodal acceptance thresholds */
  SweepSlotTables     *slot_tables; /* the slot kernel's tables, or NULL */
  SweepKernel          kernel;     /* one slot at a time, unless all_slots */
  PetscBool            all_slots;  /* SweepBimodalSlots updates every slot at once */
  const char          *kernel_name;
  int64_t             *energy;    /* [nslots][lanes] total energy, units of 2^-32 */
  int64_t             *magnet;    /* [nslots][lanes] sum of spins */
  int64_t              energy_sweep; /* sweep at which energy[] was computed (-1: stale) */
  int64_t             *tracked;   /* [nslots][lanes] energy kept incrementally, or NULL */
  /* Measurement work space, allocated (and its pages touched) once rather than per measurement. */
  int64_t             *energy_counts;  /* [2][nslots][lanes] this rank's unsatisfied bonds or energies, down spins */
  VSum8               *energy_sums;    /* [5][slot groups][W]: CountEnergies' counters, or the sweep's tally's */
  int64_t             *tally_late;     /* [2][slot_stride][lanes] the tally's corrections, if the slot kernel keeps a tally */
  int64_t             *overlap_counts; /* [nT][npairs][2 + dim L][lanes] */
  VSum8               *overlap_sums;   /* [OVERLAP_GROUPS][nloc_0] the overlap counters along dimension 0 */
  VWordA              *overlap_planes; /* [OVERLAP_GROUPS][ObservablesPlaneCounters][overlap_np] the others */
  int                  overlap_np;     /* bit planes of those: enough for nlocal dim */
  int64_t              sweep;     /* sweeps done */
  int64_t              total_sweeps;
  int64_t              pt_steps;
  int64_t              swap_attempts;  /* per pair, lane and replica */
  int64_t             *swap_accepts;   /* [nT-1][lanes] summed over replicas */
  Accumulators         acc;
  double              *sf_sum;   /* [nT][local k points] structure-factor sums, or NULL */
  int64_t              sf_count;
  double               timer[NTIMERS];
  double               wall_start, wall_run;
  int64_t              sweep_start;      /* sweep at which this process started (restarts) */
  int                  interrupted;      /* signal that stopped the run, or 0 */
  SweepHook            hook;             /* called on rank 0 at sweep boundaries (campaigns) */
  int64_t              checkpoints;      /* checkpoints written by this process */
  double               checkpoint_bytes; /* and their size */
  uint64_t            *checkpoint_buffer; /* the spins in the checkpoint's order (checkpoint.c), or NULL */
} Simulation;

/* The bit-plane overlap counters per vector of eight temperatures (observables.c). */
int ObservablesPlaneCounters(const Lattice *lat);

static inline int64_t SimulationSpinIndex(const Simulation *sim, int s, int64_t p, int w) { return (p * sim->W + w) * sim->slot_stride + s; }

/* Sweep arguments for slot s (strides, seed, temperature), as the kernels take them. */
SweepArgs SimulationSweepArgs(const Simulation *sim, int s);

PetscErrorCode SimulationCreate(MPI_Comm comm, const GlassyOptions *opt, Simulation **sim);
PetscErrorCode SimulationDestroy(Simulation **sim);
/* One full sweep (both colours, every slot) including the halo exchanges. */
PetscErrorCode SimulationSweep(Simulation *sim);
/* Run the equilibration and measurement phases with tempering, measurements and progress. */
PetscErrorCode SimulationRun(Simulation *sim);
/* Energies and magnetisations of every slot recomputed from the configurations (collective). */
PetscErrorCode SimulationComputeEnergies(Simulation *sim);
/* Keep the energy incrementally as well (for the consistency check). */
PetscErrorCode SimulationTrackEnergy(Simulation *sim);
/* The incrementally kept energies summed over the ranks: [nslots][lanes]. */
PetscErrorCode SimulationTrackedEnergy(Simulation *sim, int64_t *energy);

/* observables.c */
PetscErrorCode ObservablesMeasure(Simulation *sim, PetscBool production);
/* This rank's counts of the sites and bonds where two replicas differ, for every replica pair and
 * temperature, before the sum over the ranks: count[nT][npairs][2 + dim L][lanes] (differing
 * sites, differing bonds, differing sites per plane x_k = c; overlap_counts' layout).  The
 * reference loops over sites and lanes one by one and gives the same integers. */
void ObservablesOverlapCounts(Simulation *sim, int64_t *count);
void ObservablesOverlapCountsReference(const Simulation *sim, int64_t *count);
/* Thermal averages and binning errors: mean, err [NOBS][samples][nT]. */
PetscErrorCode ObservablesAverages(const Simulation *sim, double *mean, double *err);

/* tempering.c */
PetscErrorCode TemperingStep(Simulation *sim);
/* Tests: apply the swaps with the plain loop even where the AVX-512 one could run. */
void TemperingForcePortable(int on);

/* output.c */
/* Check, before any work, that `path` (given by `option`) can be created with parallel HDF5. */
PetscErrorCode OutputCheckWritable(MPI_Comm comm, const char *option, const char *path);
PetscErrorCode OutputWrite(Simulation *sim);

#endif
