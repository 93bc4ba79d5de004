/* Checkpoints in parallel HDF5 (see checkpoint.h and doc/checkpoints.md).
 *
 * Layout (independent of the number of ranks):
 *   /state/spins        uint64 [nslots][L]...[L][W]  configurations, C order with x0 last but W
 *   /state/swap_accepts int64  [max(nT-1,1)][lanes]
 *   /state/bin_sum      double [NOBS][nbins][nT][samples],  /state/bin_count int64 [nbins]
 *   /state/log_sum      double [NOBS][nlog][nT][samples],   /state/log_count int64 [nlog]
 *   /state/sf_sum       double [nT][L]...[L/2+1]          (with -structure_factor)
 * Attributes on /: format, format_version, fingerprint, sweep, pt_steps, swap_attempts,
 * measurements_done, sf_count, and provenance.  Every dataset has a uint64 attribute checksum:
 * the sum over elements of HashElement(global linear index, bits). */
#include "checkpoint.h"
#include "config.h"
#include "build-info.h"
#include "errors.h"
#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CKPT_FORMAT  "glassy-checkpoint"
#define CKPT_VERSION 1

typedef enum { CKPT_VALID, CKPT_MISSING, CKPT_DAMAGED, CKPT_INCOMPATIBLE } CheckpointStatus;

/* A dataset that every rank holds whole (rank 0 writes it, every rank reads it). */
typedef struct {
  const char *name;
  hid_t       memtype, filetype;
  void       *data;
  int         ndims;
  hsize_t     dims[4];
} Replicated;

static int ReplicatedList(Simulation *sim, Replicated r[5])
{
  const Accumulators *a  = &sim->acc;
  const hsize_t       np = (hsize_t)(sim->nT > 1 ? sim->nT - 1 : 1);
  r[0] = (Replicated){"swap_accepts", H5T_NATIVE_INT64, H5T_STD_I64LE, sim->swap_accepts, 2, {np, (hsize_t)sim->lanes}};
  r[1] = (Replicated){"bin_sum", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, a->bin_sum, 4, {NOBS, (hsize_t)a->nbins, (hsize_t)sim->nT, (hsize_t)sim->samples}};
  r[2] = (Replicated){"bin_count", H5T_NATIVE_INT64, H5T_STD_I64LE, a->bin_count, 1, {(hsize_t)a->nbins}};
  r[3] = (Replicated){"log_sum", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, a->log_sum, 4, {NOBS, (hsize_t)a->nlog, (hsize_t)sim->nT, (hsize_t)sim->samples}};
  r[4] = (Replicated){"log_count", H5T_NATIVE_INT64, H5T_STD_I64LE, a->log_count, 1, {(hsize_t)a->nlog}};
  return 5;
}

static hsize_t Elements(const Replicated *r)
{
  hsize_t n = 1;
  for (int i = 0; i < r->ndims; i++) n *= r->dims[i];
  return n;
}

/* Both int64 and double elements are 8 bytes: hash their bits. */
static uint64_t ReplicatedChecksum(const Replicated *r)
{
  const uint64_t *bits = (const uint64_t *)r->data;
  uint64_t        sum  = 0;
  for (hsize_t i = 0; i < Elements(r); i++) sum += HashElement(i, bits[i]);
  return sum;
}

static uint64_t SpinsChecksumLocal(const Simulation *sim)
{
  const Lattice *lat = sim->lat;
  uint64_t       sum = 0;
  for (int s = 0; s < sim->nslots; s++)
    for (int64_t i = 0; i < lat->nlocal; i++) {
      const int64_t p = lat->owned[i], g = lat->global[p];
      for (int w = 0; w < sim->W; w++) sum += HashElement((uint64_t)(((int64_t)s * lat->N + g) * sim->W + w), sim->spins[((int64_t)s * lat->npadded + p) * sim->W + w]);
    }
  return sum;
}

