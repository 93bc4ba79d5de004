/* Helpers for the collective HDF5 files glassy writes: datasets written by rank 0 with metadata
 * calls made on every rank, and scalar attributes.  A failure is reported after every collective
 * call has been made, so no rank is left behind in a collective operation. */
#ifndef GLASSY_H5UTIL_H
#define GLASSY_H5UTIL_H

#include "glassy.h"
#include "options.h"
#include <hdf5.h>

/* Remember the first error (in a local PetscErrorCode e) but keep making every collective call. */
#define HDF5_KEEP(call) \
  do { \
    PetscErrorCode keep_e_ = (call); \
    if (!e) e = keep_e_; \
  } while (0)

/* A dataset of doubles written by rank 0, with a description attribute. */
PetscErrorCode HDF5WriteDoubles(hid_t loc, const char *name, int ndims, const hsize_t *dims, const double *data, int rank, const char *description);
void           HDF5AttrString(hid_t loc, const char *name, const char *value);
void           HDF5AttrDouble(hid_t loc, const char *name, double v);
void           HDF5AttrInt(hid_t loc, const char *name, long long v);

/* Group /pt: swap_acceptance [samples][nT-1] (the caller's fractions) and tempering_steps. */
PetscErrorCode HDF5WriteTempering(hid_t file, const double *acceptance, int samples, int nT, int64_t steps, int rank);

/* Provenance and the run's options as attributes of the results file (both models). */
void HDF5RunAttributes(hid_t file, const GlassyOptions *o, int ranks);

/* The results file is created collectively as PATH.tmp-PID (tmp receives the name) and, when
 * complete, closed and renamed to PATH by HDF5FinishResults, which reports `e` or any failure
 * collectively; a failed file is removed.  `option` names the option that gave PATH. */
PetscErrorCode HDF5CreateResults(MPI_Comm comm, const char *option, const char *path, char *tmp, size_t len, hid_t *file);
PetscErrorCode HDF5FinishResults(MPI_Comm comm, const char *option, const char *path, const char *tmp, hid_t file, PetscErrorCode e);

#endif
