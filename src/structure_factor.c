/* Overlap structure factor through FFTW's MPI interface (layout in structure_factor.h). */
#include "structure_factor.h"

PetscErrorCode StructureFactorCreate(const Lattice *lat, int howmany, StructureFactor **out)
{
  StructureFactor *sf;
  const int        d = lat->dim, L = lat->L;
  ptrdiff_t        n[GLASSY_MAX_DIM], alloc, *starts, *counts;
  int              size = lat->size;
  int64_t          plane = 1, *dest, *sgid, *rgid;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&sf));
  sf->lat     = lat;
  sf->howmany = howmany;
  for (int j = 0; j < d; j++) n[j] = L;
  n[d - 1] = L / 2 + 1; /* complex output dimensions, FFTW order */
  alloc    = fftw_mpi_local_size_many(d, n, howmany, FFTW_MPI_DEFAULT_BLOCK, lat->comm, &sf->local_n0, &sf->local_0_start);
  for (int j = 1; j < d - 1; j++) plane *= L;
  sf->nk_local  = (int64_t)sf->local_n0 * plane * (L / 2 + 1);
  sf->nk_global = (int64_t)L * plane * (L / 2 + 1);
  sf->in        = fftw_alloc_real(2 * (alloc > 0 ? alloc : 1));
  sf->out       = fftw_alloc_complex(alloc > 0 ? alloc : 1);
  PetscCheck(sf->in && sf->out, PETSC_COMM_SELF, PETSC_ERR_MEM, "cannot allocate %ld complex numbers for the structure factor", (long)alloc);
  for (int j = 0; j < d; j++) n[j] = L; /* real dimensions for the plan */
  sf->plan = fftw_mpi_plan_many_dft_r2c(d, n, howmany, FFTW_MPI_DEFAULT_BLOCK, FFTW_MPI_DEFAULT_BLOCK, sf->in, sf->out, lat->comm, FFTW_ESTIMATE);
  PetscCheck(sf->plan, PETSC_COMM_SELF, PETSC_ERR_LIB, "FFTW could not plan the %d-dimensional transform of L=%d", d, L);

  /* Who owns which slab of x_{d-1}. */
  PetscCall(PetscMalloc1(size, &starts));
  PetscCall(PetscMalloc1(size, &counts));
  PetscCallMPI(MPI_Allgather(&sf->local_0_start, 1, MPI_AINT, starts, 1, MPI_AINT, lat->comm));
  PetscCallMPI(MPI_Allgather(&sf->local_n0, 1, MPI_AINT, counts, 1, MPI_AINT, lat->comm));

  /* Send pattern: owned sites grouped by destination rank. */
  PetscCall(PetscCalloc1(size, &sf->scount));
  PetscCall(PetscCalloc1(size, &sf->sdispl));
  PetscCall(PetscCalloc1(size, &sf->rcount));
  PetscCall(PetscCalloc1(size, &sf->rdispl));
  PetscCall(PetscMalloc1(lat->nlocal, &dest));
  PetscCall(PetscMalloc1(lat->nlocal, &sf->send_order));
  PetscCall(PetscMalloc1(lat->nlocal, &sgid));
  for (int64_t i = 0; i < lat->nlocal; i++) {
    int x[GLASSY_MAX_DIM] = {0};
    LatticeGlobalCoords(d, L, lat->global[lat->owned[i]], x);
    dest[i] = -1;
    for (int r = 0; r < size; r++)
      if (x[d - 1] >= starts[r] && x[d - 1] < starts[r] + counts[r]) dest[i] = r;
    PetscCheck(dest[i] >= 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "no FFTW slab holds plane %d", x[d - 1]);
    sf->scount[dest[i]]++;
  }
  for (int r = 1; r < size; r++) sf->sdispl[r] = sf->sdispl[r - 1] + sf->scount[r - 1];
  {
    int *fill;
    PetscCall(PetscCalloc1(size, &fill));
    for (int64_t i = 0; i < lat->nlocal; i++) {
      int64_t pos        = sf->sdispl[dest[i]] + fill[dest[i]]++;
      sf->send_order[pos] = i;
      sgid[pos]          = lat->global[lat->owned[i]];
    }
    PetscCall(PetscFree(fill));
  }
  PetscCallMPI(MPI_Alltoall(sf->scount, 1, MPI_INT, sf->rcount, 1, MPI_INT, lat->comm));
  for (int r = 1; r < size; r++) sf->rdispl[r] = sf->rdispl[r - 1] + sf->rcount[r - 1];
  sf->nrecv = sf->rdispl[size - 1] + sf->rcount[size - 1];
  PetscCall(PetscMalloc1(sf->nrecv + 1, &rgid));
  PetscCall(PetscMalloc1(sf->nrecv + 1, &sf->recv_pos));
  PetscCallMPI(MPI_Alltoallv(sgid, sf->scount, sf->sdispl, MPI_INT64_T, rgid, sf->rcount, sf->rdispl, MPI_INT64_T, lat->comm));
  for (int64_t i = 0; i < sf->nrecv; i++) {
    int     x[GLASSY_MAX_DIM] = {0};
    int64_t pos = 0;
    LatticeGlobalCoords(d, L, rgid[i], x);
    /* FFTW real array [x_{d-1} - start][x_{d-2}]...[x_1][x_0 padded to 2(L/2+1)] */
    pos = x[d - 1] - sf->local_0_start;
    for (int j = d - 2; j >= 1; j--) pos = pos * L + x[j];
    pos            = pos * (2 * (L / 2 + 1)) + x[0];
    sf->recv_pos[i] = pos;
  }
  PetscCall(PetscFree(rgid));
  PetscCall(PetscFree(starts));
  PetscCall(PetscFree(counts));
  PetscCall(PetscFree(dest));
  PetscCall(PetscFree(sgid));
  PetscCallMPI(MPI_Type_contiguous(howmany, MPI_DOUBLE, &sf->lane_type));
  PetscCallMPI(MPI_Type_commit(&sf->lane_type));
  PetscCall(PetscMalloc1(lat->nlocal * howmany, &sf->sendbuf));
  PetscCall(PetscMalloc1(sf->nrecv * howmany + 1, &sf->recvbuf));
  *out = sf;
  PetscFunctionReturn(0);
}

