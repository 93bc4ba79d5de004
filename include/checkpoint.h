/* Checkpoints: everything needed to continue a run exactly, in one HDF5 file written
 * collectively with parallel HDF5, in a layout that does not depend on the number of ranks
 * (doc/checkpoints.md).
 *
 * Generations: a checkpoint is written to PATH.tmp, flushed to disk, and only then is the
 * previous PATH renamed to PATH.prev and PATH.tmp to PATH.  At any moment at least one complete
 * generation exists.  Every dataset carries a checksum that is verified when restarting; a damaged
 * newest generation is reported and the previous one is used.
 *
 * The core is model-independent: a model describes its state as scalars and datasets
 * (CheckpointState) and the core writes, verifies and restores them. */
#ifndef GLASSY_CHECKPOINT_H
#define GLASSY_CHECKPOINT_H

#include "simulation.h"

#include <hdf5.h>

#define CHECKPOINT_MAX_SCALARS  8
#define CHECKPOINT_MAX_DATASETS 16

/* One dataset of the state under /state.  A replicated dataset is held whole by every rank (rank
 * 0 writes it, every rank reads it); a distributed one is written and read in parts, each rank
 * selecting its own through spaces(), and checksummed by summing checksum() over the ranks. */
typedef struct {
  const char *name;
  hid_t       memtype, filetype;
  void       *data;
  int         ndims;
  hsize_t     dims[GLASSY_MAX_DIM + 2]; /* global shape */
  void (*spaces)(void *ctx, hid_t *filespace, hid_t *memspace); /* NULL: replicated */
  uint64_t (*checksum)(void *ctx);                              /* this rank's part */
  void *ctx;
} CheckpointDataset;

typedef struct {
  MPI_Comm          comm;
  const char       *path;  /* -checkpoint */
  PetscBool         quiet;
  const char       *options; /* the run's options, stored as an attribute for campaigns (not verified here) */
  char              fingerprint[GLASSY_MAX_TEMPS * 26 + 1024];
  int               nscalars, ndatasets;
  const char       *scalar_names[CHECKPOINT_MAX_SCALARS];
  int64_t          *scalars[CHECKPOINT_MAX_SCALARS]; /* scalars[0] is the sweep count */
  CheckpointDataset datasets[CHECKPOINT_MAX_DATASETS];
} CheckpointState;

/* Order-independent checksum of a whole replicated array of 1-, 4- or 8-byte elements. */
uint64_t CheckpointChecksum(const void *data, size_t elsize, size_t n);

/* Write a generation (collective) and report it unless quiet; bytes: the size of the state. */
PetscErrorCode CheckpointStateWrite(CheckpointState *st, double *bytes, double *seconds);
/* Restore the newest valid generation, if any (collective). */
PetscErrorCode CheckpointStateRestore(CheckpointState *st, PetscBool *restored);

/* The EA simulation's state. */
PetscErrorCode CheckpointWrite(Simulation *sim);
PetscErrorCode CheckpointRestore(Simulation *sim, PetscBool *restored);

#endif
