/* The SK simulation (see sk.h): copies spread over the ranks of a group, single-spin updates with
 * incrementally kept local fields, parallel tempering by exchanging temperatures, and overlaps
 * from the gathered packed spins. */
#include "sk.h"
#include "checkpoint.h"
#include "hash.h"
#include "errors.h"
#include "rng.h"
#include "signals.h"
#include "sweep.h"

const char *const SKObservableNames[NSKOBS] = {"energy", "energy2", "abs_magnetization", "q2", "q4"};
const char *const SKObservableDescriptions[NSKOBS] = {
  "<e>, energy per spin H/N averaged over replicas",
  "<e^2>, square of the energy per spin averaged over replicas",
  "<|m|>, absolute magnetisation per spin averaged over replicas",
  "<q^2>, q = (1/N) sum_i s_i^a s_i^b averaged over replica pairs a<b",
  "<q^4>, averaged over replica pairs",
};

PetscErrorCode SKCouplingsCreate(SK *sk); /* sk_couplings.c */


PetscErrorCode SKCreate(MPI_Comm comm, const GlassyOptions *opt, SK **out)
{
  SK *sk;
  PetscFunctionBeginUser;
  PetscCall(PetscNew(&sk));
  sk->opt = opt;
  PetscCallMPI(MPI_Comm_dup(comm, &sk->comm));
  PetscCallMPI(MPI_Comm_rank(sk->comm, &sk->rank));
  PetscCallMPI(MPI_Comm_size(sk->comm, &sk->size));
  sk->N            = (int)opt->N;
  sk->S            = (int)opt->samples;
  sk->R            = (int)opt->replicas;
  sk->nT           = (int)opt->ntemps;
  sk->C            = sk->S * sk->R * sk->nT;
  sk->Wn           = GlassyWords(sk->N);
  sk->seed         = (uint32_t)opt->seed;
  sk->first_sample = opt->sample_offset;
  sk->total_sweeps = opt->equilibration_sweeps + opt->measurement_sweeps;
  GlassyCheck((double)sk->C * sk->N < 4e9, sk->comm, "-samples %d x -replicas %d x %d temperatures x -N %d spins is too many copies for one run", sk->S, sk->R, sk->nT, sk->N);
  PetscCall(SKCouplingsCreate(sk));

  /* Copies in contiguous blocks over the ranks. */
  PetscCall(PetscMalloc2(sk->size, &sk->counts, sk->size, &sk->displs));
  for (int p = 0; p < sk->size; p++) {
    sk->displs[p] = (int)((int64_t)sk->C * p / sk->size);
    sk->counts[p] = (int)((int64_t)sk->C * (p + 1) / sk->size) - sk->displs[p];
  }
  sk->first   = sk->displs[sk->rank];
  sk->ncopies = sk->counts[sk->rank];
  PetscCall(GlassyCallocAligned((size_t)sk->ncopies * sk->N + 1, sizeof *sk->spins, "the spins", &sk->spins));
  PetscCall(GlassyCallocAligned((size_t)sk->ncopies * sk->ld + 1, sizeof *sk->fields, "the local fields", &sk->fields));
  if (sk->intpath) PetscCall(GlassyCallocAligned((size_t)sk->ncopies * sk->ld + 1, sizeof *sk->hint, "the integer local fields", &sk->hint));
  if (sk->intpath) PetscCall(GlassyCallocAligned((size_t)sk->ncopies * sk->Wn + 1, sizeof *sk->tbits, "the spin bits", &sk->tbits));
  for (int c = 0; c < sk->ncopies; c++) {
    const int    g = sk->first + c;
    const RngKey key = RngKeyMake(sk->seed, (uint32_t)(sk->first_sample + SKCopySample(sk, g)));
    for (int i = 0; i < sk->N; i += 4) {
      philox4x32_ctr_t r = RngDraw(key, (uint32_t)(i >> 2), 0, (uint32_t)(SKCopyReplica(sk, g) * sk->nT + SKCopyIndex(sk, g)), RNG_INIT, 1);
      for (int k = 0; k < 4 && i + k < sk->N; k++) sk->spins[(int64_t)c * sk->N + i + k] = (r.v[k] & 1u) ? -1 : 1;
    }
    SKFieldsCompute(sk, c);
    sk->hint_valid = PETSC_TRUE;
  }
  PetscCall(PetscMalloc1(sk->nT, &sk->beta));
  for (int t = 0; t < sk->nT; t++) sk->beta[t] = 1.0 / opt->temperatures[t];
  if (sk->intpath) { /* thresholds of a flip with s_i H_i = x: dE = 2 kscale x */
    PetscCall(PetscMalloc1((int64_t)sk->nT * (2 * sk->N - 1), &sk->ithr));
    for (int t = 0; t < sk->nT; t++)
      for (int x = -(sk->N - 1); x <= sk->N - 1; x++) sk->ithr[(int64_t)t * (2 * sk->N - 1) + x + sk->N - 1] = RngThreshold(SweepAcceptance(opt->update, sk->beta[t], 2.0 * sk->kscale * x));
  }
  PetscCall(PetscMalloc1(sk->C, &sk->temp_of));
  PetscCall(PetscMalloc1(sk->C, &sk->copy_at));
  for (int g = 0; g < sk->C; g++) {
    sk->temp_of[g] = SKCopyIndex(sk, g);
    sk->copy_at[g] = g; /* copy_at[(s R + r) nT + t] */
  }
  PetscCall(PetscMalloc1(sk->C, &sk->energy));
  PetscCall(PetscMalloc1((int64_t)sk->C * sk->Wn, &sk->packed));
  PetscCall(PetscCalloc1((int64_t)sk->S * (sk->nT > 1 ? sk->nT - 1 : 1), &sk->swap_accepts));
  PetscCall(PetscCalloc1((int64_t)sk->S * sk->nT * (sk->N + 1), &sk->pq));
  {
    const int64_t eq = opt->equilibration_sweeps, mi = opt->measure_interval;
    PetscCall(AccumulatorsCreate(&sk->acc, NSKOBS, sk->nT, sk->S, (eq + opt->measurement_sweeps) / mi - eq / mi, (int)opt->bins, sk->total_sweeps));
  }
  *out = sk;
  PetscFunctionReturn(0);
}

