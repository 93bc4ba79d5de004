/* SK couplings: dense symmetric matrices K[N][N] held once per node in an MPI-3 shared-memory
 * window; generated (K_ij = J_ij / sqrt(N), J_ij a pure function of seed, sample, i, j) or loaded
 * from an instance file (K_ij = J as written); and their export. */
#include "couplings.h"
#include "errors.h"
#include "hash.h"
#include "instance_io.h"
#include "sk.h"

#include <string.h>

/* The generated coupling J_ij (i < j) of one sample, before the 1/sqrt(N). */
static double SKCoupling(const GlassyOptions *opt, int N, int64_t sample, int i, int j)
{
  return CouplingValue(opt->couplings, (uint32_t)opt->seed, (uint32_t)sample, (int64_t)i * N + j);
}

typedef struct {
  int            N;
  double        *K;
  unsigned char *seen;
  int64_t        max_index;
} SKSink;

static PetscErrorCode AddPair(void *ctx, const char *path, long where, int64_t i, int64_t j, double J)
{
  SKSink *sk = (SKSink *)ctx;
  int64_t N  = sk->N, a, b;
  PetscFunctionBeginUser;
  PetscCheck(i >= 0 && i < N, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "%s:%ld: spin %" PetscInt64_FMT " is out of range 0..%" PetscInt64_FMT " for -N %" PetscInt64_FMT, path, where, (PetscInt64)i, (PetscInt64)(N - 1), (PetscInt64)N);
  PetscCheck(j >= 0 && j < N, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "%s:%ld: spin %" PetscInt64_FMT " is out of range 0..%" PetscInt64_FMT " for -N %" PetscInt64_FMT, path, where, (PetscInt64)j, (PetscInt64)(N - 1), (PetscInt64)N);
  PetscCheck(i != j, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "%s:%ld: a coupling of spin %" PetscInt64_FMT " with itself", path, where, (PetscInt64)i);
  PetscCheck(isfinite(J), PETSC_COMM_SELF, GLASSY_ERR_INPUT, "%s:%ld: coupling %.6g is not a finite number", path, where, J);
  a = i < j ? i : j;
  b = i < j ? j : i;
  PetscCheck(!sk->seen[a * N + b], PETSC_COMM_SELF, GLASSY_ERR_INPUT, "%s:%ld: the pair %" PetscInt64_FMT " %" PetscInt64_FMT " is listed twice", path, where, (PetscInt64)i, (PetscInt64)j);
  sk->seen[a * N + b] = 1;
  if (b > sk->max_index) sk->max_index = b;
  sk->K[a * N + b] = sk->K[b * N + a] = J;
  PetscFunctionReturn(0);
}

PetscErrorCode SKInstanceRead(MPI_Comm comm, const char *path, int N, double *K)
{
  int            rank;
  PetscErrorCode err = 0;
  const int64_t  NN  = (int64_t)N * N;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank) {
    SKSink             sink = {N, K, NULL, -1};
    const InstanceAttr attr[] = {{"N", N, "-N"}};
    PetscCall(PetscCalloc1(NN, &sink.seen));
    for (int64_t k = 0; k < NN; k++) K[k] = 0;
    err = InstanceReadPairs(path, attr, 1, NN / 2, AddPair, &sink);
    PetscCall(PetscFree(sink.seen));
    if (!err && sink.max_index != N - 1) err = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, GLASSY_ERR_INPUT, PETSC_ERROR_INITIAL, "-couplings_file %s: the instance couples spins 0..%" PetscInt64_FMT " but the run has -N %d", path, (PetscInt64)sink.max_index, N);
  }
  PetscCall(ErrorsShare(comm, 0, err));
  for (int64_t done = 0; done < NN; done += 1 << 26) {
    int64_t n = NN - done < (1 << 26) ? NN - done : (1 << 26);
    PetscCallMPI(MPI_Bcast(K + done, (int)n, MPI_DOUBLE, 0, comm));
  }
  PetscFunctionReturn(0);
}

