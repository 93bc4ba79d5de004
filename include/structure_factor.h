/* Structure factor of a field on the distributed lattice with FFTW's MPI interface.
 *
 * FFTW distributes a row-major array in slabs of its first (slowest) index.  glassy's site index
 * has x0 fastest, so FFTW's array is [x_{d-1}]...[x_1][x_0] and the slabs are ranges of x_{d-1}.
 * The field, given on the lattice's own block decomposition, is moved into FFTW's slabs with one
 * MPI_Alltoallv whose pattern is computed once.  `howmany` fields (one per lane) are transformed
 * together.  The result is |F(k)|^2 / N^2 with F(k) = sum_x f(x) exp(-i k.x), on FFTW's half
 * spectrum [k_{d-1}]...[k_1][k_0 = 0..L/2], with k_j = 2 pi n_j / L. */
#ifndef GLASSY_STRUCTURE_FACTOR_H
#define GLASSY_STRUCTURE_FACTOR_H

#include "lattice.h"
#include <fftw3-mpi.h>

typedef struct {
  const Lattice *lat;
  int            howmany;
  ptrdiff_t      local_n0, local_0_start; /* this rank's slab of x_{d-1} (and of k_{d-1}) */
  int64_t        nk_local;                /* complex points in the slab */
  int64_t        nk_global;               /* L^(d-1) * (L/2+1) */
  double        *in;
  fftw_complex  *out;
  fftw_plan      plan;
  int           *scount, *sdispl, *rcount, *rdispl; /* Alltoallv pattern, in sites */
  int64_t       *send_order; /* owned-site positions (index into lat->owned) in send order */
  int64_t       *recv_pos;   /* for each received site, its real offset in `in` (without howmany) */
  int64_t        nrecv;
  double        *sendbuf, *recvbuf;
  MPI_Datatype   lane_type;  /* howmany doubles */
} StructureFactor;

PetscErrorCode StructureFactorCreate(const Lattice *lat, int howmany, StructureFactor **sf);
PetscErrorCode StructureFactorDestroy(StructureFactor **sf);
/* field: [lat->nlocal][howmany] in the order of lat->owned; power: [nk_local][howmany]. */
PetscErrorCode StructureFactorCompute(StructureFactor *sf, const double *field, double *power);

#endif