PetscErrorCode SKDestroy(SK **skp)
{
  SK *sk = *skp;
  PetscFunctionBeginUser;
  if (!sk) PetscFunctionReturn(0);
  PetscCall(AccumulatorsDestroy(&sk->acc));
  PetscCallMPI(MPI_Win_free(&sk->win));
  if (sk->intpath) PetscCallMPI(MPI_Win_free(&sk->win_bits));
  GlassyFreeAligned(&sk->hint);
  GlassyFreeAligned(&sk->tbits);
  PetscCall(PetscFree(sk->ithr));
  PetscCallMPI(MPI_Comm_free(&sk->node));
  PetscCallMPI(MPI_Comm_free(&sk->comm));
  PetscCall(PetscFree2(sk->counts, sk->displs));
  GlassyFreeAligned(&sk->spins);
  GlassyFreeAligned(&sk->fields);
  PetscCall(PetscFree(sk->beta));
  PetscCall(PetscFree(sk->temp_of));
  PetscCall(PetscFree(sk->copy_at));
  PetscCall(PetscFree(sk->energy));
  PetscCall(PetscFree(sk->packed));
  PetscCall(PetscFree(sk->swap_accepts));
  PetscCall(PetscFree(sk->pq));
  PetscCall(PetscFree(*skp));
  PetscFunctionReturn(0);
}

/* Energies of all copies (gathered on every rank): E = -(1/2) sum_i s_i h_i. */
static PetscErrorCode SKEnergies(SK *sk)
{
  double *mine;
  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(sk->ncopies + 1, &mine));
  if (sk->intpath) SKIntFieldsEnsure(sk);
  for (int c = 0; c < sk->ncopies; c++) {
    const signed char *s = sk->spins + (int64_t)c * sk->N;
    if (sk->intpath) { /* exact: an integer times kscale */
      const int16_t *H = sk->hint + (int64_t)c * sk->ld;
      int64_t        e = 0;
      for (int i = 0; i < sk->N; i++) e += s[i] * H[i];
      mine[c] = -0.5 * sk->kscale * (double)e;
    } else {
      const double *h = sk->fields + (int64_t)c * sk->ld;
      double        e = 0;
      for (int i = 0; i < sk->N; i++) e += s[i] * h[i];
      mine[c] = -0.5 * e;
    }
  }
  PetscCallMPI(MPI_Allgatherv(mine, sk->ncopies, MPI_DOUBLE, sk->energy, sk->counts, sk->displs, MPI_DOUBLE, sk->comm));
  PetscCall(PetscFree(mine));
  PetscFunctionReturn(0);
}

