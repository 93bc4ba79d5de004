/* Instance files: plain-text edge lists and HDF5, read on rank 0 and broadcast. */
#include "instance_io.h"
#include "errors.h"
#include "lattice.h"

#include <errno.h>
#include <math.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

PetscBool InstancePathIsHDF5(const char *path)
{
  size_t n = strlen(path);
  return (n > 3 && !strcmp(path + n - 3, ".h5")) || (n > 5 && !strcmp(path + n - 5, ".hdf5"));
}

/* Map the pair (i, j) to the bond index g*dim + k, or -1 if it is not a lattice bond. */
static int64_t BondOfPair(int dim, int L, int64_t i, int64_t j)
{
  for (int k = 0; k < dim; k++)
    if (LatticeGlobalNeighbour(dim, L, i, k) == j) return i * dim + k;
  for (int k = 0; k < dim; k++)
    if (LatticeGlobalNeighbour(dim, L, j, k) == i) return j * dim + k;
  return -1;
}

/* Record bond (i, j, J) read at `where`; line[] holds the line of each bond (0: absent). */
typedef struct {
  int      dim, L;
  int64_t  N, nbonds;
  double  *Jg;
  long    *line; /* line of each bond (0: absent) */
} LatticeSink;

static PetscErrorCode AddBond(void *ctx, const char *path, long where, int64_t i, int64_t j, double J)
{
  LatticeSink *ls = (LatticeSink *)ctx;
  const int    dim = ls->dim, L = ls->L;
  const int64_t N  = ls->N;
  double      *Jg = ls->Jg;
  long        *line = ls->line;
  int64_t      b;
  PetscFunctionBeginUser;
  PetscCheck(i >= 0 && i < N, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "%s:%ld: site %" PetscInt64_FMT " is out of range 0..%" PetscInt64_FMT " for L=%d, dim=%d", path, where, (PetscInt64)i, (PetscInt64)(N - 1), L, dim);
  PetscCheck(j >= 0 && j < N, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "%s:%ld: site %" PetscInt64_FMT " is out of range 0..%" PetscInt64_FMT " for L=%d, dim=%d", path, where, (PetscInt64)j, (PetscInt64)(N - 1), L, dim);
  PetscCheck(isfinite(J), PETSC_COMM_SELF, GLASSY_ERR_INPUT, "%s:%ld: coupling %.6g is not a finite number", path, where, J);
  PetscCheck(fabs(J) < GLASSY_MAX_SUM_ABS_J, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "%s:%ld: coupling %.6g is too large (the sum of |J| over all bonds must stay below 2^30)", path, where, J);
  b = BondOfPair(dim, L, i, j);
  PetscCheck(b >= 0, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "%s:%ld: sites %" PetscInt64_FMT " and %" PetscInt64_FMT " are not nearest neighbours on the periodic L=%d lattice in %d dimensions", path, where, (PetscInt64)i, (PetscInt64)j, L, dim);
  if (line[b] && L == 2) { /* on L=2 each pair is joined by two bonds: take the other one */
    int64_t other = BondOfPair(dim, L, j, i);
    if (other != b && !line[other]) b = other;
  }
  PetscCheck(!line[b], PETSC_COMM_SELF, GLASSY_ERR_INPUT, "%s:%ld: the bond between sites %" PetscInt64_FMT " and %" PetscInt64_FMT " is listed twice (first on line %ld)", path, where, (PetscInt64)i, (PetscInt64)j, line[b]);
  Jg[b]   = GlassyQuantise(J);
  line[b] = where;
  ls->nbonds++;
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadText(const char *path, PairSink add, void *ctx, int64_t *npairs)
{
  FILE *f = fopen(path, "r");
  char  buf[4096];
  long  lineno = 0;

  PetscFunctionBeginUser;
  PetscCheck(f, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "-couplings_file %s: cannot open (%s)", path, strerror(errno));
  while (fgets(buf, sizeof buf, f)) {
    char   *hash, *p = buf, *end;
    long long i, j;
    double  J;
    lineno++;
    if (!strchr(buf, '\n') && !feof(f)) {
      fclose(f);
      SETERRQ(PETSC_COMM_SELF, GLASSY_ERR_INPUT, "%s:%ld: line longer than %d characters", path, lineno, (int)sizeof buf - 2);
    }
    if ((hash = strchr(buf, '#'))) *hash = '\0';
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    if (!*p) continue;
    errno = 0;
    i     = strtoll(p, &end, 10);
    if (end == p || errno || (*end != ' ' && *end != '\t')) goto malformed;
    p = end;
    j = strtoll(p, &end, 10);
    if (end == p || errno || (*end != ' ' && *end != '\t')) goto malformed;
    p = end;
    J = strtod(p, &end);
    if (end == p || errno) goto malformed;
    for (p = end; *p; p++)
      if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') goto malformed;
    {
      PetscErrorCode e = add(ctx, path, lineno, i, j, J);
      if (e) {
        fclose(f);
        PetscCall(e);
      }
    }
    (*npairs)++;
    continue;
  malformed:
    fclose(f);
    SETERRQ(PETSC_COMM_SELF, GLASSY_ERR_INPUT, "%s:%ld: malformed line, expected `i j J` (two site indices and a coupling)", path, lineno);
  }
  if (ferror(f)) {
    fclose(f);
    SETERRQ(PETSC_COMM_SELF, GLASSY_ERR_INPUT, "%s: read error after line %ld", path, lineno);
  }
  fclose(f);
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadH5Dataset(hid_t file, const char *path, const char *name, hid_t type, void *buf, hsize_t *n, hsize_t max)
{
  hid_t   d, s;
  int     rank;
  hsize_t dims[2];
  PetscFunctionBeginUser;
  PetscCheck(H5Lexists(file, name, H5P_DEFAULT) > 0, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "-couplings_file %s: no dataset %s", path, name);
  d    = H5Dopen2(file, name, H5P_DEFAULT);
  s    = H5Dget_space(d);
  rank = H5Sget_simple_extent_ndims(s);
  if (rank == 1) H5Sget_simple_extent_dims(s, dims, NULL);
  H5Sclose(s);
  if (rank != 1 || dims[0] > max || (buf && dims[0] != *n)) {
    H5Dclose(d);
    SETERRQ(PETSC_COMM_SELF, GLASSY_ERR_INPUT, "-couplings_file %s: dataset %s must be one-dimensional with one entry per bond (at most %llu)", path, name, (unsigned long long)max);
  }
  *n = dims[0];
  if (buf) {
    herr_t e = H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    H5Dclose(d);
    PetscCheck(e >= 0, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "-couplings_file %s: cannot read dataset %s", path, name);
  } else H5Dclose(d);
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadH5Attr(hid_t file, const char *path, const char *name, int *v)
{
  hid_t a;
  PetscFunctionBeginUser;
  PetscCheck(H5Aexists(file, name) > 0, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "-couplings_file %s: no attribute %s on /", path, name);
  a = H5Aopen(file, name, H5P_DEFAULT);
  PetscCheck(H5Aread(a, H5T_NATIVE_INT, v) >= 0, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "-couplings_file %s: cannot read attribute %s", path, name);
  H5Aclose(a);
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadHDF5(const char *path, const InstanceAttr *attrs, int nattrs, int64_t max, PairSink add, void *ctx, int64_t *npairs)
{
  hid_t          file;
  hsize_t        n = 0, n2;
  int64_t       *ii = NULL, *jj = NULL;
  double        *JJ = NULL;
  PetscErrorCode e = 0;

  PetscFunctionBeginUser;
  PetscCheck(access(path, R_OK) == 0, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "-couplings_file %s: cannot open (%s)", path, strerror(errno));
  PetscCheck(H5Fis_hdf5(path) > 0, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "-couplings_file %s: not an HDF5 file", path);
  file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(file >= 0, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "-couplings_file %s: cannot open as HDF5", path);
  for (int a = 0; a < nattrs && !e; a++) {
    int v;
    e = ReadH5Attr(file, path, attrs[a].name, &v);
    if (!e && v != attrs[a].value) e = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, GLASSY_ERR_INPUT, PETSC_ERROR_INITIAL, "-couplings_file %s: the instance has %s %d but the run has %s %d", path, attrs[a].name, v, attrs[a].option, attrs[a].value);
  }
  if (!e) e = ReadH5Dataset(file, path, "J", H5T_NATIVE_DOUBLE, NULL, &n, (hsize_t)max);
  if (!e) e = PetscMalloc3(n, &ii, n, &jj, n, &JJ);
  n2 = n;
  if (!e) e = ReadH5Dataset(file, path, "i", H5T_NATIVE_INT64, ii, &n2, (hsize_t)max);
  if (!e) e = ReadH5Dataset(file, path, "j", H5T_NATIVE_INT64, jj, &n2, (hsize_t)max);
  if (!e) e = ReadH5Dataset(file, path, "J", H5T_NATIVE_DOUBLE, JJ, &n2, (hsize_t)max);
  H5Fclose(file);
  for (hsize_t b = 0; !e && b < n; b++) {
    e = add(ctx, path, (long)b + 1, ii[b], jj[b], JJ[b]);
    if (!e) (*npairs)++;
  }
  PetscCall(PetscFree3(ii, jj, JJ));
  PetscCall(e);
  PetscFunctionReturn(0);
}

PetscErrorCode InstanceReadPairs(const char *path, const InstanceAttr *attrs, int nattrs, int64_t max, PairSink add, void *ctx)
{
  PetscErrorCode e;
  int64_t        npairs = 0;
  PetscFunctionBeginUser;
  H5E_BEGIN_TRY
  {
    e = InstancePathIsHDF5(path) ? ReadHDF5(path, attrs, nattrs, max, add, ctx, &npairs) : ReadText(path, add, ctx, &npairs);
  }
  H5E_END_TRY;
  PetscCall(e);
  PetscCheck(npairs > 0, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "-couplings_file %s: no bonds in the file", path);
  PetscFunctionReturn(0);
}

PetscErrorCode InstanceRead(MPI_Comm comm, const char *path, int dim, int L, double *Jg, int64_t *nbonds)
{
  int            rank;
  int64_t        N = 1;
  PetscErrorCode err = 0;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  for (int k = 0; k < dim; k++) N *= L;
  *nbonds = 0;
  if (!rank) {
    LatticeSink        ls    = {dim, L, N, 0, Jg, NULL};
    const InstanceAttr attr[] = {{"dim", dim, "-dim"}, {"L", L, "-L"}};
    PetscCall(PetscCalloc1(N * dim, &ls.line));
    for (int64_t b = 0; b < N * dim; b++) Jg[b] = 0;
    err     = InstanceReadPairs(path, attr, 2, N * dim, AddBond, &ls);
    *nbonds = ls.nbonds;
    PetscCall(PetscFree(ls.line));
  }
  PetscCall(ErrorsShare(comm, 0, err));
  PetscCallMPI(MPI_Bcast(nbonds, 1, MPI_INT64_T, 0, comm));
  for (int64_t done = 0; done < N * dim; done += 1 << 26) {
    int64_t n = N * dim - done < (1 << 26) ? N * dim - done : (1 << 26);
    PetscCallMPI(MPI_Bcast(Jg + done, (int)n, MPI_DOUBLE, 0, comm));
  }
  PetscFunctionReturn(0);
}

/* Temporary name beside path, so that rename() is atomic. */
static void TempName(const char *path, char *tmp, size_t len)
{
  snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
}

static PetscErrorCode WriteText(const char *tmp, const char *path, int64_t n, const int64_t *ii, const int64_t *jj, const double *J, const char *comment)
{
  FILE *f = fopen(tmp, "w");
  int   bad;
  PetscFunctionBeginUser;
  PetscCheck(f, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "-export_couplings %s: cannot create (%s)", path, strerror(errno));
  fprintf(f, "# %s\n# one coupling per line: i j J (0-based sites), H = - sum over lines of J s_i s_j\n", comment);
  for (int64_t b = 0; b < n; b++) fprintf(f, "%" PetscInt64_FMT " %" PetscInt64_FMT " %.17g\n", (PetscInt64)ii[b], (PetscInt64)jj[b], J[b]);
  bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
  bad |= fclose(f) != 0;
  if (bad) unlink(tmp);
  PetscCheck(!bad, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "-export_couplings %s: write failed (%s)", path, strerror(errno));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteHDF5(const char *tmp, const char *path, int64_t nb, const int64_t *ii, const int64_t *jj, const double *J, const InstanceAttr *attrs, int nattrs, const char *comment)
{
  hid_t   f, s, d, a, st;
  hsize_t n = (hsize_t)nb;
  herr_t  e = 0;
  PetscFunctionBeginUser;
  f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  PetscCheck(f >= 0, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "-export_couplings %s: cannot create", path);
  s = H5Screate_simple(1, &n, NULL);
  d = H5Dcreate2(f, "i", H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  e |= H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ii);
  H5Dclose(d);
  d = H5Dcreate2(f, "j", H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  e |= H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, jj);
  H5Dclose(d);
  d = H5Dcreate2(f, "J", H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  e |= H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, J);
  H5Dclose(d);
  H5Sclose(s);
  s = H5Screate(H5S_SCALAR);
  for (int k = 0; k < nattrs; k++) {
    a = H5Acreate2(f, attrs[k].name, H5T_STD_I32LE, s, H5P_DEFAULT, H5P_DEFAULT);
    e |= H5Awrite(a, H5T_NATIVE_INT, &attrs[k].value);
    H5Aclose(a);
  }
  st = H5Tcopy(H5T_C_S1);
  H5Tset_size(st, strlen(comment) + 1);
  a = H5Acreate2(f, "comment", st, s, H5P_DEFAULT, H5P_DEFAULT);
  e |= H5Awrite(a, st, comment);
  H5Aclose(a);
  H5Tclose(st);
  H5Sclose(s);
  e |= H5Fclose(f);
  if (e < 0) unlink(tmp);
  PetscCheck(e >= 0, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "-export_couplings %s: write failed", path);
  PetscFunctionReturn(0);
}

PetscErrorCode InstanceWritePairs(const char *path, int64_t n, const int64_t *i, const int64_t *j, const double *J, const InstanceAttr *attrs, int nattrs, const char *comment)
{
  char           tmp[PETSC_MAX_PATH_LEN + 32];
  PetscErrorCode e;
  PetscFunctionBeginUser;
  TempName(path, tmp, sizeof tmp);
  H5E_BEGIN_TRY
  {
    e = InstancePathIsHDF5(path) ? WriteHDF5(tmp, path, n, i, j, J, attrs, nattrs, comment) : WriteText(tmp, path, n, i, j, J, comment);
  }
  H5E_END_TRY;
  PetscCall(e);
  if (rename(tmp, path) != 0) {
    int er = errno;
    unlink(tmp);
    SETERRQ(PETSC_COMM_SELF, GLASSY_ERR_INPUT, "-export_couplings %s: cannot rename the finished file into place (%s)", path, strerror(er));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode InstanceWrite(const char *path, int dim, int L, const double *Jg, const char *comment)
{
  int64_t            N = 1, nb;
  int64_t           *ii, *jj;
  const InstanceAttr attr[] = {{"dim", dim, "-dim"}, {"L", L, "-L"}};
  PetscErrorCode     e;
  PetscFunctionBeginUser;
  for (int k = 0; k < dim; k++) N *= L;
  nb = N * dim;
  PetscCall(PetscMalloc2(nb, &ii, nb, &jj));
  for (int64_t g = 0; g < N; g++)
    for (int k = 0; k < dim; k++) {
      ii[g * dim + k] = g;
      jj[g * dim + k] = LatticeGlobalNeighbour(dim, L, g, k);
    }
  e = InstanceWritePairs(path, nb, ii, jj, Jg, attr, 2, comment);
  PetscCall(PetscFree2(ii, jj));
  PetscCall(e);
  PetscFunctionReturn(0);
}
