/* Domain decomposition of the periodic lattice over a Cartesian grid of ranks. */
#include "lattice.h"

#include <stdio.h>
#include <unistd.h>

void LatticeGridString(int dim, const int dims[], const char *sep, char *buf, size_t len)
{
  size_t n = 0;
  buf[0]   = '\0';
  for (int k = 0; k < dim && n < len; k++) n += (size_t)snprintf(buf + n, len - n, "%s%d", k ? sep : "", dims[k]);
}

PetscErrorCode LatticeCreate(MPI_Comm comm, int dim, int L, Lattice **out)
{
  Lattice *lat;
  int      size, periods[GLASSY_MAX_DIM] = {1, 1, 1, 1};
  int      ext[GLASSY_MAX_DIM];

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&lat));
  lat->dim = dim;
  lat->L   = L;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  {
    /* MPI_Dims_create puts the largest extent first; give it to the slowest dimension x_{d-1},
     * so that each rank's block is made of long contiguous runs of the global site order (the
     * order of the checkpoint layout and of FFTW's slabs). */
    int dims[GLASSY_MAX_DIM] = {0, 0, 0, 0};
    PetscCallMPI(MPI_Dims_create(size, dim, dims));
    for (int k = 0; k < dim; k++) lat->dims[k] = dims[dim - 1 - k];
  }
  {
    char grid[64];
    LatticeGridString(dim, lat->dims, " x ", grid, sizeof grid);
    for (int k = 0; k < dim; k++) GlassyCheck(L % lat->dims[k] == 0, comm, "-L %d: does not split over the %s grid of %d ranks (L must be a multiple of %d)", L, grid, size, lat->dims[k]);
  }
  PetscCallMPI(MPI_Cart_create(comm, dim, lat->dims, periods, 0, &lat->comm));
  PetscCallMPI(MPI_Comm_rank(lat->comm, &lat->rank));
  PetscCallMPI(MPI_Comm_size(lat->comm, &lat->size));
  PetscCallMPI(MPI_Cart_coords(lat->comm, lat->rank, dim, lat->coords));
  lat->nlocal  = 1;
  lat->npadded = 1;
  lat->N       = 1;
  for (int k = 0; k < dim; k++) {
    lat->nloc[k]   = L / lat->dims[k];
    lat->offset[k] = lat->coords[k] * lat->nloc[k];
    ext[k]         = lat->nloc[k] + 2;
    lat->stride[k] = lat->npadded;
    lat->npadded *= ext[k];
    lat->nlocal *= lat->nloc[k];
    lat->N *= L;
    PetscCallMPI(MPI_Cart_shift(lat->comm, k, 1, &lat->nbr_lo[k], &lat->nbr_hi[k]));
  }

  /* Global index of every padded site (halo sites wrap around the periodic lattice) and all
   * owned sites; then the owned sites by colour. */
  PetscCall(PetscMalloc1(lat->npadded, &lat->global));
  PetscCall(PetscMalloc1(lat->nlocal, &lat->owned));
  for (int c = 0; c < 2; c++) PetscCall(PetscMalloc1(lat->nlocal, &lat->sites[c]));
  {
    int64_t nown = 0;
    for (int64_t p = 0; p < lat->npadded; p++) {
      int64_t rest = p, g = 0, gs = 1;
      int     inside = 1;
      for (int k = 0; k < dim; k++) {
        int xl = (int)(rest % ext[k]); /* 0 .. nloc+1, owned 1 .. nloc */
        rest /= ext[k];
        g += (int64_t)(((lat->offset[k] + xl - 1) % L + L) % L) * gs;
        gs *= L;
        if (xl == 0 || xl == ext[k] - 1) inside = 0;
      }
      lat->global[p] = g;
      if (inside) lat->owned[nown++] = p;
    }
  }
  PetscCall(LatticeOrderSites(lat, 0));
  *out = lat;
  PetscFunctionReturn(0);
}

