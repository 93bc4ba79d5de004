/* The results file: one HDF5 file written collectively with parallel HDF5 (layout in
 * doc/output.md).  It is written under a temporary name and renamed into place only when it is
 * complete, so a failed or interrupted run never leaves a partial file at -output. */
#include "simulation.h"
#include "errors.h"
#include "h5util.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

PetscErrorCode OutputCheckWritable(MPI_Comm comm, const char *option, const char *path)
{
  int            rank;
  PetscErrorCode err = 0;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank) {
    char        probe[PETSC_MAX_PATH_LEN + 64];
    struct stat st;
    int         fd;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) err = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, GLASSY_ERR_INPUT, PETSC_ERROR_INITIAL, "%s %s: is a directory", option, path);
    else {
      snprintf(probe, sizeof probe, "%s.probe-%ld", path, (long)getpid());
      fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0644);
      if (fd < 0) err = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, GLASSY_ERR_INPUT, PETSC_ERROR_INITIAL, "%s %s: cannot be written (%s)", option, path, strerror(errno));
      else {
        close(fd);
        unlink(probe);
      }
    }
  }
  PetscCall(ErrorsShare(comm, 0, err));
  { /* The run writes with MPI-IO: create (and remove) a file that way too, before any work. */
    char  probe[PETSC_MAX_PATH_LEN + 64];
    long  pid = (long)getpid();
    hid_t fapl, file;
    int   ok;
    PetscCallMPI(MPI_Bcast(&pid, 1, MPI_LONG, 0, comm));
    snprintf(probe, sizeof probe, "%s.probe-%ld", path, pid);
    fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
    H5E_BEGIN_TRY { file = H5Fcreate(probe, H5F_ACC_TRUNC, H5P_DEFAULT, fapl); }
    H5E_END_TRY;
    H5Pclose(fapl);
    ok = file >= 0;
    if (ok) H5Fclose(file);
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, comm));
    if (!rank) unlink(probe);
    GlassyCheck(ok, comm, "%s %s: cannot be created with parallel HDF5 (MPI-IO)", option, path);
  }
  PetscFunctionReturn(0);
}

/* tmax: the timers, largest over the ranks. */
static void WriteProvenance(hid_t file, const Simulation *sim, double ps_per_attempt, const double *tmax)
{
  const GlassyOptions *o = sim->opt;
  char                 buf[4096];
  HDF5RunAttributes(file, o, sim->lat->size);
  LatticeGridString(sim->lat->dim, sim->lat->dims, "x", buf, sizeof buf);
  HDF5AttrString(file, "rank_grid", buf);
  HDF5AttrString(file, "kernel", sim->kernel_name);
  HDF5AttrInt(file, "dim", o->dim);
  HDF5AttrInt(file, "L", o->L);
  HDF5AttrInt(file, "N", sim->lat->N);
  HDF5AttrInt(file, "bins", sim->acc.nbins);
  HDF5AttrInt(file, "measurements", sim->acc.done);
  HDF5AttrDouble(file, "wall_seconds", sim->wall_run);
  HDF5AttrDouble(file, "ps_per_spin_flip_attempt_per_core", ps_per_attempt);
  HDF5AttrInt(file, "restarted_at_sweep", sim->sweep_start);
  HDF5AttrInt(file, "checkpoints_written", sim->checkpoints);
  HDF5AttrDouble(file, "checkpoint_bytes", sim->checkpoint_bytes);
  HDF5AttrDouble(file, "checkpoint_seconds", sim->timer[TIMER_CHECKPOINT]);
  HDF5AttrDouble(file, "checkpoint_MB_per_s", sim->timer[TIMER_CHECKPOINT] > 0 ? sim->checkpoint_bytes / 1e6 / sim->timer[TIMER_CHECKPOINT] : 0);
  HDF5AttrDouble(file, "seconds_sweep", tmax[TIMER_SWEEP]);
  HDF5AttrDouble(file, "seconds_halo_wait", tmax[TIMER_HALO_WAIT]);
  HDF5AttrDouble(file, "seconds_measure", tmax[TIMER_MEASURE]);
  HDF5AttrDouble(file, "seconds_tempering", tmax[TIMER_TEMPERING]);
}