PetscErrorCode StructureFactorDestroy(StructureFactor **sf)
{
  PetscFunctionBeginUser;
  if (!*sf) PetscFunctionReturn(0);
  fftw_destroy_plan((*sf)->plan);
  fftw_free((*sf)->in);
  fftw_free((*sf)->out);
  PetscCallMPI(MPI_Type_free(&(*sf)->lane_type));
  PetscCall(PetscFree((*sf)->scount));
  PetscCall(PetscFree((*sf)->sdispl));
  PetscCall(PetscFree((*sf)->rcount));
  PetscCall(PetscFree((*sf)->rdispl));
  PetscCall(PetscFree((*sf)->send_order));
  PetscCall(PetscFree((*sf)->recv_pos));
  PetscCall(PetscFree((*sf)->sendbuf));
  PetscCall(PetscFree((*sf)->recvbuf));
  PetscCall(PetscFree(*sf));
  PetscFunctionReturn(0);
}

PetscErrorCode StructureFactorCompute(StructureFactor *sf, const double *field, double *power)
{
  const int     hm = sf->howmany;
  const int64_t N  = sf->lat->N;
  const double  norm = 1.0 / ((double)N * (double)N);
  PetscFunctionBeginUser;
  for (int64_t i = 0; i < sf->lat->nlocal; i++) PetscCall(PetscArraycpy(sf->sendbuf + i * hm, field + sf->send_order[i] * hm, hm));
  PetscCallMPI(MPI_Alltoallv(sf->sendbuf, sf->scount, sf->sdispl, sf->lane_type, sf->recvbuf, sf->rcount, sf->rdispl, sf->lane_type, sf->lat->comm));
  for (int64_t i = 0; i < sf->nrecv; i++) PetscCall(PetscArraycpy(sf->in + sf->recv_pos[i] * hm, sf->recvbuf + i * hm, hm));
  fftw_mpi_execute_dft_r2c(sf->plan, sf->in, sf->out);
  {
    const double *c = (const double *)sf->out; /* interleaved re, im (fftw_complex may be C99 complex) */
    for (int64_t k = 0; k < sf->nk_local * hm; k++) power[k] = (c[2 * k] * c[2 * k] + c[2 * k + 1] * c[2 * k + 1]) * norm;
  }
  PetscFunctionReturn(0);
}