static uint64_t StructureFactorChecksumLocal(const Simulation *sim)
{
  const StructureFactor *sf = sim->sf;
  uint64_t               sum = 0;
  if (!sf || sf->local_n0 == 0) return 0;
  const int64_t plane = sf->nk_local / sf->local_n0, first = sf->local_0_start * plane;
  for (int t = 0; t < sim->nT; t++)
    for (int64_t k = 0; k < sf->nk_local; k++) sum += HashDouble((uint64_t)(t * sf->nk_global + first + k), sim->sf_sum[t * sf->nk_local + k]);
  return sum;
}

/* File and memory selections of this rank's part of /state/spins. */
static void SpinsSpaces(const Simulation *sim, hid_t *filespace, hid_t *memspace)
{
  const Lattice *lat = sim->lat;
  const int      d = lat->dim, nd = d + 2;
  hsize_t        fdims[GLASSY_MAX_DIM + 2], mdims[GLASSY_MAX_DIM + 2], fstart[GLASSY_MAX_DIM + 2], mstart[GLASSY_MAX_DIM + 2], count[GLASSY_MAX_DIM + 2];
  fdims[0] = mdims[0] = count[0] = (hsize_t)sim->nslots;
  fstart[0] = mstart[0] = 0;
  for (int j = 1; j <= d; j++) {
    const int k = d - j; /* dataset dimension j is lattice dimension k */
    fdims[j]  = (hsize_t)lat->L;
    mdims[j]  = (hsize_t)lat->nloc[k] + 2;
    fstart[j] = (hsize_t)lat->offset[k];
    mstart[j] = 1;
    count[j]  = (hsize_t)lat->nloc[k];
  }
  fdims[d + 1] = mdims[d + 1] = count[d + 1] = (hsize_t)sim->W;
  fstart[d + 1] = mstart[d + 1] = 0;
  *filespace = H5Screate_simple(nd, fdims, NULL);
  *memspace  = H5Screate_simple(nd, mdims, NULL);
  H5Sselect_hyperslab(*filespace, H5S_SELECT_SET, fstart, NULL, count, NULL);
  H5Sselect_hyperslab(*memspace, H5S_SELECT_SET, mstart, NULL, count, NULL);
}

/* File and memory selections of this rank's slab of /state/sf_sum. */
static void StructureFactorSpaces(const Simulation *sim, hid_t *filespace, hid_t *memspace)
{
  const int d = sim->lat->dim, L = sim->lat->L;
  hsize_t   dims[GLASSY_MAX_DIM + 1], start[GLASSY_MAX_DIM + 1], count[GLASSY_MAX_DIM + 1];
  dims[0]  = count[0] = (hsize_t)sim->nT;
  start[0] = 0;
  for (int j = 1; j <= d; j++) {
    dims[j]  = count[j] = (hsize_t)(j == d ? L / 2 + 1 : L);
    start[j] = 0;
  }
  start[1]   = (hsize_t)sim->sf->local_0_start;
  count[1]   = (hsize_t)sim->sf->local_n0;
  *filespace = H5Screate_simple(d + 1, dims, NULL);
  *memspace  = H5Screate_simple(d + 1, count, NULL);
  if (count[1] > 0) H5Sselect_hyperslab(*filespace, H5S_SELECT_SET, start, NULL, count, NULL);
  else {
    H5Sselect_none(*filespace);
    H5Sselect_none(*memspace);
  }
}

static int AttrU64(hid_t loc, const char *name, uint64_t v, int write)
{
  hid_t s = H5Screate(H5S_SCALAR), a;
  int   ok;
  a  = H5Acreate2(loc, name, H5T_STD_U64LE, s, H5P_DEFAULT, H5P_DEFAULT);
  ok = a >= 0 && (!write || H5Awrite(a, H5T_NATIVE_UINT64, &v) >= 0);
  if (a >= 0) H5Aclose(a);
  H5Sclose(s);
  return ok;
}