/* Allocate the matrices in a window shared by the ranks of each node and fill them: generated
 * rows are split over the node's ranks; a loaded instance is read on rank 0 of the group. */
PetscErrorCode SKCouplingsCreate(SK *sk)
{
  const GlassyOptions *opt = sk->opt;
  const int            N   = sk->N;
  const int64_t        NN  = (int64_t)N * N;
  int                  nrank, nsize, disp;
  MPI_Aint             size;
  double              *base;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_split_type(sk->comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &sk->node));
  PetscCallMPI(MPI_Comm_rank(sk->node, &nrank));
  PetscCallMPI(MPI_Comm_size(sk->node, &nsize));
  sk->nmat = opt->couplings_file[0] ? 1 : sk->S;
  /* Rows are padded to an odd number of 64-element blocks, so that the rows of a block of sites,
   * and the fields of consecutive copies, spread over the sets of the L1 cache instead of
   * landing in the same few (a power-of-two stride evicts them from one another). */
  sk->ld = (N + 63) / 64 * 64;
  if ((sk->ld / 64) % 2 == 0) sk->ld += 64;
  sk->matrix_bytes = (double)sk->nmat * N * sk->ld * sizeof(double);
  {
    int ok = sk->matrix_bytes < 1e15, all;
    PetscCallMPI(MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, sk->comm));
    GlassyCheck(all, sk->comm, "-N %d: %d coupling matrices of %d x %d doubles do not fit in memory", N, sk->nmat, N, N);
  }
  {
    int errs = MPI_Win_allocate_shared(nrank == 0 ? (MPI_Aint)sk->matrix_bytes : 0, sizeof(double), MPI_INFO_NULL, sk->node, &base, &sk->win);
    int ok   = errs == MPI_SUCCESS, all;
    PetscCallMPI(MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, sk->comm));
    GlassyCheck(all, sk->comm, "-N %d: cannot allocate %.3g GB of shared memory for the coupling matrices", N, sk->matrix_bytes / 1e9);
  }
  PetscCallMPI(MPI_Win_shared_query(sk->win, 0, &size, &disp, &base));
  sk->K = base;
  PetscCallMPI(MPI_Win_fence(0, sk->win));
  if (!opt->couplings_file[0]) {
    for (int64_t row = nrank; row < (int64_t)sk->nmat * N; row += nsize) {
      const int64_t m = row / N;
      const int     i = (int)(row % N);
      double       *Ki = base + (m * N + i) * sk->ld;
      for (int j = 0; j < N; j++) Ki[j] = i == j ? 0.0 : (i < j ? SKCoupling(opt, N, sk->first_sample + m, i, j) : SKCoupling(opt, N, sk->first_sample + m, j, i)) / sqrt((double)N);
    }
  } else {
    /* Every rank of the group takes part in reading (errors are collective); rank 0 of each
     * node keeps the result in the window. */
    double *K;
    PetscCall(PetscMalloc1(NN, &K));
    PetscCall(SKInstanceRead(sk->comm, opt->couplings_file, N, K));
    for (int64_t k = 0; k < NN; k++) sk->file_checksum += HashDouble((uint64_t)k, K[k]);
    if (nrank == 0)
      for (int i = 0; i < N; i++) PetscCall(PetscArraycpy(base + (int64_t)i * sk->ld, K + (int64_t)i * N, N));
    PetscCall(PetscFree(K));
  }
  PetscCallMPI(MPI_Win_fence(0, sk->win));

  /* Are all couplings +-c?  Then the integer path applies (fields fit int16 for N < 32768). */
  {
    const double c = fabs(base[1]);
    int          all = N < 32768 && c > 0, agree;
    for (int64_t row = 0; row < (int64_t)sk->nmat * N && all; row++)
      for (int j = 0; j < N; j++)
        if (row % N != j && fabs(base[row * sk->ld + j]) != c) all = 0;
    PetscCallMPI(MPI_Allreduce(&all, &agree, 1, MPI_INT, MPI_MIN, sk->comm));
    sk->intpath = agree ? PETSC_TRUE : PETSC_FALSE;
    sk->kscale  = c;
  }
  if (sk->intpath) {
    /* The signs as bits, Wn words per row: bit j of row i is set when K_ij < 0. */
    uint64_t     *bbase;
    const int64_t words = (int64_t)sk->nmat * N * sk->Wn;
    int           errs  = MPI_Win_allocate_shared(nrank == 0 ? (MPI_Aint)(words * sizeof(uint64_t)) : 0, sizeof(uint64_t), MPI_INFO_NULL, sk->node, &bbase, &sk->win_bits);
    int           ok    = errs == MPI_SUCCESS, all;
    PetscCallMPI(MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, sk->comm));
    GlassyCheck(all, sk->comm, "-N %d: cannot allocate %.3g GB of shared memory for the coupling signs", N, words * 8 / 1e9);
    PetscCallMPI(MPI_Win_shared_query(sk->win_bits, 0, &size, &disp, &bbase));
    PetscCallMPI(MPI_Win_fence(0, sk->win_bits));
    for (int64_t row = nrank; row < (int64_t)sk->nmat * N; row += nsize) {
      uint64_t *Bi = bbase + row * sk->Wn;
      for (int w = 0; w < sk->Wn; w++) Bi[w] = 0;
      for (int j = 0; j < N; j++)
        if (base[row * sk->ld + j] < 0) Bi[j / 64] |= (uint64_t)1 << (j % 64);
    }
    PetscCallMPI(MPI_Win_fence(0, sk->win_bits));
    sk->Kbits = bbase;
    sk->matrix_bytes += (double)words * sizeof(uint64_t);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SKExport(MPI_Comm comm, const GlassyOptions *opt)
{
  const int          N = (int)opt->N;
  const int64_t      np = (int64_t)N * (N - 1) / 2;
  int                rank;
  const InstanceAttr attr[] = {{"N", N, "-N"}};
  int64_t           *ii, *jj;
  double            *J, *K = NULL;

  PetscFunctionBeginUser;
  if (!opt->export_couplings[0]) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  GlassyCheck(strstr(opt->export_couplings, "%d") || opt->samples == 1, comm, "-export_couplings %s: with -samples %" PetscInt_FMT " the path needs a %%d for the sample index", opt->export_couplings, opt->samples);
  if (opt->couplings_file[0]) {
    PetscCall(PetscMalloc1((int64_t)N * N, &K));
    PetscCall(SKInstanceRead(comm, opt->couplings_file, N, K));
  }
  PetscCall(PetscMalloc3(np, &ii, np, &jj, np, &J));
  for (PetscInt s = 0; s < opt->samples; s++) {
    const PetscInt sample = opt->sample_offset + s;
    char           path[PETSC_MAX_PATH_LEN], comment[256];
    const char    *pct = strstr(opt->export_couplings, "%d");
    PetscErrorCode err = 0;
    if (pct) PetscCall(PetscSNPrintf(path, sizeof path, "%.*s%" PetscInt_FMT "%s", (int)(pct - opt->export_couplings), opt->export_couplings, sample, pct + 2));
    else PetscCall(PetscStrncpy(path, opt->export_couplings, sizeof path));
    if (!rank) {
      int64_t b = 0;
      for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++, b++) {
          ii[b] = i;
          jj[b] = j;
          J[b]  = K ? K[(int64_t)i * N + j] : SKCoupling(opt, N, sample, i, j) / sqrt((double)N);
        }
      PetscCall(PetscSNPrintf(comment, sizeof comment, "glassy SK instance: N %d, %s, seed %" PetscInt64_FMT ", sample %" PetscInt_FMT "; J includes the 1/sqrt(N)", N, K ? "copied from a file" : GlassyCouplingsNames[opt->couplings], opt->seed, sample));
      err = InstanceWritePairs(path, np, ii, jj, J, attr, 1, comment);
    }
    PetscCall(ErrorsShare(comm, 0, err));
  }
  PetscCall(PetscFree3(ii, jj, J));
  PetscCall(PetscFree(K));
  PetscFunctionReturn(0);
}