/* The rows along dimension 1 of one slab of the site order (see LatticeOrderSites). */
static int SlabRows(const Lattice *lat, size_t site_bytes)
{
#ifdef _SC_LEVEL2_CACHE_SIZE /* a glibc extension */
  long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
#else
  long l2 = 0;
#endif
  size_t budget = (l2 > 0 ? (size_t)l2 : (size_t)1 << 20) / 2, plane = 3 * site_bytes; /* three planes of the slowest dimension */
  int    rows;
  if (lat->dim < 3 || site_bytes == 0) return lat->nloc[1];
  for (int k = 0; k < lat->dim - 1; k++)
    if (k != 1) plane *= (size_t)lat->nloc[k] + 2;
  rows = (int)(budget / plane) - 2; /* the slab's rows and the two next to it */
  return rows < 2 ? 2 : rows > lat->nloc[1] ? lat->nloc[1] : rows;
}

PetscErrorCode LatticeOrderSites(Lattice *lat, size_t site_bytes)
{
  const int dim = lat->dim, B = SlabRows(lat, site_bytes);
  int64_t   nint[2] = {0, 0}, *interior[2];

  PetscFunctionBeginUser;
  for (int c = 0; c < 2; c++) {
    PetscCall(PetscMalloc1(lat->nlocal, &interior[c]));
    lat->nboundary[c] = 0;
  }
  PetscCall(PetscFree(lat->rows));
  PetscCall(PetscMalloc1(lat->nlocal / lat->nloc[0], &lat->rows));
  lat->nrows = 0;
  for (int slab = 0; slab < lat->nloc[1]; slab += B) {
    int x[GLASSY_MAX_DIM] = {0}; /* local coordinates; within the slab, dimension 0 fastest, then 1, then 2 .. d-1 */
    x[1] = slab;
    for (;;) {
      int64_t p = 0, g;
      int     boundary = 0, k, gx[GLASSY_MAX_DIM];
      for (k = 0; k < dim; k++) {
        p += (int64_t)(x[k] + 1) * lat->stride[k];
        if ((x[k] == 0 || x[k] == lat->nloc[k] - 1) && !(lat->nbr_lo[k] == lat->rank && lat->nbr_hi[k] == lat->rank)) boundary = 1;
      }
      if (x[0] == 0) lat->rows[lat->nrows++] = p;
      g = lat->global[p];
      LatticeGlobalCoords(dim, lat->L, g, gx);
      {
        int parity = 0, c;
        for (k = 0; k < dim; k++) parity += gx[k];
        c = parity & 1;
        if (boundary) lat->sites[c][lat->nboundary[c]++] = p;
        else interior[c][nint[c]++] = p;
      }
      /* next site: dimension 0, then 1 within the slab, then 2 .. d-1 */
      if (++x[0] < lat->nloc[0]) continue;
      x[0] = 0;
      if (dim > 1 && ++x[1] < PetscMin(slab + B, lat->nloc[1])) continue;
      if (dim > 1) x[1] = slab;
      for (k = 2; k < dim; k++) {
        if (++x[k] < lat->nloc[k]) break;
        x[k] = 0;
      }
      if (k >= dim) break;
    }
  }
  for (int c = 0; c < 2; c++) {
    PetscCall(PetscArraycpy(lat->sites[c] + lat->nboundary[c], interior[c], nint[c]));
    lat->nsites[c] = lat->nboundary[c] + nint[c];
    PetscCall(PetscFree(interior[c]));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode LatticeDestroy(Lattice **lat)
{
  PetscFunctionBeginUser;
  if (!*lat) PetscFunctionReturn(0);
  PetscCall(PetscFree((*lat)->global));
  PetscCall(PetscFree((*lat)->owned));
  for (int c = 0; c < 2; c++) PetscCall(PetscFree((*lat)->sites[c]));
  PetscCall(PetscFree((*lat)->rows));
  if ((*lat)->comm != MPI_COMM_NULL) PetscCallMPI(MPI_Comm_free(&(*lat)->comm));
  PetscCall(PetscFree(*lat));
  PetscFunctionReturn(0);
}
