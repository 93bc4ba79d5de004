/* Instance files: the couplings of one EA sample, as a plain-text edge list or in HDF5.
 *
 * Text: one bond per line `i j J` (0-based site indices, site (x0, x1, ...) has index
 * x0 + L*x1 + L*L*x2 + ...), `#` starts a comment, J used as written (quantised to 2^-32).
 * HDF5: datasets /i, /j (int64) and /J (double) of equal length, attributes dim and L.
 * Bonds not listed have J = 0. */
#ifndef GLASSY_INSTANCE_IO_H
#define GLASSY_INSTANCE_IO_H

#include "glassy.h"

/* Read the instance at path for an L^dim lattice into J[g*dim + k] (bond from global site g in
 * direction +k), with present[] marking the bonds listed.  Collective on comm: rank 0 reads and
 * broadcasts, and every error (naming the file and line) is raised on every rank. */
PetscErrorCode InstanceRead(MPI_Comm comm, const char *path, int dim, int L, double *J, int64_t *nbonds);

/* Write an instance (called on one rank only); the file is replaced atomically. */
PetscErrorCode InstanceWrite(const char *path, int dim, int L, const double *J, const char *comment);

/* True if path names an HDF5 file by its extension (.h5 or .hdf5). */
PetscBool InstancePathIsHDF5(const char *path);

#endif
