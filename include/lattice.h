/* The periodic L^d lattice split over a Cartesian grid of ranks.
 *
 * Each rank stores its block of nloc[0] x ... x nloc[d-1] sites surrounded by one layer of halo
 * sites (extent nloc+2 per dimension).  Local arrays are indexed by the position in that padded
 * block, dimension 0 fastest: site = sum_k (x_k + 1) * stride[k] for local coordinates x_k in
 * [0, nloc[k]).  Global site index (the index used in files and random-number counters) is
 * x0 + L*x1 + L*L*x2 + ... of the global coordinates.  The colour (checkerboard parity) of a
 * site is the parity of the sum of its global coordinates; L is even, so it is well defined. */
#ifndef GLASSY_LATTICE_H
#define GLASSY_LATTICE_H

#include "glassy.h"
#include "options.h"

typedef struct {
  int      dim, L;
  MPI_Comm comm; /* Cartesian communicator over which the lattice is split */
  int      rank, size;
  int      dims[GLASSY_MAX_DIM], coords[GLASSY_MAX_DIM];
  int      nloc[GLASSY_MAX_DIM], offset[GLASSY_MAX_DIM];
  int      nbr_lo[GLASSY_MAX_DIM], nbr_hi[GLASSY_MAX_DIM]; /* neighbour ranks */
  int64_t  stride[GLASSY_MAX_DIM];                         /* strides in the padded block */
  int64_t  nlocal;                                         /* owned sites */
  int64_t  npadded;                                        /* owned + halo */
  int64_t  N;                                              /* L^d */
  int64_t *global;                                         /* [npadded] global index of each padded site */
  /* Owned sites of each colour: boundary sites (those whose neighbours include a halo site
   * another rank sends) first, then interior ones, each in the order of LatticeOrderSites.  A
   * face that wraps onto the rank itself makes no site boundary (the halo copies it at the end). */
  int64_t *sites[2];
  int64_t  nsites[2], nboundary[2];
  int64_t *owned; /* [nlocal] all owned sites in padded indexing, global order within the block */
  int64_t *rows;  /* [nrows] the first site of each row along dimension 0, in the slab order of LatticeOrderSites */
  int64_t  nrows; /* nlocal / nloc[0] */
} Lattice;

/* Split the L^dim lattice over the ranks of comm (collective). */
PetscErrorCode LatticeCreate(MPI_Comm comm, int dim, int L, Lattice **lat);
PetscErrorCode LatticeDestroy(Lattice **lat);

/* Order each colour's sites for the sweeps, which read a site's record and its neighbours' (the
 * result does not depend on the order, only the speed does).  In three dimensions and more the
 * block is cut into slabs of rows along dimension 1, each swept dimension 0 fastest, then 1, then
 * 2 .. d-1, so that the spin records (site_bytes each) of three consecutive planes of a slab fit
 * in half the L2 cache (the couplings are not counted: with the +-1 slot layout they are a small
 * part), but never fewer than two rows; with site_bytes 0, or in two dimensions, one slab.
 * The rows along dimension 0 are listed in the same order (rows[]), for passes over all sites. */
PetscErrorCode LatticeOrderSites(Lattice *lat, size_t site_bytes);

/* The rank grid as text, e.g. "2x2x1" (sep "x") or "2 x 2 x 1" (sep " x "). */
void LatticeGridString(int dim, const int dims[], const char *sep, char *buf, size_t len);

/* Global coordinates of a global site index. */
static inline void LatticeGlobalCoords(int dim, int L, int64_t g, int x[])
{
  for (int k = 0; k < dim; k++) {
    x[k] = (int)(g % L);
    g /= L;
  }
}

/* Global index of the neighbour of global site g in direction +k. */
static inline int64_t LatticeGlobalNeighbour(int dim, int L, int64_t g, int k)
{
  int64_t s = 1;
  for (int j = 0; j < k; j++) s *= L;
  int x = (int)((g / s) % L);
  return x == L - 1 ? g - (int64_t)(L - 1) * s : g + s;
}

#endif
