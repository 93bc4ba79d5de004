/* Instance files: the couplings of one EA sample, as a plain-text edge list or in HDF5.
 *
 * Text: one bond per line `i j J` (0-based site indices, site (x0, x1, ...) has index
 * x0 + L*x1 + L*L*x2 + ...), `#` starts a comment, J used as written (quantised to 2^-32).
 * HDF5: datasets /i, /j (int64) and /J (double) of equal length, attributes dim and L.
 * Bonds not listed have J = 0. */
#ifndef GLASSY_INSTANCE_IO_H
#define GLASSY_INSTANCE_IO_H

#include "glassy.h"

/* Generic pair files (`i j J` text lines, or HDF5 /i /j /J): each pair is handed to a sink that
 * validates and stores it; `where` is the line (text) or entry (HDF5) for error messages. */
typedef PetscErrorCode (*PairSink)(void *ctx, const char *path, long where, int64_t i, int64_t j, double J);
/* An integer attribute an HDF5 instance must have, and the option it must match. */
typedef struct {
  const char *name;
  int         value;
  const char *option;
} InstanceAttr;
/* Read on one rank (errors are local: share them with ErrorsShare); max: most entries allowed. */
PetscErrorCode InstanceReadPairs(const char *path, const InstanceAttr *attrs, int nattrs, int64_t max, PairSink add, void *ctx);
/* Write n pairs atomically (one rank), with the given integer attributes in HDF5. */
PetscErrorCode InstanceWritePairs(const char *path, int64_t n, const int64_t *i, const int64_t *j, const double *J, const InstanceAttr *attrs, int nattrs, const char *comment);

/* Read the instance at path for an L^dim lattice into J[g*dim + k] (bond from global site g in
 * direction +k), with present[] marking the bonds listed.  Collective on comm: rank 0 reads and
 * broadcasts, and every error (naming the file and line) is raised on every rank. */
PetscErrorCode InstanceRead(MPI_Comm comm, const char *path, int dim, int L, double *J, int64_t *nbonds);

/* Write an instance (called on one rank only); the file is replaced atomically. */
PetscErrorCode InstanceWrite(const char *path, int dim, int L, const double *J, const char *comment);

/* True if path names an HDF5 file by its extension (.h5 or .hdf5). */
PetscBool InstancePathIsHDF5(const char *path);

#endif
