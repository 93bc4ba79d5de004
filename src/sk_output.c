/* Results of an SK run: the same layout as for EA (doc/output.md) with the SK observables and
 * the overlap distribution /observables/pq. */
#include "h5util.h"
#include "sk.h"


/* Memory this rank holds: its copies, plus its share of the node's coupling matrices. */
static double SKMemoryPerRank(const SK *sk)
{
  int nsize;
  MPI_Comm_size(sk->node, &nsize);
  return sk->matrix_bytes / nsize + (double)sk->ncopies * (sk->ld * (sk->intpath ? sizeof(double) + sizeof(int16_t) : sizeof(double)) + sk->N) + (double)sk->C * (sk->Wn * 8 + 8);
}

PetscErrorCode SKWrite(SK *sk)
{
  const GlassyOptions *opt = sk->opt;
  const int            S = sk->S, nT = sk->nT, N = sk->N, rank = sk->rank;
  char                 tmp[PETSC_MAX_PATH_LEN + 64];
  hid_t                file, grp;
  double              *mean, *err, *buf, t[3];
  PetscErrorCode       e = 0;
  const double         attempts = (double)sk->C * N * (double)(sk->sweep - sk->sweep_start);

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(NSKOBS * (int64_t)S * nT, &mean, NSKOBS * (int64_t)S * nT, &err));
  AccumulatorsAverages(&sk->acc, mean, err);
  t[0] = sk->timer_sweep;
  t[1] = sk->timer_measure;
  t[2] = sk->timer_tempering;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, t, 3, MPI_DOUBLE, MPI_MAX, sk->comm));
  PetscCall(HDF5CreateResults(sk->comm, "-output", opt->output, tmp, sizeof tmp, &file));
  HDF5RunAttributes(file, opt, sk->size);
  HDF5AttrInt(file, "N", N);
  HDF5AttrString(file, "fields", sk->intpath ? "integer" : "double");
  HDF5AttrInt(file, "bins", sk->acc.nbins);
  HDF5AttrInt(file, "measurements", sk->acc.done);
  HDF5AttrDouble(file, "wall_seconds", sk->wall_run);
  HDF5AttrDouble(file, "ns_per_spin_flip_attempt_per_core", attempts > 0 ? sk->wall_run * sk->size / attempts * 1e9 : 0);
  HDF5AttrDouble(file, "memory_per_rank_bytes", SKMemoryPerRank(sk));
  HDF5AttrInt(file, "restarted_at_sweep", sk->sweep_start);
  HDF5AttrInt(file, "checkpoints_written", sk->checkpoints);
  HDF5AttrDouble(file, "checkpoint_bytes", sk->checkpoint_bytes);
  HDF5AttrDouble(file, "checkpoint_seconds", sk->timer_checkpoint);
  HDF5AttrString(file, "kernel", SKKernelName(sk));
  HDF5AttrDouble(file, "seconds_sweep", t[0]);
  HDF5AttrDouble(file, "seconds_measure", t[1]);
  HDF5AttrDouble(file, "seconds_tempering", t[2]);
  {
    hsize_t dims[1] = {(hsize_t)nT};
    HDF5_KEEP(HDF5WriteDoubles(file, "temperatures", 1, dims, opt->temperatures, rank, "temperature T of each index (units of J, k_B = 1)"));
  }
  grp = H5Gcreate2(file, "observables", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  HDF5_KEEP(AccumulatorsWriteAverages(&sk->acc, grp, SKObservableNames, SKObservableDescriptions, mean, err, rank));
  {
    const int64_t n = (int64_t)S * nT * (N + 1);
    hsize_t       dims[3] = {(hsize_t)S, (hsize_t)nT, (hsize_t)(N + 1)}, dq[1] = {(hsize_t)(N + 1)};
    PetscCall(PetscMalloc1(n + N + 1, &buf));
    for (int64_t st = 0; st < (int64_t)S * nT; st++) {
      double total = 0;
      for (int k = 0; k <= N; k++) total += sk->pq[st * (N + 1) + k];
      for (int k = 0; k <= N; k++) buf[st * (N + 1) + k] = total > 0 ? sk->pq[st * (N + 1) + k] / total : NAN;
    }
    for (int k = 0; k <= N; k++) buf[n + k] = -1.0 + 2.0 * k / N;
    HDF5_KEEP(HDF5WriteDoubles(grp, "pq", 3, dims, buf, rank, "P(q): fraction of measurements (over the measurement phase and replica pairs) with overlap q = -1 + 2k/N, index [sample][T][k]"));
    HDF5_KEEP(HDF5WriteDoubles(grp, "pq_q", 1, dq, buf + n, rank, "the overlap q = -1 + 2k/N of each index k of pq"));
    PetscCall(PetscFree(buf));
  }
  H5Gclose(grp);
  {
    const int np = nT > 1 ? nT - 1 : 0;
    PetscCall(PetscMalloc1((int64_t)S * np + 1, &buf));
    for (int s = 0; s < S; s++)
      for (int t = 0; t < np; t++) buf[s * np + t] = sk->swap_attempts ? (double)sk->swap_accepts[(int64_t)s * np + t] / ((double)sk->swap_attempts * sk->R) : NAN;
    HDF5_KEEP(HDF5WriteTempering(file, buf, S, nT, sk->pt_steps, rank));
    PetscCall(PetscFree(buf));
  }
  HDF5_KEEP(AccumulatorsWriteWindows(&sk->acc, file, SKObservableNames, SKObservableDescriptions, sk->sweep, rank));
  PetscCall(PetscFree2(mean, err));
  PetscCall(HDF5FinishResults(sk->comm, "-output", opt->output, tmp, file, e));
  PetscFunctionReturn(0);
}