/* Tempering: for each sample and replica, t = 0..nT-2 in turn, exchange the temperatures of the
 * copies at t and t+1 with probability min(1, exp((beta_t - beta_{t+1})(E_t - E_{t+1}))), using
 * RNG_SWAP {step, t, r} of the sample's key.  Every rank takes the same decisions. */
static PetscErrorCode SKTempering(SK *sk)
{
  PetscFunctionBeginUser;
  PetscCall(SKEnergies(sk));
  for (int s = 0; s < sk->S; s++) {
    const RngKey key = RngKeyMake(sk->seed, (uint32_t)(sk->first_sample + s));
    for (int r = 0; r < sk->R; r++) {
      int *at = sk->copy_at + (s * sk->R + r) * sk->nT;
      for (int t = 0; t + 1 < sk->nT; t++) {
        const double     x = (sk->beta[t] - sk->beta[t + 1]) * (sk->energy[at[t]] - sk->energy[at[t + 1]]);
        philox4x32_ctr_t u = RngDraw(key, (uint32_t)sk->pt_steps, (uint32_t)t, (uint32_t)r, RNG_SWAP, 1);
        if ((uint64_t)u.v[0] < RngThreshold(x >= 0 ? 1.0 : exp(x))) {
          const int a = at[t];
          at[t]                = at[t + 1];
          at[t + 1]            = a;
          sk->temp_of[at[t]]     = t;
          sk->temp_of[at[t + 1]] = t + 1;
          sk->swap_accepts[(int64_t)s * (sk->nT - 1) + t]++;
        }
      }
    }
  }
  sk->swap_attempts++;
  sk->pt_steps++;
  PetscFunctionReturn(0);
}

