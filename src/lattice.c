/* Domain decomposition of the periodic lattice over a Cartesian grid of ranks. */
#include "lattice.h"

#include <stdio.h>

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

  /* Global index of every padded site (halo sites wrap around the periodic lattice), the owned
   * sites by colour with boundary sites first, and all owned sites. */
  PetscCall(PetscMalloc1(lat->npadded, &lat->global));
  PetscCall(PetscMalloc1(lat->nlocal, &lat->owned));
  for (int c = 0; c < 2; c++) PetscCall(PetscMalloc1(lat->nlocal, &lat->sites[c]));
  {
    int64_t nint[2] = {0, 0}, nown = 0;
    int64_t *interior[2];
    for (int c = 0; c < 2; c++) PetscCall(PetscMalloc1(lat->nlocal, &interior[c]));
    for (int64_t p = 0; p < lat->npadded; p++) {
      int64_t rest = p, g = 0, gs = 1;
      int     parity = 0, inside = 1, boundary = 0;
      for (int k = 0; k < dim; k++) {
        int xl = (int)(rest % ext[k]); /* 0 .. nloc+1, owned 1 .. nloc */
        rest /= ext[k];
        int xg = ((lat->offset[k] + xl - 1) % L + L) % L;
        g += xg * gs;
        gs *= L;
        parity += xg;
        if (xl == 0 || xl == ext[k] - 1) inside = 0;
        if (xl == 1 || xl == lat->nloc[k]) boundary = 1;
      }
      lat->global[p] = g;
      if (!inside) continue;
      lat->owned[nown++] = p;
      int c = parity & 1;
      if (boundary) lat->sites[c][lat->nboundary[c]++] = p;
      else interior[c][nint[c]++] = p;
    }
    for (int c = 0; c < 2; c++) {
      PetscCall(PetscArraycpy(lat->sites[c] + lat->nboundary[c], interior[c], nint[c]));
      lat->nsites[c] = lat->nboundary[c] + nint[c];
      PetscCall(PetscFree(interior[c]));
    }
  }
  *out = lat;
  PetscFunctionReturn(0);
}

PetscErrorCode LatticeDestroy(Lattice **lat)
{
  PetscFunctionBeginUser;
  if (!*lat) PetscFunctionReturn(0);
  PetscCall(PetscFree((*lat)->global));
  PetscCall(PetscFree((*lat)->owned));
  for (int c = 0; c < 2; c++) PetscCall(PetscFree((*lat)->sites[c]));
  if ((*lat)->comm != MPI_COMM_NULL) PetscCallMPI(MPI_Comm_free(&(*lat)->comm));
  PetscCall(PetscFree(*lat));
  PetscFunctionReturn(0);
}
