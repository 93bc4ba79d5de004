/* Checkpoints: everything needed to continue a run exactly, in one HDF5 file written
 * collectively with parallel HDF5, in a layout that does not depend on the number of ranks
 * (doc/checkpoints.md).
 *
 * Generations: a checkpoint is written to PATH.tmp, flushed to disk, and only then is the
 * previous PATH renamed to PATH.prev and PATH.tmp to PATH.  At any moment at least one complete
 * generation exists.  Every dataset carries a checksum that is verified when restarting; a damaged
 * newest generation is reported and the previous one is used. */
#ifndef GLASSY_CHECKPOINT_H
#define GLASSY_CHECKPOINT_H

#include "simulation.h"

/* Write a checkpoint of the current state to -checkpoint (collective). */
PetscErrorCode CheckpointWrite(Simulation *sim);

/* With -restart: load the newest valid generation at -checkpoint if there is one (restored is
 * set), or leave the fresh state (restored = PETSC_FALSE).  Collective. */
PetscErrorCode CheckpointRestore(Simulation *sim, PetscBool *restored);

/* The string that identifies the physics of a run; a checkpoint restarts only a run with the
 * same fingerprint. */
PetscErrorCode CheckpointFingerprint(const Simulation *sim, char *buf, size_t len);

#endif