/* Measurement: gather packed spins, then every rank computes the same values. */
static PetscErrorCode SKMeasure(SK *sk, PetscBool production)
{
  const int     N = sk->N, S = sk->S, R = sk->R, nT = sk->nT, Wn = sk->Wn;
  const int64_t per = (int64_t)nT * S;
  uint64_t     *mine;
  int          *wcounts, *wdispls;
  double       *val;

  PetscFunctionBeginUser;
  PetscCall(SKEnergies(sk));
  PetscCall(PetscCalloc1((int64_t)sk->ncopies * Wn + 1, &mine));
  for (int c = 0; c < sk->ncopies; c++) SKPackSpins(sk->spins + (int64_t)c * N, N, Wn, mine + (int64_t)c * Wn);
  PetscCall(PetscMalloc2(sk->size, &wcounts, sk->size, &wdispls));
  for (int p = 0; p < sk->size; p++) {
    wcounts[p] = sk->counts[p] * Wn;
    wdispls[p] = sk->displs[p] * Wn;
  }
  PetscCallMPI(MPI_Allgatherv(mine, sk->ncopies * Wn, MPI_UINT64_T, sk->packed, wcounts, wdispls, MPI_UINT64_T, sk->comm));
  PetscCall(PetscFree2(wcounts, wdispls));
  PetscCall(PetscFree(mine));

  PetscCall(PetscMalloc1(NSKOBS * per, &val));
  for (int s = 0; s < S; s++)
    for (int t = 0; t < nT; t++) {
      double e = 0, e2 = 0, m = 0, q2 = 0, q4 = 0;
      int    npairs = 0;
      for (int a = 0; a < R; a++) {
        const int       ga = sk->copy_at[(s * R + a) * nT + t];
        const uint64_t *pa = sk->packed + (int64_t)ga * Wn;
        int             down = 0;
        const double    ea = sk->energy[ga] / N;
        for (int w = 0; w < Wn; w++) down += __builtin_popcountll(pa[w]);
        e += ea;
        e2 += ea * ea;
        m += fabs((double)(N - 2 * down)) / N;
        for (int b = a + 1; b < R; b++) {
          const uint64_t *pb = sk->packed + (int64_t)sk->copy_at[(s * R + b) * nT + t] * Wn;
          int             d  = 0;
          for (int w = 0; w < Wn; w++) d += __builtin_popcountll(pa[w] ^ pb[w]);
          const double q = 1.0 - 2.0 * d / N;
          q2 += q * q;
          q4 += q * q * q * q;
          npairs++;
          if (production) sk->pq[((int64_t)s * nT + t) * (N + 1) + (N - d)] += 1;
        }
      }
      val[(SKOBS_ENERGY * nT + t) * S + s]            = e / R;
      val[(SKOBS_ENERGY2 * nT + t) * S + s]           = e2 / R;
      val[(SKOBS_ABS_MAGNETIZATION * nT + t) * S + s] = m / R;
      val[(SKOBS_Q2 * nT + t) * S + s]                = npairs ? q2 / npairs : NAN;
      val[(SKOBS_Q4 * nT + t) * S + s]                = npairs ? q4 / npairs : NAN;
    }
  AccumulatorsAdd(&sk->acc, val, sk->sweep, production);
  PetscCall(PetscFree(val));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------ checkpoints */

/* This rank's rows (copies first .. first+ncopies-1) of a [C][N] dataset. */
/* Copy rows [C][N] in the file; this rank's rows in memory, with row stride ld. */
static void SKSpaces(const SK *sk, int ld, hid_t *filespace, hid_t *memspace)
{
  hsize_t fdims[2] = {(hsize_t)sk->C, (hsize_t)sk->N}, mdims[2] = {(hsize_t)sk->ncopies, (hsize_t)ld};
  hsize_t start[2] = {(hsize_t)sk->first, 0}, zero[2] = {0, 0}, count[2] = {(hsize_t)sk->ncopies, (hsize_t)sk->N};
  *filespace = H5Screate_simple(2, fdims, NULL);
  *memspace  = H5Screate_simple(2, mdims, NULL);
  if (sk->ncopies > 0) {
    H5Sselect_hyperslab(*filespace, H5S_SELECT_SET, start, NULL, count, NULL);
    H5Sselect_hyperslab(*memspace, H5S_SELECT_SET, zero, NULL, count, NULL);
  } else {
    H5Sselect_none(*filespace);
    H5Sselect_none(*memspace);
  }
}
static void SKRowSpaces(void *ctx, hid_t *filespace, hid_t *memspace) { SKSpaces((const SK *)ctx, ((const SK *)ctx)->N, filespace, memspace); }
static void SKFieldSpaces(void *ctx, hid_t *filespace, hid_t *memspace) { SKSpaces((const SK *)ctx, ((const SK *)ctx)->ld, filespace, memspace); }

static uint64_t SKSpinsChecksum(void *ctx)
{
  const SK *sk = (const SK *)ctx;
  uint64_t  sum = 0;
  for (int64_t k = 0; k < (int64_t)sk->ncopies * sk->N; k++) sum += HashElement((uint64_t)((int64_t)sk->first * sk->N + k), (uint64_t)(unsigned char)sk->spins[k]);
  return sum;
}

static uint64_t SKFieldsChecksum(void *ctx)
{
  const SK *sk = (const SK *)ctx;
  uint64_t  sum = 0;
  for (int64_t c = 0; c < sk->ncopies; c++)
    for (int i = 0; i < sk->N; i++) sum += HashDouble((uint64_t)((sk->first + c) * sk->N + i), sk->fields[c * sk->ld + i]);
  return sum;
}

/* The SK state: spins int8 [C][N]; for real couplings the local fields double [C][N] (kept, not
 * recomputed, so that a restart continues bit for bit; exact integer fields follow from the
 * spins and are not stored); the temperature of each copy, the tempering statistics, the
 * accumulators and the P(q) counts. */
static PetscErrorCode SKState(SK *sk, CheckpointState *st)
{
  const GlassyOptions *o = sk->opt;
  Accumulators        *a = &sk->acc;
  size_t               n;
  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(st, sizeof *st));
  st->comm  = sk->comm;
  st->path  = o->checkpoint;
  st->options = o->command_line;
  st->quiet = o->quiet;
  n = (size_t)snprintf(st->fingerprint, sizeof st->fingerprint, "model=sk;N=%d;couplings=%s;couplings_file_checksum=%016llx;seed=%lld;samples=%d;sample_offset=%d;replicas=%d;update=%s;equilibration_sweeps=%lld;measurement_sweeps=%lld;measure_interval=%d;pt_interval=%d;bins=%d;temperatures=", sk->N, o->couplings_file[0] ? "file" : GlassyCouplingsNames[o->couplings], (unsigned long long)sk->file_checksum, (long long)o->seed, sk->S, (int)o->sample_offset, sk->R, GlassyUpdateNames[o->update], (long long)o->equilibration_sweeps, (long long)o->measurement_sweeps, (int)o->measure_interval, (int)o->pt_interval, (int)o->bins);
  for (int t = 0; t < sk->nT && n < sizeof st->fingerprint; t++) n += (size_t)snprintf(st->fingerprint + n, sizeof st->fingerprint - n, "%s%.17g", t ? "," : "", (double)o->temperatures[t]);
  st->scalar_names[0] = "sweep";             st->scalars[0] = &sk->sweep;
  st->scalar_names[1] = "pt_steps";          st->scalars[1] = &sk->pt_steps;
  st->scalar_names[2] = "swap_attempts";     st->scalars[2] = &sk->swap_attempts;
  st->scalar_names[3] = "measurements_done"; st->scalars[3] = &a->done;
  st->nscalars        = 4;
  st->datasets[st->ndatasets++] = (CheckpointDataset){.name = "spins", .memtype = H5T_NATIVE_SCHAR, .filetype = H5T_STD_I8LE, .data = sk->spins, .ndims = 2, .dims = {(hsize_t)sk->C, (hsize_t)sk->N}, .spaces = SKRowSpaces, .checksum = SKSpinsChecksum, .ctx = sk};
  if (!sk->intpath) st->datasets[st->ndatasets++] = (CheckpointDataset){.name = "fields", .memtype = H5T_NATIVE_DOUBLE, .filetype = H5T_IEEE_F64LE, .data = sk->fields, .ndims = 2, .dims = {(hsize_t)sk->C, (hsize_t)sk->N}, .spaces = SKFieldSpaces, .checksum = SKFieldsChecksum, .ctx = sk};
  st->datasets[st->ndatasets++] = (CheckpointDataset){.name = "temp_of", .memtype = H5T_NATIVE_INT, .filetype = H5T_STD_I32LE, .data = sk->temp_of, .ndims = 1, .dims = {(hsize_t)sk->C}};
  st->datasets[st->ndatasets++] = (CheckpointDataset){.name = "copy_at", .memtype = H5T_NATIVE_INT, .filetype = H5T_STD_I32LE, .data = sk->copy_at, .ndims = 1, .dims = {(hsize_t)sk->C}};
  st->datasets[st->ndatasets++] = (CheckpointDataset){.name = "swap_accepts", .memtype = H5T_NATIVE_INT64, .filetype = H5T_STD_I64LE, .data = sk->swap_accepts, .ndims = 2, .dims = {(hsize_t)sk->S, (hsize_t)(sk->nT > 1 ? sk->nT - 1 : 1)}};
  st->datasets[st->ndatasets++] = (CheckpointDataset){.name = "bin_sum", .memtype = H5T_NATIVE_DOUBLE, .filetype = H5T_IEEE_F64LE, .data = a->bin_sum, .ndims = 4, .dims = {(hsize_t)a->nobs, (hsize_t)a->nbins, (hsize_t)a->nT, (hsize_t)a->samples}};
  st->datasets[st->ndatasets++] = (CheckpointDataset){.name = "bin_count", .memtype = H5T_NATIVE_INT64, .filetype = H5T_STD_I64LE, .data = a->bin_count, .ndims = 1, .dims = {(hsize_t)a->nbins}};
  st->datasets[st->ndatasets++] = (CheckpointDataset){.name = "log_sum", .memtype = H5T_NATIVE_DOUBLE, .filetype = H5T_IEEE_F64LE, .data = a->log_sum, .ndims = 4, .dims = {(hsize_t)a->nobs, (hsize_t)a->nlog, (hsize_t)a->nT, (hsize_t)a->samples}};
  st->datasets[st->ndatasets++] = (CheckpointDataset){.name = "log_count", .memtype = H5T_NATIVE_INT64, .filetype = H5T_STD_I64LE, .data = a->log_count, .ndims = 1, .dims = {(hsize_t)a->nlog}};
  st->datasets[st->ndatasets++] = (CheckpointDataset){.name = "pq", .memtype = H5T_NATIVE_DOUBLE, .filetype = H5T_IEEE_F64LE, .data = sk->pq, .ndims = 3, .dims = {(hsize_t)sk->S, (hsize_t)sk->nT, (hsize_t)(sk->N + 1)}};
  PetscFunctionReturn(0);
}