static int AttrStr(hid_t loc, const char *name, const char *v)
{
  hid_t s = H5Screate(H5S_SCALAR), t = H5Tcopy(H5T_C_S1), a;
  int   ok;
  H5Tset_size(t, strlen(v) + 1);
  a  = H5Acreate2(loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
  ok = a >= 0 && H5Awrite(a, t, v) >= 0;
  if (a >= 0) H5Aclose(a);
  H5Tclose(t);
  H5Sclose(s);
  return ok;
}

static int ReadAttrU64(hid_t loc, const char *name, uint64_t *v)
{
  hid_t a;
  int   ok;
  if (H5Aexists(loc, name) <= 0) return 0;
  a  = H5Aopen(loc, name, H5P_DEFAULT);
  ok = a >= 0 && H5Aread(a, H5T_NATIVE_UINT64, v) >= 0;
  if (a >= 0) H5Aclose(a);
  return ok;
}

static int ReadAttrStr(hid_t loc, const char *name, char *buf, size_t len)
{
  hid_t a, t, ft;
  int   ok;
  if (H5Aexists(loc, name) <= 0) return 0;
  a  = H5Aopen(loc, name, H5P_DEFAULT);
  ft = H5Aget_type(a);
  ok = H5Tget_class(ft) == H5T_STRING && H5Tget_size(ft) <= len;
  t  = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, len);
  if (ok) ok = H5Aread(a, t, buf) >= 0;
  H5Tclose(t);
  H5Tclose(ft);
  H5Aclose(a);
  return ok;
}

PetscErrorCode CheckpointFingerprint(const Simulation *sim, char *buf, size_t len)
{
  const GlassyOptions *o = sim->opt;
  size_t               n;
  PetscFunctionBeginUser;
  n = (size_t)snprintf(buf, len, "model=%s;dim=%d;L=%d;couplings=%s;couplings_file_checksum=%016llx;seed=%lld;samples=%d;sample_offset=%d;replicas=%d;update=%s;equilibration_sweeps=%lld;measurement_sweeps=%lld;measure_interval=%d;pt_interval=%d;bins=%d;structure_factor=%d;temperatures=", GlassyModelNames[o->model], sim->lat->dim, sim->lat->L, o->couplings_file[0] ? "file" : GlassyCouplingsNames[o->couplings], (unsigned long long)sim->cpl->file_checksum, (long long)o->seed, (int)o->samples, (int)o->sample_offset, (int)o->replicas, GlassyUpdateNames[o->update], (long long)o->equilibration_sweeps, (long long)o->measurement_sweeps, (int)o->measure_interval, (int)o->pt_interval, (int)o->bins, (int)o->structure_factor);
  for (int t = 0; t < sim->nT && n < len; t++) n += (size_t)snprintf(buf + n, len - n, "%s%.17g", t ? "," : "", (double)o->temperatures[t]);
  PetscCheck(n < len, PETSC_COMM_SELF, PETSC_ERR_PLIB, "checkpoint fingerprint longer than %zu characters", len);
  PetscFunctionReturn(0);
}

/* Name the first key whose value differs between two fingerprints. */
static void FingerprintDifference(const char *have, const char *want, char *out, size_t len)
{
  const char *a = have, *b = want;
  while (*a && *b) {
    const char *ea = strchr(a, ';'), *eb = strchr(b, ';');
    size_t      la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
    if (la != lb || strncmp(a, b, la)) {
      snprintf(out, len, "the checkpoint has %.*s but this run has %.*s", (int)PetscMin(la, 200), a, (int)PetscMin(lb, 200), b);
      return;
    }
    if (!ea || !eb) break;
    a = ea + 1;
    b = eb + 1;
  }
  snprintf(out, len, "its options differ from this run's");
}

