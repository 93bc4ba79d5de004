/* Small helpers for writing HDF5 files collectively (see h5util.h). */
#include "h5util.h"
#include "config.h"
#include "build-info.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A dataset of doubles written by rank 0.  Every rank makes every HDF5 call (metadata operations
 * are collective); a failure is reported only after all of them. */
PetscErrorCode HDF5WriteDoubles(hid_t loc, const char *name, int ndims, const hsize_t *dims, const double *data, int rank, const char *description)
{
  hid_t space, dset;
  int   ok;
  PetscFunctionBeginUser;
  space = H5Screate_simple(ndims, dims, NULL);
  dset  = H5Dcreate2(loc, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  ok    = dset >= 0;
  if (ok && rank == 0) ok = H5Dwrite(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
  if (dset >= 0 && description) {
    hid_t s = H5Screate(H5S_SCALAR), st = H5Tcopy(H5T_C_S1), a;
    H5Tset_size(st, strlen(description) + 1);
    a = H5Acreate2(dset, "description", st, s, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, st, description) < 0) ok = 0;
    if (a >= 0) H5Aclose(a);
    H5Tclose(st);
    H5Sclose(s);
  }
  if (dset >= 0) H5Dclose(dset);
  H5Sclose(space);
  PetscCheck(ok, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot write dataset %s", name);
  PetscFunctionReturn(0);
}

void HDF5AttrString(hid_t loc, const char *name, const char *value)
{
  hid_t s = H5Screate(H5S_SCALAR), st = H5Tcopy(H5T_C_S1), a;
  H5Tset_size(st, strlen(value) + 1);
  a = H5Acreate2(loc, name, st, s, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, st, value);
  H5Aclose(a);
  H5Tclose(st);
  H5Sclose(s);
}

void HDF5AttrDouble(hid_t loc, const char *name, double v)
{
  hid_t s = H5Screate(H5S_SCALAR), a = H5Acreate2(loc, name, H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_DOUBLE, &v);
  H5Aclose(a);
  H5Sclose(s);
}

void HDF5AttrInt(hid_t loc, const char *name, long long v)
{
  hid_t s = H5Screate(H5S_SCALAR), a = H5Acreate2(loc, name, H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_LLONG, &v);
  H5Aclose(a);
  H5Sclose(s);
}


PetscErrorCode HDF5CreateResults(MPI_Comm comm, const char *option, const char *path, char *tmp, size_t len, hid_t *file)
{
  long  pid = (long)getpid();
  hid_t fapl;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Bcast(&pid, 1, MPI_LONG, 0, comm));
  snprintf(tmp, len, "%s.tmp-%ld", path, pid);
  fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
  H5E_BEGIN_TRY { *file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl); }
  H5E_END_TRY;
  H5Pclose(fapl);
  GlassyCheck(*file >= 0, comm, "%s %s: cannot create the temporary file %s", option, path, tmp);
  PetscFunctionReturn(0);
}

PetscErrorCode HDF5FinishResults(MPI_Comm comm, const char *option, const char *path, const char *tmp, hid_t file, PetscErrorCode e)
{
  int rank, bad;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (H5Fclose(file) < 0 && !e) e = PETSC_ERR_FILE_WRITE;
  bad = e != 0;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, comm));
  if (!bad && !rank && rename(tmp, path) != 0) bad = 2;
  PetscCallMPI(MPI_Bcast(&bad, 1, MPI_INT, 0, comm));
  if (bad && !rank) unlink(tmp);
  GlassyCheck(!bad, comm, "%s %s: writing the results failed%s", option, path, bad == 2 ? " (cannot rename the finished file into place)" : "");
  PetscFunctionReturn(0);
}

void HDF5RunAttributes(hid_t file, const GlassyOptions *o, int ranks)
{
  HDF5AttrString(file, "program", "glassy");
  HDF5AttrString(file, "version", PACKAGE_VERSION);
  HDF5AttrString(file, "git_commit", GLASSY_GIT_COMMIT);
  HDF5AttrString(file, "build_flags", GLASSY_BUILD_FLAGS);
  HDF5AttrString(file, "options", o->command_line ? o->command_line : "");
  HDF5AttrInt(file, "mpi_ranks", ranks);
  HDF5AttrString(file, "model", GlassyModelNames[o->model]);
  HDF5AttrString(file, "couplings", o->couplings_file[0] ? "file" : GlassyCouplingsNames[o->couplings]);
  HDF5AttrString(file, "couplings_file", o->couplings_file);
  HDF5AttrInt(file, "seed", o->seed);
  HDF5AttrInt(file, "samples", o->samples);
  HDF5AttrInt(file, "sample_offset", o->sample_offset);
  HDF5AttrInt(file, "replicas", o->replicas);
  HDF5AttrString(file, "update", GlassyUpdateNames[o->update]);
  HDF5AttrInt(file, "equilibration_sweeps", o->equilibration_sweeps);
  HDF5AttrInt(file, "measurement_sweeps", o->measurement_sweeps);
  HDF5AttrInt(file, "measure_interval", o->measure_interval);
  HDF5AttrInt(file, "pt_interval", o->pt_interval);
}

PetscErrorCode HDF5WriteTempering(hid_t file, const double *acceptance, int samples, int nT, int64_t steps, int rank)
{
  const int      np = nT > 1 ? nT - 1 : 0;
  hsize_t        dims[2] = {(hsize_t)samples, (hsize_t)np};
  hid_t          grp = H5Gcreate2(file, "pt", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  PetscErrorCode e;
  PetscFunctionBeginUser;
  e = HDF5WriteDoubles(grp, "swap_acceptance", 2, dims, acceptance, rank, "fraction of accepted swaps between temperatures t and t+1, over all tempering steps and replicas");
  HDF5AttrInt(grp, "tempering_steps", steps);
  H5Gclose(grp);
  PetscCall(e);
  PetscFunctionReturn(0);
}