PetscErrorCode SKPrintSummary(SK *sk)
{
  const int     nT = sk->nT, S = sk->S;
  const double  attempts = (double)sk->C * sk->N * (double)(sk->sweep - sk->sweep_start);
  double       *mean, *err, mem = SKMemoryPerRank(sk), memmax;
  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(NSKOBS * (int64_t)S * nT, &mean, NSKOBS * (int64_t)S * nT, &err));
  AccumulatorsAverages(&sk->acc, mean, err);
  PetscCall(PetscPrintf(sk->comm, "\nglassy: SK averages over the %d samples (error: spread over samples)\n", S));
  PetscCall(PetscPrintf(sk->comm, "%9s %21s %9s %9s %9s %9s\n", "T", "e", "|m|", "q2", "g", "swap acc"));
  for (int t = 0; t < nT; t++) {
    double avg[NSKOBS], e2 = 0, acc = NAN;
    for (int o = 0; o < NSKOBS; o++) {
      avg[o] = 0;
      for (int s = 0; s < S; s++) avg[o] += mean[((int64_t)o * S + s) * nT + t] / S;
    }
    for (int s = 0; s < S; s++) {
      const double x = mean[((int64_t)SKOBS_ENERGY * S + s) * nT + t] - avg[SKOBS_ENERGY];
      e2 += x * x;
    }
    if (t + 1 < nT && sk->swap_attempts) {
      acc = 0;
      for (int s = 0; s < S; s++) acc += (double)sk->swap_accepts[(int64_t)s * (nT - 1) + t] / ((double)sk->swap_attempts * sk->R * S);
    }
    PetscCall(PetscPrintf(sk->comm, "%9.5f %11.6f +- %6.4f %9.5f %9.5f %9.5f %9.3f\n", sk->opt->temperatures[t], avg[SKOBS_ENERGY], S > 1 ? sqrt(e2 / ((double)S * (S - 1))) : 0.0, avg[SKOBS_ABS_MAGNETIZATION], avg[SKOBS_Q2], 0.5 * (3 - avg[SKOBS_Q4] / (avg[SKOBS_Q2] * avg[SKOBS_Q2])), acc));
  }
  PetscCallMPI(MPI_Allreduce(&mem, &memmax, 1, MPI_DOUBLE, MPI_MAX, sk->comm));
  PetscCall(PetscPrintf(sk->comm, "\nglassy: memory per rank %.1f MB (at most; coupling matrices %.1f MB per node, shared)\n", memmax / 1e6, sk->matrix_bytes / 1e6));
  PetscCall(PetscPrintf(sk->comm, "glassy: time: sweeps %.2f s, measurements %.2f s, tempering %.2f s (rank 0)\n", sk->timer_sweep, sk->timer_measure, sk->timer_tempering));
  PetscCall(PetscPrintf(sk->comm, "glassy: %" PetscInt64_FMT " sweeps in %.2f s; figure of merit: %.2f ns per spin-flip attempt per core\n", (PetscInt64)(sk->sweep - sk->sweep_start), sk->wall_run, attempts > 0 ? sk->wall_run * sk->size / attempts * 1e9 : 0.0));
  PetscCall(PetscPrintf(sk->comm, "glassy: results in %s\n", sk->opt->output));
  PetscCall(PetscFree2(mean, err));
  PetscFunctionReturn(0);
}