static PetscErrorCode SKCheckpointWrite(SK *sk)
{
  CheckpointState st;
  double          bytes, dt;
  PetscFunctionBeginUser;
  PetscCall(SKState(sk, &st));
  PetscCall(CheckpointStateWrite(&st, &bytes, &dt));
  sk->checkpoints++;
  sk->checkpoint_bytes += bytes;
  sk->timer_checkpoint += dt;
  PetscFunctionReturn(0);
}

PetscErrorCode SKRestore(SK *sk, PetscBool *restored)
{
  CheckpointState st;
  PetscFunctionBeginUser;
  PetscCall(SKState(sk, &st));
  PetscCall(CheckpointStateRestore(&st, restored));
  if (*restored) sk->sweep_start = sk->sweep;
  sk->hint_valid  = (PetscBool)!*restored;
  sk->tbits_valid = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode SKRun(SK *sk)
{
  const GlassyOptions *opt   = sk->opt;
  double               start = MPI_Wtime(), next_progress = start + opt->progress_interval, next_checkpoint = start + opt->checkpoint_interval;
  PetscFunctionBeginUser;
  while (sk->sweep < sk->total_sweeps) {
    double t0 = MPI_Wtime();
    for (int c0 = 0; c0 < sk->ncopies;) { /* blocks of local copies that share a matrix */
      int c1 = c0 + 1;
      while (c1 < sk->ncopies && (sk->nmat == 1 || SKCopySample(sk, sk->first + c1) == SKCopySample(sk, sk->first + c0))) c1++;
      PetscCall(SKSweep(sk, c0, c1));
      c0 = c1;
    }
    sk->tbits_valid = (PetscBool)(sk->intpath && opt->kernel != KERNEL_REFERENCE);
    sk->sweep++;
    if (!sk->intpath && sk->sweep % 64 == 0) /* bound the rounding drift of the incremental fields */
      for (int c = 0; c < sk->ncopies; c++) SKFieldsCompute(sk, c);
    sk->timer_sweep += MPI_Wtime() - t0;
    if (sk->sweep % opt->measure_interval == 0) {
      t0 = MPI_Wtime();
      PetscCall(SKMeasure(sk, (PetscBool)(sk->sweep > opt->equilibration_sweeps)));
      sk->timer_measure += MPI_Wtime() - t0;
    }
    if (opt->pt_interval > 0 && sk->nT > 1 && sk->sweep % opt->pt_interval == 0) {
      t0 = MPI_Wtime();
      PetscCall(SKTempering(sk));
      sk->timer_tempering += MPI_Wtime() - t0;
    }
    {
      /* Sweep boundary: a stop signal on any rank, rank 0's progress clock, a due checkpoint. */
      int flags[3] = {SignalsCaught(), !opt->quiet && sk->rank == 0 && MPI_Wtime() >= next_progress, opt->checkpoint[0] && sk->rank == 0 && MPI_Wtime() >= next_checkpoint};
      if (sk->hook.fn && sk->rank == 0) {
        int stop = 0;
        PetscCall(sk->hook.fn(sk->hook.ctx, sk->sweep, sk->total_sweeps, &stop));
        if (stop && !flags[0]) flags[0] = GLASSY_STOP_BY_HOOK;
      }
      if (sk->size > 1) PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, flags, 3, MPI_INT, MPI_MAX, sk->comm));
      if (opt->checkpoint[0] && (flags[0] || flags[2])) {
        PetscCall(SKCheckpointWrite(sk));
        next_checkpoint = MPI_Wtime() + opt->checkpoint_interval;
      }
      if (flags[0]) {
        sk->interrupted = flags[0];
        break;
      }
      if (flags[1]) {
        const double el = MPI_Wtime() - start;
        PetscCall(PetscPrintf(sk->comm, "glassy: sweep %" PetscInt64_FMT "/%" PetscInt64_FMT ", %.0f s elapsed, about %.0f s left\n", (PetscInt64)sk->sweep, (PetscInt64)sk->total_sweeps, el, el / sk->sweep * (sk->total_sweeps - sk->sweep)));
        next_progress = MPI_Wtime() + opt->progress_interval;
      }
    }
  }
  sk->wall_run = MPI_Wtime() - start;
  if (sk->interrupted && !sk->hook.fn) PetscCall(PetscPrintf(sk->comm, "glassy: stopped by signal %d at sweep %" PetscInt64_FMT " of %" PetscInt64_FMT "; %s\n", sk->interrupted, (PetscInt64)sk->sweep, (PetscInt64)sk->total_sweeps, opt->checkpoint[0] ? "continue with -restart" : "no -checkpoint was given, so nothing was saved"));
  PetscFunctionReturn(0);
}
