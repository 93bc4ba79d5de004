/* Checkpoints in parallel HDF5 (see checkpoint.h and doc/checkpoints.md).
 *
 * File: attributes on / (format, format_version, fingerprint, the model's scalars such as sweep,
 * provenance) and the model's datasets under /state, each with a uint64 attribute checksum: the
 * sum (mod 2^64) of HashElement(global linear index, element bits) over all elements, so ranks add
 * their parts in any order. */
#include "checkpoint.h"
#include "config.h"
#include "build-info.h"
#include "errors.h"
#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CKPT_FORMAT  "glassy-checkpoint"
#define CKPT_VERSION 1

typedef enum { CKPT_VALID, CKPT_MISSING, CKPT_DAMAGED, CKPT_INCOMPATIBLE } CheckpointStatus;

uint64_t CheckpointChecksum(const void *data, size_t elsize, size_t n)
{
  uint64_t sum = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t bits = 0;
    memcpy(&bits, (const char *)data + i * elsize, elsize); /* zero-extended (little endian) */
    sum += HashElement(i, bits);
  }
  return sum;
}

static hsize_t Elements(const CheckpointDataset *d)
{
  hsize_t n = 1;
  for (int i = 0; i < d->ndims; i++) n *= d->dims[i];
  return n;
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

/* Name the first key whose value differs between two fingerprints. */
static void FingerprintDifference(const char *have, const char *want, char *out, size_t len)
{
  const char *a = have, *b = want;
  if (strncmp(have, "streams=", 8) && !strncmp(want, "streams=", 8)) { /* no streams= field: before streams=2 */
    const char *rest = strchr(want, ';');
    if (rest && !strcmp(have, rest + 1)) {
      snprintf(out, len, "it was written by an earlier glassy, whose spin updates drew other random numbers (this glassy has %.*s)", (int)strcspn(want, ";"), want);
      return;
    }
    if (rest) b = rest + 1; /* some other option differs too: name that one */
  }
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

PetscErrorCode CheckpointStateWrite(CheckpointState *st, double *bytes_out, double *seconds)
{
  int    rank, size, ok = 1;
  double t0 = MPI_Wtime();
  char   tmp[PETSC_MAX_PATH_LEN + 16], prev[PETSC_MAX_PATH_LEN + 16];
  hid_t  fapl, file = -1, grp = -1, xfer, dcpl;
  double bytes = 0;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(st->comm, &rank));
  PetscCallMPI(MPI_Comm_size(st->comm, &size));
  snprintf(tmp, sizeof tmp, "%s.tmp", st->path);
  snprintf(prev, sizeof prev, "%s.prev", st->path);
  xfer = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(xfer, H5FD_MPIO_COLLECTIVE);
  dcpl = H5Pcreate(H5P_DATASET_CREATE); /* every element is written: no fill values first */
  H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
  fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, st->comm, MPI_INFO_NULL);
  H5E_BEGIN_TRY
  {
    file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    ok   = file >= 0;
    if (ok) {
      /* Every rank makes every call below (HDF5 metadata operations are collective). */
      ok &= AttrStr(file, "format", CKPT_FORMAT);
      ok &= AttrU64(file, "format_version", CKPT_VERSION, 1);
      ok &= AttrStr(file, "fingerprint", st->fingerprint);
      ok &= AttrStr(file, "options", st->options ? st->options : "");
      ok &= AttrStr(file, "glassy_version", PACKAGE_VERSION);
      ok &= AttrStr(file, "git_commit", GLASSY_GIT_COMMIT);
      ok &= AttrU64(file, "written_by_ranks", (uint64_t)size, 1);
      for (int i = 0; i < st->nscalars; i++) ok &= AttrU64(file, st->scalar_names[i], (uint64_t)*st->scalars[i], 1);
      grp = H5Gcreate2(file, "state", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      ok &= grp >= 0;
      for (int i = 0; i < st->ndatasets; i++) {
        const CheckpointDataset *d = &st->datasets[i];
        hid_t                    fs, ms, ds;
        uint64_t                 sum;
        if (d->spaces) d->spaces(d->ctx, &fs, &ms);
        else fs = ms = H5Screate_simple(d->ndims, d->dims, NULL);
        ds = H5Dcreate2(grp, d->name, d->filetype, fs, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        if (d->spaces) ok &= ds >= 0 && H5Dwrite(ds, d->memtype, ms, fs, xfer, d->data) >= 0;
        else if (rank == 0) ok &= ds >= 0 && H5Dwrite(ds, d->memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, d->data) >= 0;
        if (d->spaces) {
          sum = d->checksum(d->ctx);
          MPI_Allreduce(MPI_IN_PLACE, &sum, 1, MPI_UINT64_T, MPI_SUM, st->comm);
        } else sum = CheckpointChecksum(d->data, H5Tget_size(d->memtype), Elements(d));
        if (ds >= 0) {
          ok &= AttrU64(ds, "checksum", sum, 1);
          H5Dclose(ds);
        } else ok = 0;
        bytes += (double)Elements(d) * H5Tget_size(d->filetype);
        H5Sclose(fs);
        if (d->spaces) H5Sclose(ms);
      }
      if (grp >= 0) H5Gclose(grp);
      ok &= H5Fclose(file) >= 0;
    }
  }
  H5E_END_TRY;
  H5Pclose(fapl);
  H5Pclose(xfer);
  H5Pclose(dcpl);
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, st->comm));

  /* Only a complete, flushed file replaces the current generation, which becomes the previous. */
  {
    int  stage = 0; /* 0 ok, 1 write, 2 flush, 3 rename */
    char dir[PETSC_MAX_PATH_LEN], why[256] = "";
    if (!rank) {
      if (!ok) stage = 1;
      else if (!SyncPath(tmp)) stage = 2;
      if (!stage && access(st->path, F_OK) == 0 && rename(st->path, prev) != 0) stage = 3;
      if (!stage && rename(tmp, st->path) != 0) stage = 3;
      if (stage) snprintf(why, sizeof why, "%s", errno ? strerror(errno) : "write failed");
      if (stage) unlink(tmp);
      Directory(st->path, dir, sizeof dir);
      if (!stage) SyncPath(dir);
    }
    PetscCallMPI(MPI_Bcast(&stage, 1, MPI_INT, 0, st->comm));
    PetscCallMPI(MPI_Bcast(why, sizeof why, MPI_CHAR, 0, st->comm));
    GlassyCheck(stage == 0, st->comm, "-checkpoint %s: %s (%s); the previous checkpoint is unchanged", st->path, stage == 1 ? "writing the checkpoint failed" : stage == 2 ? "flushing the checkpoint to disk failed" : "renaming the checkpoint into place failed", why);
  }
  *bytes_out = bytes;
  *seconds   = MPI_Wtime() - t0;
  if (!st->quiet) PetscCall(PetscPrintf(st->comm, "glassy: checkpoint at sweep %" PetscInt64_FMT ": %.1f MB in %.2f s (%.0f MB/s) -> %s\n", (PetscInt64)*st->scalars[0], bytes / 1e6, *seconds, bytes / 1e6 / *seconds, st->path));
  PetscFunctionReturn(0);
}

