/* The FFTW-MPI structure factor of a field on the distributed lattice equals the direct sum
 * |sum_x f(x) exp(-i k.x)|^2 / N^2 at every k of the half spectrum, for several lanes. */
#include "lattice.h"
#include "structure_factor.h"
#include "testing.h"

/* A deterministic field: a function of global site and lane only. */
static double Field(int64_t g, int lane)
{
  uint64_t h = (uint64_t)g * 0x9E3779B97F4A7C15ULL + (uint64_t)lane * 0xC2B2AE3D27D4EB4FULL;
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 32;
  return (h & 1) ? -1.0 : 1.0 + 0.25 * (double)(lane % 3);
}

static PetscErrorCode CheckOne(MPI_Comm comm, int dim, int L, int howmany)
{
  Lattice         *lat;
  StructureFactor *sf;
  double          *field, *power, maxerr = 0;
  int64_t          nk;

  PetscFunctionBeginUser;
  PetscCall(LatticeCreate(comm, dim, L, &lat));
  PetscCall(StructureFactorCreate(lat, howmany, &sf));
  nk = sf->nk_local;
  PetscCall(PetscMalloc1(lat->nlocal * howmany, &field));
  PetscCall(PetscMalloc1(nk * howmany + 1, &power));
  for (int64_t i = 0; i < lat->nlocal; i++)
    for (int l = 0; l < howmany; l++) field[i * howmany + l] = Field(lat->global[lat->owned[i]], l);
  PetscCall(StructureFactorCompute(sf, field, power));
  /* Direct sum on every rank for its own k points: the whole field is a pure function. */
  for (int64_t kk = 0; kk < nk; kk++) {
    int     n[GLASSY_MAX_DIM];
    int64_t rest = kk;
    n[0] = (int)(rest % (L / 2 + 1));
    rest /= L / 2 + 1;
    for (int j = 1; j < dim - 1; j++) {
      n[j] = (int)(rest % L);
      rest /= L;
    }
    n[dim - 1] = (int)(rest + sf->local_0_start);
    for (int l = 0; l < howmany; l++) {
      double re = 0, im = 0;
      for (int64_t g = 0; g < lat->N; g++) {
        int    x[GLASSY_MAX_DIM];
        double phase = 0;
        LatticeGlobalCoords(dim, L, g, x);
        for (int j = 0; j < dim; j++) phase += 2 * M_PI * n[j] * x[j] / L;
        re += Field(g, l) * cos(phase);
        im -= Field(g, l) * sin(phase);
      }
      double direct = (re * re + im * im) / ((double)lat->N * lat->N);
      double e      = fabs(direct - power[kk * howmany + l]);
      if (e > maxerr) maxerr = e;
    }
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &maxerr, 1, MPI_DOUBLE, MPI_MAX, comm));
  CHECK(maxerr < 1e-12, "dim %d L %d: largest difference from the direct sum %.3g", dim, L, maxerr);
  PetscCall(PetscPrintf(comm, "structure factor dim %d L %d lanes %d on %d ranks: largest difference from the direct sum %.3g\n", dim, L, howmany, lat->size, maxerr));
  PetscCall(PetscFree(field));
  PetscCall(PetscFree(power));
  PetscCall(StructureFactorDestroy(&sf));
  PetscCall(LatticeDestroy(&lat));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  int rc;
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  fftw_mpi_init();
  PetscCall(CheckOne(PETSC_COMM_WORLD, 2, 8, 3));
  PetscCall(CheckOne(PETSC_COMM_WORLD, 3, 4, 5));
  PetscCall(CheckOne(PETSC_COMM_WORLD, 4, 4, 2));
  rc = TestingFinish(PETSC_COMM_WORLD, "test_structure_factor");
  fftw_mpi_cleanup();
  PetscCall(PetscFinalize());
  return rc;
}