/* fsync a file or directory by path (rank 0 only). */
static int SyncPath(const char *path)
{
  int fd = open(path, O_RDONLY), ok;
  if (fd < 0) return 0;
  ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

static void Directory(const char *path, char *dir, size_t len)
{
  const char *slash = strrchr(path, '/');
  if (!slash) snprintf(dir, len, ".");
  else if (slash == path) snprintf(dir, len, "/");
  else snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

PetscErrorCode CheckpointWrite(Simulation *sim)
{
  const GlassyOptions *opt = sim->opt;
  const int            rank = sim->lat->rank;
  char                 tmp[PETSC_MAX_PATH_LEN + 16], prev[PETSC_MAX_PATH_LEN + 16], fp[GLASSY_MAX_TEMPS * 26 + 1024];
  Replicated           rep[5];
  int                  nrep = ReplicatedList(sim, rep), ok = 1;
  hid_t                fapl, file = -1, grp = -1, xfer, dcpl;
  double               t0 = MPI_Wtime(), bytes = 0;
  uint64_t             sum;

  PetscFunctionBeginUser;
  snprintf(tmp, sizeof tmp, "%s.tmp", opt->checkpoint);
  snprintf(prev, sizeof prev, "%s.prev", opt->checkpoint);
  PetscCall(CheckpointFingerprint(sim, fp, sizeof fp));
  xfer = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(xfer, H5FD_MPIO_COLLECTIVE);
  dcpl = H5Pcreate(H5P_DATASET_CREATE); /* every element is written: no fill values first */
  H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
  fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, sim->comm, MPI_INFO_NULL);
  H5E_BEGIN_TRY
  {
    file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    ok   = file >= 0;
    if (ok) {
      /* Every rank makes every call below (HDF5 metadata operations are collective). */
      ok &= AttrStr(file, "format", CKPT_FORMAT);
      ok &= AttrU64(file, "format_version", CKPT_VERSION, 1);
      ok &= AttrStr(file, "fingerprint", fp);
      ok &= AttrStr(file, "glassy_version", PACKAGE_VERSION);
      ok &= AttrStr(file, "git_commit", GLASSY_GIT_COMMIT);
      ok &= AttrU64(file, "sweep", (uint64_t)sim->sweep, 1);
      ok &= AttrU64(file, "pt_steps", (uint64_t)sim->pt_steps, 1);
      ok &= AttrU64(file, "swap_attempts", (uint64_t)sim->swap_attempts, 1);
      ok &= AttrU64(file, "measurements_done", (uint64_t)sim->acc.done, 1);
      ok &= AttrU64(file, "sf_count", (uint64_t)sim->sf_count, 1);
      ok &= AttrU64(file, "written_by_ranks", (uint64_t)sim->lat->size, 1);
      grp = H5Gcreate2(file, "state", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      ok &= grp >= 0;
      { /* configurations: each rank its block */
        hid_t fs, ms, ds;
        SpinsSpaces(sim, &fs, &ms);
        ds = H5Dcreate2(grp, "spins", H5T_STD_U64LE, fs, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        ok &= ds >= 0 && H5Dwrite(ds, H5T_NATIVE_UINT64, ms, fs, xfer, sim->spins) >= 0;
        sum = SpinsChecksumLocal(sim);
        MPI_Allreduce(MPI_IN_PLACE, &sum, 1, MPI_UINT64_T, MPI_SUM, sim->comm);
        if (ds >= 0) {
          ok &= AttrU64(ds, "checksum", sum, 1);
          H5Dclose(ds);
        }
        bytes += (double)sim->nslots * (double)sim->lat->N * sim->W * 8;
        H5Sclose(fs);
        H5Sclose(ms);
      }
      for (int i = 0; i < nrep; i++) {
        hid_t s  = H5Screate_simple(rep[i].ndims, rep[i].dims, NULL);
        hid_t ds = H5Dcreate2(grp, rep[i].name, rep[i].filetype, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        if (ds >= 0 && rank == 0) ok &= H5Dwrite(ds, rep[i].memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, rep[i].data) >= 0;
        if (ds >= 0) {
          ok &= AttrU64(ds, "checksum", ReplicatedChecksum(&rep[i]), 1);
          H5Dclose(ds);
        } else ok = 0;
        bytes += (double)Elements(&rep[i]) * 8;
        H5Sclose(s);
      }
      if (sim->sf) {
        hid_t fs, ms, ds;
        StructureFactorSpaces(sim, &fs, &ms);
        ds = H5Dcreate2(grp, "sf_sum", H5T_IEEE_F64LE, fs, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        ok &= ds >= 0 && H5Dwrite(ds, H5T_NATIVE_DOUBLE, ms, fs, xfer, sim->sf_sum) >= 0;
        sum = StructureFactorChecksumLocal(sim);
        MPI_Allreduce(MPI_IN_PLACE, &sum, 1, MPI_UINT64_T, MPI_SUM, sim->comm);
        if (ds >= 0) {
          ok &= AttrU64(ds, "checksum", sum, 1);
          H5Dclose(ds);
        }
        bytes += (double)sim->nT * (double)sim->sf->nk_global * 8;
        H5Sclose(fs);
        H5Sclose(ms);
      }
      if (grp >= 0) H5Gclose(grp);
      ok &= H5Fclose(file) >= 0;
    }
  }
  H5E_END_TRY;
  H5Pclose(fapl);
  H5Pclose(xfer);
  H5Pclose(dcpl);
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, sim->comm));

  /* Only a complete, flushed file replaces the current generation, which becomes the previous. */
  {
    int  stage = 0; /* 0 ok, 1 write, 2 flush, 3 rename */
    char dir[PETSC_MAX_PATH_LEN], why[256] = "";
    if (!rank) {
      if (!ok) stage = 1;
      else if (!SyncPath(tmp)) stage = 2;
      if (!stage && access(opt->checkpoint, F_OK) == 0 && rename(opt->checkpoint, prev) != 0) stage = 3;
      if (!stage && rename(tmp, opt->checkpoint) != 0) stage = 3;
      if (stage) snprintf(why, sizeof why, "%s", errno ? strerror(errno) : "write failed");
      if (stage) unlink(tmp);
      Directory(opt->checkpoint, dir, sizeof dir);
      if (!stage) SyncPath(dir);
    }
    PetscCallMPI(MPI_Bcast(&stage, 1, MPI_INT, 0, sim->comm));
    PetscCallMPI(MPI_Bcast(why, sizeof why, MPI_CHAR, 0, sim->comm));
    GlassyCheck(stage == 0, sim->comm, "-checkpoint %s: %s (%s); the previous checkpoint is unchanged", opt->checkpoint, stage == 1 ? "writing the checkpoint failed" : stage == 2 ? "flushing the checkpoint to disk failed" : "renaming the checkpoint into place failed", why);
  }
  {
    const double dt = MPI_Wtime() - t0;
    sim->checkpoints++;
    sim->checkpoint_bytes += bytes;
    sim->timer[TIMER_CHECKPOINT] += dt;
    if (!opt->quiet) PetscCall(PetscPrintf(sim->comm, "glassy: checkpoint at sweep %" PetscInt64_FMT ": %.1f MB in %.2f s (%.0f MB/s) -> %s\n", (PetscInt64)sim->sweep, bytes / 1e6, dt, bytes / 1e6 / dt, opt->checkpoint));
  }
  PetscFunctionReturn(0);
}

/* Read and verify one generation into sim.  Collective; sets status and a reason. */
static PetscErrorCode ReadGeneration(Simulation *sim, const char *path, CheckpointStatus *status, char *why, size_t len)
{
  const int  rank = sim->lat->rank;
  char       fp[GLASSY_MAX_TEMPS * 26 + 1024], have[sizeof fp], format[64];
  Replicated rep[5];
  int        nrep = ReplicatedList(sim, rep), exists = 0, ok = 1;
  uint64_t   version = 0, v[5], sum, stored;
  hid_t      fapl, file = -1, grp = -1;

  PetscFunctionBeginUser;
  *status = CKPT_VALID;
  why[0]  = '\0';
  if (!rank) exists = access(path, F_OK) == 0;
  PetscCallMPI(MPI_Bcast(&exists, 1, MPI_INT, 0, sim->comm));
  if (!exists) {
    *status = CKPT_MISSING;
    PetscFunctionReturn(0);
  }
  PetscCall(CheckpointFingerprint(sim, fp, sizeof fp));
  fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, sim->comm, MPI_INFO_NULL);
  H5E_BEGIN_TRY
  {
    file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (file < 0) {
      *status = CKPT_DAMAGED;
      snprintf(why, len, "cannot be opened as HDF5 (truncated or not a checkpoint)");
    } else if (!ReadAttrStr(file, "format", format, sizeof format) || strcmp(format, CKPT_FORMAT) || !ReadAttrU64(file, "format_version", &version)) {
      *status = CKPT_INCOMPATIBLE;
      snprintf(why, len, "is not a glassy checkpoint");
    } else if (version != CKPT_VERSION) {
      *status = CKPT_INCOMPATIBLE;
      snprintf(why, len, "has checkpoint format %llu, this glassy reads %d", (unsigned long long)version, CKPT_VERSION);
    } else if (!ReadAttrStr(file, "fingerprint", have, sizeof have)) {
      *status = CKPT_DAMAGED;
      snprintf(why, len, "has no readable fingerprint");
    } else if (strcmp(have, fp)) {
      *status = CKPT_INCOMPATIBLE;
      FingerprintDifference(have, fp, why, len);
    } else if (!ReadAttrU64(file, "sweep", &v[0]) || !ReadAttrU64(file, "pt_steps", &v[1]) || !ReadAttrU64(file, "swap_attempts", &v[2]) || !ReadAttrU64(file, "measurements_done", &v[3]) || !ReadAttrU64(file, "sf_count", &v[4]) || (grp = H5Gopen2(file, "state", H5P_DEFAULT)) < 0) {
      *status = CKPT_DAMAGED;
      snprintf(why, len, "misses part of its state");
    } else {
      sim->sweep          = (int64_t)v[0];
      sim->pt_steps       = (int64_t)v[1];
      sim->swap_attempts  = (int64_t)v[2];
      sim->acc.done       = (int64_t)v[3];
      sim->sf_count   = (int64_t)v[4];
      { /* configurations */
        hid_t fs, ms, ds = H5Dopen2(grp, "spins", H5P_DEFAULT), xfer = H5Pcreate(H5P_DATASET_XFER);
        H5Pset_dxpl_mpio(xfer, H5FD_MPIO_COLLECTIVE);
        SpinsSpaces(sim, &fs, &ms);
        ok = ds >= 0 && H5Dread(ds, H5T_NATIVE_UINT64, ms, fs, xfer, sim->spins) >= 0 && ReadAttrU64(ds, "checksum", &stored);
        sum = ok ? SpinsChecksumLocal(sim) : 0;
        MPI_Allreduce(MPI_IN_PLACE, &sum, 1, MPI_UINT64_T, MPI_SUM, sim->comm);
        MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, sim->comm);
        if (!ok || sum != stored) {
          *status = CKPT_DAMAGED;
          snprintf(why, len, "dataset /state/spins %s", ok ? "fails its checksum" : "cannot be read");
        }
        if (ds >= 0) H5Dclose(ds);
        H5Pclose(xfer);
        H5Sclose(fs);
        H5Sclose(ms);
      }
      for (int i = 0; i < nrep && *status == CKPT_VALID; i++) {
        hid_t ds = H5Dopen2(grp, rep[i].name, H5P_DEFAULT), s = ds >= 0 ? H5Dget_space(ds) : -1;
        hsize_t dims[4] = {0, 0, 0, 0};
        ok = s >= 0 && H5Sget_simple_extent_ndims(s) == rep[i].ndims && H5Sget_simple_extent_dims(s, dims, NULL) >= 0 && !memcmp(dims, rep[i].dims, sizeof(hsize_t) * rep[i].ndims);
        ok = ok && H5Dread(ds, rep[i].memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, rep[i].data) >= 0 && ReadAttrU64(ds, "checksum", &stored) && ReplicatedChecksum(&rep[i]) == stored;
        MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, sim->comm);
        if (!ok) {
          *status = CKPT_DAMAGED;
          snprintf(why, len, "dataset /state/%s fails its checksum or cannot be read", rep[i].name);
        }
        if (s >= 0) H5Sclose(s);
        if (ds >= 0) H5Dclose(ds);
      }
      if (sim->sf && *status == CKPT_VALID) {
        hid_t fs, ms, ds = H5Dopen2(grp, "sf_sum", H5P_DEFAULT), xfer = H5Pcreate(H5P_DATASET_XFER);
        H5Pset_dxpl_mpio(xfer, H5FD_MPIO_COLLECTIVE);
        StructureFactorSpaces(sim, &fs, &ms);
        ok  = ds >= 0 && H5Dread(ds, H5T_NATIVE_DOUBLE, ms, fs, xfer, sim->sf_sum) >= 0 && ReadAttrU64(ds, "checksum", &stored);
        sum = ok ? StructureFactorChecksumLocal(sim) : 0;
        MPI_Allreduce(MPI_IN_PLACE, &sum, 1, MPI_UINT64_T, MPI_SUM, sim->comm);
        MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, sim->comm);
        if (!ok || sum != stored) {
          *status = CKPT_DAMAGED;
          snprintf(why, len, "dataset /state/sf_sum fails its checksum or cannot be read");
        }
        if (ds >= 0) H5Dclose(ds);
        H5Pclose(xfer);
        H5Sclose(fs);
        H5Sclose(ms);
      }
    }
    if (grp >= 0) H5Gclose(grp);
    if (file >= 0) H5Fclose(file);
  }
  H5E_END_TRY;
  H5Pclose(fapl);
  { /* every rank must agree (a rank-local read failure counts for all) */
    int st = (int)*status;
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &st, 1, MPI_INT, MPI_MAX, sim->comm));
    if (st != (int)*status && !why[0]) snprintf(why, len, "could not be read on every rank");
    *status = (CheckpointStatus)st;
    PetscCallMPI(MPI_Bcast(why, (int)len, MPI_CHAR, 0, sim->comm));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode CheckpointRestore(Simulation *sim, PetscBool *restored)
{
  const GlassyOptions *opt = sim->opt;
  char                 paths[2][PETSC_MAX_PATH_LEN + 16], why[2][512];
  CheckpointStatus     st[2];
  int64_t              sweeps[2] = {-1, -1};
  int                  best = -1;

  PetscFunctionBeginUser;
  *restored = PETSC_FALSE;
  snprintf(paths[0], sizeof paths[0], "%s", opt->checkpoint);
  snprintf(paths[1], sizeof paths[1], "%s.prev", opt->checkpoint);
  /* Read both generations (the previous one last if it is the one we keep). */
  for (int g = 0; g < 2; g++) {
    PetscCall(ReadGeneration(sim, paths[g], &st[g], why[g], sizeof why[g]));
    if (st[g] == CKPT_VALID) sweeps[g] = sim->sweep;
    GlassyCheck(st[g] != CKPT_INCOMPATIBLE, sim->comm, "-checkpoint %s: %s; refusing to continue from it (use another -checkpoint path for a different run)", paths[g], why[g]);
  }
  if (st[0] == CKPT_MISSING && st[1] == CKPT_MISSING) {
    PetscCall(PetscPrintf(sim->comm, "glassy: -restart: no checkpoint at %s; starting a fresh run\n", opt->checkpoint));
    PetscFunctionReturn(0);
  }
  for (int g = 0; g < 2; g++)
    if (st[g] == CKPT_VALID && (best < 0 || sweeps[g] > sweeps[best])) best = g;
  GlassyCheck(best >= 0, sim->comm, "-restart: no valid checkpoint: %s %s; %s %s", paths[0], st[0] == CKPT_MISSING ? "is missing" : why[0], paths[1], st[1] == CKPT_MISSING ? "is missing" : why[1]);
  for (int g = 0; g < 2; g++)
    if (st[g] == CKPT_DAMAGED) PetscCall(PetscPrintf(sim->comm, "glassy: warning: checkpoint %s %s; it is not used\n", paths[g], why[g]));
  /* The generation read last is in memory; read the chosen one again if it was not. */
  if (best == 0 && st[1] != CKPT_MISSING) PetscCall(ReadGeneration(sim, paths[0], &st[0], why[0], sizeof why[0]));
  GlassyCheck(st[best] == CKPT_VALID, sim->comm, "-restart: checkpoint %s changed while it was being read", paths[best]);
  PetscCall(HaloExchangeAll(sim->halo));
  sim->energy_sweep = -1;
  *restored         = PETSC_TRUE;
  PetscCall(PetscPrintf(sim->comm, "glassy: -restart: continuing from %s at sweep %" PetscInt64_FMT " of %" PetscInt64_FMT "\n", paths[best], (PetscInt64)sim->sweep, (PetscInt64)sim->total_sweeps));
  PetscFunctionReturn(0);
}