/* Read and verify one generation into the state.  Collective; sets status and a reason. */
static PetscErrorCode ReadGeneration(CheckpointState *st, const char *path, CheckpointStatus *status, char *why, size_t len)
{
  int      rank, exists = 0, ok = 1;
  char     have[sizeof st->fingerprint], format[64];
  uint64_t version = 0, v[CHECKPOINT_MAX_SCALARS], sum, stored;
  hid_t    fapl, file = -1, grp = -1;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(st->comm, &rank));
  *status = CKPT_VALID;
  why[0]  = '\0';
  if (!rank) exists = access(path, F_OK) == 0;
  PetscCallMPI(MPI_Bcast(&exists, 1, MPI_INT, 0, st->comm));
  if (!exists) {
    *status = CKPT_MISSING;
    PetscFunctionReturn(0);
  }
  fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, st->comm, MPI_INFO_NULL);
  H5E_BEGIN_TRY
  {
    int have_scalars = 1;
    file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (file >= 0)
      for (int i = 0; i < st->nscalars; i++) have_scalars &= ReadAttrU64(file, st->scalar_names[i], &v[i]);
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
    } else if (strcmp(have, st->fingerprint)) {
      *status = CKPT_INCOMPATIBLE;
      FingerprintDifference(have, st->fingerprint, why, len);
    } else if (!have_scalars || (grp = H5Gopen2(file, "state", H5P_DEFAULT)) < 0) {
      *status = CKPT_DAMAGED;
      snprintf(why, len, "misses part of its state");
    } else {
      for (int i = 0; i < st->nscalars; i++) *st->scalars[i] = (int64_t)v[i];
      for (int i = 0; i < st->ndatasets && *status == CKPT_VALID; i++) {
        const CheckpointDataset *d  = &st->datasets[i];
        hid_t                    ds = H5Dopen2(grp, d->name, H5P_DEFAULT), s = ds >= 0 ? H5Dget_space(ds) : -1;
        hsize_t                  dims[GLASSY_MAX_DIM + 2] = {0};
        ok = s >= 0 && H5Sget_simple_extent_ndims(s) == d->ndims && H5Sget_simple_extent_dims(s, dims, NULL) >= 0 && !memcmp(dims, d->dims, sizeof(hsize_t) * d->ndims);
        if (d->spaces) {
          hid_t fs, ms, xfer = H5Pcreate(H5P_DATASET_XFER);
          H5Pset_dxpl_mpio(xfer, H5FD_MPIO_COLLECTIVE);
          d->spaces(d->ctx, &fs, &ms);
          MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, st->comm); /* all read, or none */
          ok = ok && H5Dread(ds, d->memtype, ms, fs, xfer, d->data) >= 0 && ReadAttrU64(ds, "checksum", &stored);
          sum = ok ? d->checksum(d->ctx) : 0;
          MPI_Allreduce(MPI_IN_PLACE, &sum, 1, MPI_UINT64_T, MPI_SUM, st->comm);
          MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, st->comm);
          ok = ok && sum == stored;
          H5Pclose(xfer);
          H5Sclose(fs);
          H5Sclose(ms);
        } else {
          ok = ok && H5Dread(ds, d->memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, d->data) >= 0 && ReadAttrU64(ds, "checksum", &stored) && CheckpointChecksum(d->data, H5Tget_size(d->memtype), Elements(d)) == stored;
          MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, st->comm);
        }
        if (!ok) {
          *status = CKPT_DAMAGED;
          snprintf(why, len, "dataset /state/%s fails its checksum or cannot be read", d->name);
        }
        if (s >= 0) H5Sclose(s);
        if (ds >= 0) H5Dclose(ds);
      }
    }
    if (grp >= 0) H5Gclose(grp);
    if (file >= 0) H5Fclose(file);
  }
  H5E_END_TRY;
  H5Pclose(fapl);
  { /* every rank must agree (a rank-local read failure counts for all) */
    int s = (int)*status;
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &s, 1, MPI_INT, MPI_MAX, st->comm));
    if (s != (int)*status && !why[0]) snprintf(why, len, "could not be read on every rank");
    *status = (CheckpointStatus)s;
    PetscCallMPI(MPI_Bcast(why, (int)len, MPI_CHAR, 0, st->comm));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode CheckpointStateRestore(CheckpointState *st, PetscBool *restored)
{
  char             paths[2][PETSC_MAX_PATH_LEN + 16], why[2][512];
  CheckpointStatus status[2];
  int64_t          sweeps[2] = {-1, -1};
  int              best = -1;

  PetscFunctionBeginUser;
  *restored = PETSC_FALSE;
  snprintf(paths[0], sizeof paths[0], "%s", st->path);
  snprintf(paths[1], sizeof paths[1], "%s.prev", st->path);
  for (int g = 0; g < 2; g++) {
    PetscCall(ReadGeneration(st, paths[g], &status[g], why[g], sizeof why[g]));
    if (status[g] == CKPT_VALID) sweeps[g] = *st->scalars[0];
    GlassyCheck(status[g] != CKPT_INCOMPATIBLE, st->comm, "-checkpoint %s: %s; refusing to continue from it (use another -checkpoint path for a different run)", paths[g], why[g]);
  }
  if (status[0] == CKPT_MISSING && status[1] == CKPT_MISSING) {
    PetscCall(PetscPrintf(st->comm, "glassy: -restart: no checkpoint at %s; starting a fresh run\n", st->path));
    PetscFunctionReturn(0);
  }
  for (int g = 0; g < 2; g++)
    if (status[g] == CKPT_VALID && (best < 0 || sweeps[g] > sweeps[best])) best = g;
  GlassyCheck(best >= 0, st->comm, "-restart: no valid checkpoint: %s %s; %s %s", paths[0], status[0] == CKPT_MISSING ? "is missing" : why[0], paths[1], status[1] == CKPT_MISSING ? "is missing" : why[1]);
  for (int g = 0; g < 2; g++)
    if (status[g] == CKPT_DAMAGED) PetscCall(PetscPrintf(st->comm, "glassy: warning: checkpoint %s %s; it is not used\n", paths[g], why[g]));
  /* The generation read last is in memory; read the chosen one again if it was not. */
  if (best == 0 && status[1] != CKPT_MISSING) PetscCall(ReadGeneration(st, paths[0], &status[0], why[0], sizeof why[0]));
  GlassyCheck(status[best] == CKPT_VALID, st->comm, "-restart: checkpoint %s changed while it was being read", paths[best]);
  *restored = PETSC_TRUE;
  PetscCall(PetscPrintf(st->comm, "glassy: -restart: continuing from %s at sweep %" PetscInt64_FMT "\n", paths[best], (PetscInt64)*st->scalars[0]));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------ the EA simulation's state */

/* The spins travel through a buffer in the file's order, [slot][owned site][W] (the memory
 * layout keeps the slots of a site together, which an HDF5 selection cannot reorder). */
typedef struct {
  Simulation *sim;
  uint64_t   *buf; /* [nslots][nlocal][W] */
} SpinsBuffer;

/* The buffer is kept by the simulation from the first checkpoint on (allocating and first touching
 * it each time cost as much as writing it). */
static PetscErrorCode SpinsBufferCreate(Simulation *sim, SpinsBuffer *sb)
{
  PetscFunctionBeginUser;
  sb->sim = sim;
  if (!sim->checkpoint_buffer) PetscCall(PetscMalloc1((int64_t)sim->nslots * sim->lat->nlocal * sim->W + 1, &sim->checkpoint_buffer));
  sb->buf = sim->checkpoint_buffer;
  PetscFunctionReturn(0);
}

/* pack: spins -> buffer; otherwise buffer -> spins.  A transposition in blocks of 64 sites: the
 * block's spins (64 x slots words) stay in cache while each slot's 64 x W words are written (or
 * read) as one run. */
static void SpinsBufferCopy(SpinsBuffer *sb, PetscBool pack)
{
  Simulation    *sim = sb->sim;
  const Lattice *lat = sim->lat;
  const int64_t  per_slot = lat->nlocal * sim->W;
  for (int64_t i0 = 0; i0 < lat->nlocal; i0 += 64) {
    const int64_t i1 = PetscMin(i0 + 64, lat->nlocal);
    for (int s = 0; s < sim->nslots; s++)
      for (int64_t i = i0; i < i1; i++)
        for (int w = 0; w < sim->W; w++) {
          uint64_t *x = sim->spins + SimulationSpinIndex(sim, s, lat->owned[i], w), *b = sb->buf + s * per_slot + i * sim->W + w;
          if (pack) *b = *x;
          else *x = *b;
        }
  }
}

static uint64_t SpinsChecksumLocal(void *ctx)
{
  const SpinsBuffer *sb  = (const SpinsBuffer *)ctx;
  const Simulation  *sim = sb->sim;
  const Lattice     *lat = sim->lat;
  const uint64_t    *b   = sb->buf;
  uint64_t           sum = 0;
  for (int s = 0; s < sim->nslots; s++)
    for (int64_t i = 0; i < lat->nlocal; i++) {
      const int64_t g = lat->global[lat->owned[i]];
      for (int w = 0; w < sim->W; w++) sum += HashElement((uint64_t)(((int64_t)s * lat->N + g) * sim->W + w), *b++);
    }
  return sum;
}

static uint64_t StructureFactorChecksumLocal(void *ctx)
{
  const Simulation *sim = (const Simulation *)ctx;
  const StructureFactor *sf = sim->sf;
  uint64_t               sum = 0;
  if (!sf || sf->local_n0 == 0) return 0;
  const int64_t plane = sf->nk_local / sf->local_n0, first = sf->local_0_start * plane;
  for (int t = 0; t < sim->nT; t++)
    for (int64_t k = 0; k < sf->nk_local; k++) sum += HashDouble((uint64_t)(t * sf->nk_global + first + k), sim->sf_sum[t * sf->nk_local + k]);
  return sum;
}

/* File and memory selections of this rank's part of /state/spins. */
static void SpinsSpaces(void *ctx, hid_t *filespace, hid_t *memspace)
{
  const Simulation *sim = ((const SpinsBuffer *)ctx)->sim;
  const Lattice    *lat = sim->lat;
  const int         d = lat->dim, nd = d + 2;
  hsize_t           fdims[GLASSY_MAX_DIM + 2], fstart[GLASSY_MAX_DIM + 2], count[GLASSY_MAX_DIM + 2];
  fdims[0] = count[0] = (hsize_t)sim->nslots;
  fstart[0] = 0;
  for (int j = 1; j <= d; j++) {
    const int k = d - j; /* dataset dimension j is lattice dimension k */
    fdims[j]  = (hsize_t)lat->L;
    fstart[j] = (hsize_t)lat->offset[k];
    count[j]  = (hsize_t)lat->nloc[k];
  }
  fdims[d + 1] = count[d + 1] = (hsize_t)sim->W;
  fstart[d + 1] = 0;
  *filespace = H5Screate_simple(nd, fdims, NULL);
  *memspace  = H5Screate_simple(nd, count, NULL); /* the whole buffer */
  H5Sselect_hyperslab(*filespace, H5S_SELECT_SET, fstart, NULL, count, NULL);
}

/* File and memory selections of this rank's slab of /state/sf_sum. */
static void StructureFactorSpaces(void *ctx, hid_t *filespace, hid_t *memspace)
{
  const Simulation *sim = (const Simulation *)ctx;
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

static PetscErrorCode EAFingerprint(const Simulation *sim, char *buf, size_t len)
{
  const GlassyOptions *o = sim->opt;
  size_t               n;
  PetscFunctionBeginUser;
  /* streams: the version of the random-number streams (2: RNG_UPDATE is ARS-7), first, so that a
   * checkpoint of an earlier version is named as such. */
  n = (size_t)snprintf(buf, len, "streams=2;model=%s;dim=%d;L=%d;couplings=%s;couplings_file_checksum=%016llx;seed=%lld;samples=%d;sample_offset=%d;replicas=%d;update=%s;equilibration_sweeps=%lld;measurement_sweeps=%lld;measure_interval=%d;pt_interval=%d;bins=%d;structure_factor=%d;temperatures=", GlassyModelNames[o->model], sim->lat->dim, sim->lat->L, o->couplings_file[0] ? "file" : GlassyCouplingsNames[o->couplings], (unsigned long long)sim->cpl->file_checksum, (long long)o->seed, (int)o->samples, (int)o->sample_offset, (int)o->replicas, GlassyUpdateNames[o->update], (long long)o->equilibration_sweeps, (long long)o->measurement_sweeps, (int)o->measure_interval, (int)o->pt_interval, (int)o->bins, (int)o->structure_factor);
  for (int t = 0; t < sim->nT && n < len; t++) n += (size_t)snprintf(buf + n, len - n, "%s%.17g", t ? "," : "", (double)o->temperatures[t]);
  PetscCheck(n < len, PETSC_COMM_SELF, PETSC_ERR_PLIB, "checkpoint fingerprint longer than %zu characters", len);
  PetscFunctionReturn(0);
}


/* The EA state: /state/spins uint64 [slots][L]...[L][W] (configurations; dataset dimensions run
 * x_{d-1} .. x_0), swap_accepts, the accumulators, and sf_sum [nT][L]...[L/2+1] with
 * -structure_factor. */
static PetscErrorCode EAState(Simulation *sim, SpinsBuffer *sb, CheckpointState *st)
{
  Accumulators *a = &sim->acc;
  const int     d = sim->lat->dim, L = sim->lat->L;
  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(st, sizeof *st));
  st->comm  = sim->comm;
  st->path  = sim->opt->checkpoint;
  st->options = sim->opt->command_line;
  st->quiet = sim->opt->quiet;
  PetscCall(EAFingerprint(sim, st->fingerprint, sizeof st->fingerprint));
  st->scalar_names[0] = "sweep";             st->scalars[0] = &sim->sweep;
  st->scalar_names[1] = "pt_steps";          st->scalars[1] = &sim->pt_steps;
  st->scalar_names[2] = "swap_attempts";     st->scalars[2] = &sim->swap_attempts;
  st->scalar_names[3] = "measurements_done"; st->scalars[3] = &a->done;
  st->scalar_names[4] = "sf_count";          st->scalars[4] = &sim->sf_count;
  st->nscalars        = 5;
  {
    CheckpointDataset *s = &st->datasets[st->ndatasets++];
    *s = (CheckpointDataset){.name = "spins", .memtype = H5T_NATIVE_UINT64, .filetype = H5T_STD_U64LE, .data = sb->buf, .ndims = d + 2, .spaces = SpinsSpaces, .checksum = SpinsChecksumLocal, .ctx = sb};
    s->dims[0] = (hsize_t)sim->nslots;
    for (int j = 1; j <= d; j++) s->dims[j] = (hsize_t)L;
    s->dims[d + 1] = (hsize_t)sim->W;
  }
  st->datasets[st->ndatasets++] = (CheckpointDataset){.name = "swap_accepts", .memtype = H5T_NATIVE_INT64, .filetype = H5T_STD_I64LE, .data = sim->swap_accepts, .ndims = 2, .dims = {(hsize_t)(sim->nT > 1 ? sim->nT - 1 : 1), (hsize_t)sim->lanes}};
  st->datasets[st->ndatasets++] = (CheckpointDataset){.name = "bin_sum", .memtype = H5T_NATIVE_DOUBLE, .filetype = H5T_IEEE_F64LE, .data = a->bin_sum, .ndims = 4, .dims = {(hsize_t)a->nobs, (hsize_t)a->nbins, (hsize_t)a->nT, (hsize_t)a->samples}};
  st->datasets[st->ndatasets++] = (CheckpointDataset){.name = "bin_count", .memtype = H5T_NATIVE_INT64, .filetype = H5T_STD_I64LE, .data = a->bin_count, .ndims = 1, .dims = {(hsize_t)a->nbins}};
  st->datasets[st->ndatasets++] = (CheckpointDataset){.name = "log_sum", .memtype = H5T_NATIVE_DOUBLE, .filetype = H5T_IEEE_F64LE, .data = a->log_sum, .ndims = 4, .dims = {(hsize_t)a->nobs, (hsize_t)a->nlog, (hsize_t)a->nT, (hsize_t)a->samples}};
  st->datasets[st->ndatasets++] = (CheckpointDataset){.name = "log_count", .memtype = H5T_NATIVE_INT64, .filetype = H5T_STD_I64LE, .data = a->log_count, .ndims = 1, .dims = {(hsize_t)a->nlog}};
  if (sim->sf) {
    CheckpointDataset *s = &st->datasets[st->ndatasets++];
    *s = (CheckpointDataset){.name = "sf_sum", .memtype = H5T_NATIVE_DOUBLE, .filetype = H5T_IEEE_F64LE, .data = sim->sf_sum, .ndims = d + 1, .spaces = StructureFactorSpaces, .checksum = StructureFactorChecksumLocal, .ctx = sim};
    s->dims[0] = (hsize_t)sim->nT;
    for (int j = 1; j <= d; j++) s->dims[j] = (hsize_t)(j == d ? L / 2 + 1 : L);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode CheckpointWrite(Simulation *sim)
{
  CheckpointState st;
  SpinsBuffer     sb;
  double          bytes, dt, t0 = MPI_Wtime();
  PetscFunctionBeginUser;
  PetscCall(SpinsBufferCreate(sim, &sb));
  SpinsBufferCopy(&sb, PETSC_TRUE);
  PetscCall(EAState(sim, &sb, &st));
  PetscCall(CheckpointStateWrite(&st, &bytes, &dt));
  dt = MPI_Wtime() - t0; /* with the copy */
  sim->checkpoints++;
  sim->checkpoint_bytes += bytes;
  sim->timer[TIMER_CHECKPOINT] += dt;
  PetscFunctionReturn(0);
}

PetscErrorCode CheckpointRestore(Simulation *sim, PetscBool *restored)
{
  CheckpointState st;
  SpinsBuffer     sb;
  PetscFunctionBeginUser;
  PetscCall(SpinsBufferCreate(sim, &sb));
  PetscCall(EAState(sim, &sb, &st));
  PetscCall(CheckpointStateRestore(&st, restored));
  if (*restored) SpinsBufferCopy(&sb, PETSC_FALSE);
  if (*restored) {
    PetscCall(HaloExchangeAll(sim->halo));
    sim->energy_sweep = -1;
  }
  PetscFunctionReturn(0);
}