PetscErrorCode OutputWrite(Simulation *sim)
{
  const GlassyOptions *opt = sim->opt;
  const int            nT = sim->nT, S = sim->samples, rank = sim->lat->rank;
  char                 tmp[PETSC_MAX_PATH_LEN + 64];
  hid_t                file, grp;
  double              *mean, *err, *buf, tmax[NTIMERS];
  PetscErrorCode       e = 0;
  double               t0 = MPI_Wtime();
  const double         attempts = (double)sim->lat->N * sim->lanes * sim->nslots * (double)(sim->sweep - sim->sweep_start);
  const double         ps = attempts > 0 ? sim->wall_run * sim->lat->size / attempts * 1e12 : 0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(NOBS * (int64_t)S * nT, &mean));
  PetscCall(PetscMalloc1(NOBS * (int64_t)S * nT, &err));
  PetscCall(ObservablesAverages(sim, mean, err));

  PetscCallMPI(MPI_Allreduce(sim->timer, tmax, NTIMERS, MPI_DOUBLE, MPI_MAX, sim->comm));
  PetscCall(HDF5CreateResults(sim->comm, "-output", opt->output, tmp, sizeof tmp, &file));

  WriteProvenance(file, sim, ps, tmax);
  {
    hsize_t dims[3] = {(hsize_t)nT, 0, 0};
    HDF5_KEEP(HDF5WriteDoubles(file, "temperatures", 1, dims, opt->temperatures, rank, "temperature T of each index (units of J, k_B = 1)"));
  }
  grp = H5Gcreate2(file, "observables", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  HDF5_KEEP(AccumulatorsWriteAverages(&sim->acc, grp, ObservableNames, ObservableDescriptions, mean, err, rank));
  if (sim->sf) { /* each rank writes its slab of k_{d-1} */
    const int d = sim->lat->dim, L = sim->lat->L;
    hsize_t   dims[GLASSY_MAX_DIM + 1], start[GLASSY_MAX_DIM + 1], count[GLASSY_MAX_DIM + 1];
    hid_t     fs, ms, ds, xfer;
    int64_t   nk = sim->sf->nk_local;
    dims[0]  = (hsize_t)nT;
    start[0] = 0;
    count[0] = (hsize_t)nT;
    for (int j = 1; j <= d; j++) {
      dims[j]  = (hsize_t)(j == d ? L / 2 + 1 : L);
      start[j] = 0;
      count[j] = dims[j];
    }
    start[1] = (hsize_t)sim->sf->local_0_start;
    count[1] = (hsize_t)sim->sf->local_n0;
    PetscCall(PetscMalloc1(nT * nk + 1, &buf));
    for (int64_t i = 0; i < nT * nk; i++) buf[i] = sim->sf_count ? sim->sf_sum[i] / sim->sf_count : NAN;
    fs = H5Screate_simple(d + 1, dims, NULL);
    ds = H5Dcreate2(grp, "structure_factor", H5T_IEEE_F64LE, fs, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ms = H5Screate_simple(d + 1, count, NULL);
    if (count[1] > 0) H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    else {
      H5Sselect_none(fs);
      H5Sselect_none(ms);
    }
    xfer = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(xfer, H5FD_MPIO_COLLECTIVE);
    if (H5Dwrite(ds, H5T_NATIVE_DOUBLE, ms, fs, xfer, buf) < 0 && !e) e = PETSC_ERR_FILE_WRITE;
    H5Pclose(xfer);
    HDF5AttrString(ds, "description", "<|q(k)|^2> averaged over samples and replica pairs; index [T][k_{d-1}]...[k_1][k_0], k_j = 2 pi n_j / L, n_0 = 0..L/2");
    H5Sclose(ms);
    H5Dclose(ds);
    H5Sclose(fs);
    PetscCall(PetscFree(buf));
  }
  H5Gclose(grp);

  {
    const int np = nT > 1 ? nT - 1 : 0;
    PetscCall(PetscMalloc1((int64_t)S * np + 1, &buf));
    for (int l = 0; l < S; l++)
      for (int t = 0; t < np; t++) buf[l * np + t] = sim->swap_attempts ? (double)sim->swap_accepts[(int64_t)t * sim->lanes + l] / ((double)sim->swap_attempts * sim->R) : NAN;
    HDF5_KEEP(HDF5WriteTempering(file, buf, S, nT, sim->pt_steps, rank));
    PetscCall(PetscFree(buf));
  }

  HDF5_KEEP(AccumulatorsWriteWindows(&sim->acc, file, ObservableNames, ObservableDescriptions, sim->sweep, rank));

  if (!sim->cpl->bimodal && !opt->couplings_file[0]) {
    /* Gaussian couplings: in equilibrium [<e>] = -(d/T) (1 - [<q_l>]) (averaged over samples). */
    double *chk;
    hsize_t dims[2] = {(hsize_t)nT, 4};
    PetscCall(PetscMalloc1(4 * nT, &chk));
    for (int t = 0; t < nT; t++) {
      double se = 0, sl = 0, see = 0, sll = 0;
      for (int l = 0; l < S; l++) {
        double ev = mean[((int64_t)OBS_ENERGY * S + l) * nT + t], lv = -(sim->lat->dim / opt->temperatures[t]) * (1 - mean[((int64_t)OBS_LINK_OVERLAP * S + l) * nT + t]);
        se += ev - lv;
        see += (ev - lv) * (ev - lv);
        sl += ev;
        sll += lv;
      }
      chk[4 * t + 0] = sl / S;
      chk[4 * t + 1] = sll / S;
      chk[4 * t + 2] = se / S;
      chk[4 * t + 3] = S > 1 ? sqrt((see / S - (se / S) * (se / S)) / (S - 1)) : NAN;
    }
    grp = H5Gcreate2(file, "checks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    HDF5_KEEP(HDF5WriteDoubles(grp, "link_identity", 2, dims, chk, rank, "per temperature: [e], -(d/T)(1-[q_l]), their difference and its error over samples (zero in equilibrium)"));
    H5Gclose(grp);
    PetscCall(PetscFree(chk));
  }
  PetscCall(PetscFree(mean));
  PetscCall(PetscFree(err));
  PetscCall(HDF5FinishResults(sim->comm, "-output", opt->output, tmp, file, e));
  sim->timer[TIMER_OUTPUT] += MPI_Wtime() - t0;
  PetscFunctionReturn(0);
}
