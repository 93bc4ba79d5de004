/* The files of a campaign (doc/campaigns.md), all handled by rank 0 with serial HDF5:
 *   output_dir/tasks/L8/s000064-000127.h5       results of one task (written by its group)
 *   output_dir/tasks/L8/s000064-000127.ckpt.h5  its checkpoint while it is unfinished
 *   output_dir/index.h5                          the state of every task, for people
 *   output_dir/results.h5                        the merged results, when every task is done
 * The index and the merged results are written as PATH.tmp-PID and renamed into place. */
#include "campaign.h"
#include "errors.h"
#include "h5util.h"
#include "config.h"
#include "build-info.h"

#include <hdf5.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const CampaignTaskStateNames[] = {"pending", "running", "interrupted", "done"};

static char SizeLetter(const CampaignSpec *spec) { return spec->model == MODEL_SK ? 'N' : 'L'; }

void CampaignTaskPaths(const CampaignSpec *spec, const CampaignTask *t, char *output, char *checkpoint, size_t len)
{
  snprintf(output, len, "%s/tasks/%c%" PetscInt_FMT "/s%06" PetscInt_FMT "-%06" PetscInt_FMT ".h5", spec->dir, SizeLetter(spec), spec->size[t->s], t->first, t->first + t->count - 1);
  snprintf(checkpoint, len, "%s/tasks/%c%" PetscInt_FMT "/s%06" PetscInt_FMT "-%06" PetscInt_FMT ".ckpt.h5", spec->dir, SizeLetter(spec), spec->size[t->s], t->first, t->first + t->count - 1);
}

static PetscErrorCode MakeDir(const char *path)
{
  PetscFunctionBeginUser;
  if (mkdir(path, 0777) && errno != EEXIST) SETERRQ(PETSC_COMM_SELF, GLASSY_ERR_INPUT, "output_dir: cannot create %s (%s)", path, strerror(errno));
  PetscFunctionReturn(0);
}

PetscErrorCode CampaignMakeDirs(const CampaignSpec *spec)
{
  char path[PETSC_MAX_PATH_LEN + 64];
  PetscFunctionBeginUser;
  PetscCall(MakeDir(spec->dir));
  snprintf(path, sizeof path, "%s/tasks", spec->dir);
  PetscCall(MakeDir(path));
  for (int s = 0; s < spec->nsizes; s++) {
    snprintf(path, sizeof path, "%s/tasks/%c%" PetscInt_FMT, spec->dir, SizeLetter(spec), spec->size[s]);
    PetscCall(MakeDir(path));
  }
  snprintf(path, sizeof path, "%s/tasks/.writable", spec->dir);
  {
    FILE *f = fopen(path, "w");
    PetscCheck(f, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "output_dir %s: cannot write there (%s)", spec->dir, strerror(errno));
    fclose(f);
    unlink(path);
  }
  PetscFunctionReturn(0);
}

static int FileExists(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0;
}

/* A string attribute of `loc` (malloc'ed), or NULL. */
static char *ReadStringAttr(hid_t loc, const char *name)
{
  char *s = NULL;
  if (H5Aexists(loc, name) > 0) {
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT), t = H5Aget_type(a);
    if (H5Tget_class(t) == H5T_STRING && !H5Tis_variable_str(t)) {
      size_t n = H5Tget_size(t);
      s        = calloc(n + 1, 1);
      if (s && H5Aread(a, t, s) < 0) {
        free(s);
        s = NULL;
      }
    }
    H5Tclose(t);
    H5Aclose(a);
  }
  return s;
}

/* Remove the options that name a task's files, and the checkpoint interval, from an options
 * string ("-output PATH"; a value ends where the next option starts): neither changes results,
 * and so a campaign directory may be moved and its checkpoint interval changed. */
static void StripFiles(char *s)
{
  static const char *const keys[] = {"-output ", "-checkpoint ", "-checkpoint_interval ", NULL};
  for (int k = 0; keys[k]; k++) {
    char *p = strstr(s, keys[k]);
    while (p && p != s && p[-1] != ' ') p = strstr(p + 1, keys[k]);
    if (p) {
      char *end = strstr(p + strlen(keys[k]), " -");
      memmove(p, end ? end + 1 : p + strlen(p), strlen(end ? end + 1 : p + strlen(p)) + 1);
    }
  }
}

/* Whether the HDF5 file at path was written with the run options `want` (up to the task's files):
 * 1 yes, 0 no, -1 the file cannot be read, 2 it records no options (a checkpoint of an older glassy). */
static int SameOptions(const char *path, const char *want)
{
  hid_t f;
  char *have, *copy;
  int   same;
  H5E_BEGIN_TRY { f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); }
  H5E_END_TRY;
  if (f < 0) return -1;
  have = ReadStringAttr(f, "options");
  H5Fclose(f);
  if (!have) return -1;
  if (!have[0]) {
    free(have);
    return 2;
  }
  copy = strdup(want);
  if (!copy) {
    free(have);
    return -1;
  }
  StripFiles(have);
  StripFiles(copy);
  same = !strcmp(have, copy);
  free(have);
  free(copy);
  return same;
}

PetscErrorCode CampaignScan(const CampaignSpec *spec, CampaignTask *task, int ntasks)
{
  char out[PETSC_MAX_PATH_LEN + 64], ckpt[PETSC_MAX_PATH_LEN + 64], prev[PETSC_MAX_PATH_LEN + 80];
  PetscFunctionBeginUser;
  for (int i = 0; i < ntasks; i++) {
    CampaignTask *t = &task[i];
    GlassyOptions o;
    int           done, interrupted;
    CampaignTaskPaths(spec, t, out, ckpt, sizeof out);
    snprintf(prev, sizeof prev, "%s.prev", ckpt);
    t->state    = TASK_PENDING;
    done        = FileExists(out);
    interrupted = !done && (FileExists(ckpt) || FileExists(prev));
    if (!done && !interrupted) continue;
    /* A file of this task must come from the run options the campaign file now gives it:
     * anything else would mix two campaigns. */
    PetscCall(OptionsCampaignTask(PETSC_COMM_SELF, spec, t->s, t->first, t->count, out, ckpt, &o));
    if (done) {
      int same = SameOptions(out, o.command_line);
      PetscCheck(same >= 0, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "-restart: %s exists but is not a readable glassy results file; move it away to run the task again", out);
      PetscCheck(same, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "-restart: %s holds results of different run options than the campaign file %s now gives for it; restore the file or choose another output_dir", out, spec->file);
      t->state    = TASK_DONE;
      t->progress = 1;
      unlink(ckpt); /* a run killed between its results and this clean-up */
      unlink(prev);
    } else {
      /* The newest readable generation decides; a damaged one is left to the restore. */
      int same = FileExists(ckpt) ? SameOptions(ckpt, o.command_line) : -1;
      if (same < 0 && FileExists(prev)) same = SameOptions(prev, o.command_line);
      PetscCheck(same != 0, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "-restart: the checkpoint %s was written with different run options than the campaign file %s now gives for its task; restore the file or choose another output_dir", ckpt, spec->file);
      t->state = TASK_INTERRUPTED;
    }
    PetscCall(OptionsDestroy(&o));
  }
  PetscFunctionReturn(0);
}

int CampaignSync(const char *path)
{
  int fd = open(path, O_RDONLY), r;
  if (fd < 0) return 1;
  r = fsync(fd);
  close(fd);
  return r != 0;
}

/* Create PATH.tmp-PID for writing; `tmp` receives its name. */
static PetscErrorCode CreateTemp(const char *path, char *tmp, size_t len, hid_t *file)
{
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  PetscFunctionBeginUser;
  snprintf(tmp, len, "%s.tmp-%ld", path, (long)getpid());
  H5E_BEGIN_TRY { *file = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT); }
  H5E_END_TRY;
  H5Pclose(fcpl);
  PetscCheck(*file >= 0, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "cannot create %s", tmp);
  PetscFunctionReturn(0);
}

static PetscErrorCode FinishTemp(const char *path, const char *tmp, hid_t file, int failed)
{
  PetscFunctionBeginUser;
  if (H5Fclose(file) < 0) failed = 1;
  if (!failed) failed = CampaignSync(tmp);
  if (failed) {
    unlink(tmp);
    SETERRQ(PETSC_COMM_SELF, GLASSY_ERR_INPUT, "cannot write %s", path);
  }
  if (rename(tmp, path)) {
    int err = errno;
    unlink(tmp);
    SETERRQ(PETSC_COMM_SELF, GLASSY_ERR_INPUT, "cannot rename %s to %s (%s)", tmp, path, strerror(err));
  }
  PetscFunctionReturn(0);
}

/* A 1-D dataset of n values of memory type `type`, with a description; returns <0 on failure. */
static herr_t Write1D(hid_t loc, const char *name, hid_t type, hsize_t n, const void *data, const char *description)
{
  hid_t  sp = H5Screate_simple(1, &n, NULL), d;
  herr_t r;
  d = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (d < 0) {
    H5Sclose(sp);
    return -1;
  }
  r = n ? H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : 0;
  HDF5AttrString(d, "description", description);
  H5Dclose(d);
  H5Sclose(sp);
  return r;
}

static void RootAttributes(const CampaignSpec *spec, hid_t f)
{
  HDF5AttrString(f, "program", "glassy");
  HDF5AttrString(f, "version", PACKAGE_VERSION);
  HDF5AttrString(f, "git_commit", GLASSY_GIT_COMMIT);
  HDF5AttrString(f, "campaign_file", spec->file);
  HDF5AttrString(f, "campaign", spec->text ? spec->text : "");
  HDF5AttrString(f, "model", GlassyModelNames[spec->model]);
  HDF5AttrString(f, "size_name", spec->model == MODEL_SK ? "N" : "L");
}

PetscErrorCode CampaignWriteIndex(const CampaignSpec *spec, const CampaignTask *task, int ntasks, double elapsed)
{
  char      path[PETSC_MAX_PATH_LEN + 64], tmp[PETSC_MAX_PATH_LEN + 96];
  hid_t     f, g;
  int       failed = 0;
  long long *iv;
  double    *dv;
  PetscFunctionBeginUser;
  if (spec->parts > 1) snprintf(path, sizeof path, "%s/index-part%" PetscInt_FMT "of%" PetscInt_FMT ".h5", spec->dir, spec->part, spec->parts);
  else snprintf(path, sizeof path, "%s/index.h5", spec->dir);
  PetscCall(PetscMalloc2(ntasks + 1, &iv, ntasks + 1, &dv));
  PetscCall(CreateTemp(path, tmp, sizeof tmp, &f));
  RootAttributes(spec, f);
  HDF5AttrInt(f, "part", spec->part);
  HDF5AttrInt(f, "parts", spec->parts);
  {
    long long n[4] = {0, 0, 0, 0};
    for (int i = 0; i < ntasks; i++)
      if (task[i].part == spec->part || spec->merge) n[task[i].state]++;
    HDF5AttrInt(f, "tasks_pending", n[TASK_PENDING]);
    HDF5AttrInt(f, "tasks_running", n[TASK_RUNNING]);
    HDF5AttrInt(f, "tasks_interrupted", n[TASK_INTERRUPTED]);
    HDF5AttrInt(f, "tasks_done", n[TASK_DONE]);
  }
  HDF5AttrDouble(f, "elapsed_seconds", elapsed);
  g = H5Gcreate2(f, "tasks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) failed = 1;
  else {
    static const struct {
      const char *name, *description;
    } cols[] = {
      {"size", "L (EA) or N (SK) of each task"},
      {"first_sample", "index of the task's first sample"},
      {"samples", "number of samples of the task"},
      {"ranks", "ranks of the worker group that runs it"},
      {"part", "job-array part (-campaign_part) the task belongs to"},
      {"state", "0 pending, 1 running, 2 interrupted (continues from its checkpoint), 3 done"},
      {"progress", "fraction of the task's sweeps done, as last reported"},
      {"attempts", "spin-flip attempts of the whole task"},
      {"seconds", "wall seconds this job spent on the task (0 if it ran in another job)"},
    };
    for (int k = 0; k < (int)(sizeof cols / sizeof *cols); k++) {
      const int integer = k < 6; /* the first six columns are integers */
      for (int i = 0; i < ntasks; i++) {
        const CampaignTask *t = &task[i];
        const double        v[] = {(double)spec->size[t->s], (double)t->first, (double)t->count, t->ranks, t->part, t->state, t->progress, t->cost, t->seconds};
        if (integer) iv[i] = (long long)v[k];
        else dv[i] = v[k];
      }
      failed |= Write1D(g, cols[k].name, integer ? H5T_NATIVE_LLONG : H5T_NATIVE_DOUBLE, ntasks, integer ? (void *)iv : (void *)dv, cols[k].description) < 0;
    }
    H5Gclose(g);
  }
  PetscCall(PetscFree2(iv, dv));
  PetscCall(FinishTemp(path, tmp, f, failed));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------ merged results */

typedef enum { MERGE_SKIP, MERGE_COPY, MERGE_CONCAT } MergeRule;

/* How a dataset of a task's results enters the merged file: per-sample data are concatenated
 * over the tasks of a size, in sample order; what every task shares is copied; batch averages
 * (structure factor, the Gaussian link check) are left out: recompute them from the samples. */
static MergeRule Rule(const char *name)
{
  static const char *const copy[] = {"temperatures", "observables/pq_q", "logbins/sweep_first", "logbins/sweep_last", "logbins/measurements", NULL};
  for (int i = 0; copy[i]; i++)
    if (!strcmp(name, copy[i])) return MERGE_COPY;
  if (!strcmp(name, "observables/structure_factor")) return MERGE_SKIP; /* a batch average */
  if (!strncmp(name, "observables/", 12) || !strncmp(name, "logbins/", 8) || !strcmp(name, "pt/swap_acceptance")) return MERGE_CONCAT;
  return MERGE_SKIP;
}

/* Root attributes of a task that describe the size, not the task or the run's timing. */
static int KeepAttribute(const char *name)
{
  static const char *const drop[] = {"options", "mpi_ranks", "rank_grid", "samples", "sample_offset", "measurements", "wall_seconds", "restarted_at_sweep", "checkpoints_written", "checkpoint_bytes", "checkpoint_seconds", "checkpoint_MB_per_s", "memory_per_rank_bytes", "kernel", "build_flags", "git_commit", "version", "program", NULL};
  if (strstr(name, "seconds") || strstr(name, "per_spin_flip")) return 0;
  for (int i = 0; drop[i]; i++)
    if (!strcmp(name, drop[i])) return 0;
  return 1;
}

typedef struct {
  char   names[64][64];
  int    n;
} NameList;

static herr_t CollectDataset(hid_t obj, const char *name, const H5O_info_t *info, void *ctx)
{
  NameList *l = ctx;
  (void)obj;
  if (info->type == H5O_TYPE_DATASET && l->n < 64 && strlen(name) < 64) strcpy(l->names[l->n++], name);
  return 0;
}

static herr_t CopyAttr(hid_t loc, const char *name, const H5A_info_t *info, void *dst)
{
  hid_t a, t, sp, b;
  void *buf;
  (void)info;
  if (!KeepAttribute(name) || H5Aexists(*(hid_t *)dst, name) > 0) return 0;
  a   = H5Aopen(loc, name, H5P_DEFAULT);
  t   = H5Aget_type(a);
  sp  = H5Aget_space(a);
  buf = calloc((size_t)H5Sget_simple_extent_npoints(sp) * H5Tget_size(t) + 1, 1);
  if (buf && H5Aread(a, t, buf) >= 0) {
    b = H5Acreate2(*(hid_t *)dst, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(b, t, buf);
    H5Aclose(b);
  }
  free(buf);
  H5Sclose(sp);
  H5Tclose(t);
  H5Aclose(a);
  return 0;
}

/* Read a whole dataset of doubles; dims receives its shape. */
static PetscErrorCode ReadDoubles(hid_t f, const char *file, const char *name, int *ndims, hsize_t dims[8], double **data)
{
  hid_t d, sp;
  PetscFunctionBeginUser;
  H5E_BEGIN_TRY { d = H5Dopen2(f, name, H5P_DEFAULT); }
  H5E_END_TRY;
  PetscCheck(d >= 0, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "%s: no dataset %s", file, name);
  sp     = H5Dget_space(d);
  *ndims = H5Sget_simple_extent_ndims(sp);
  PetscCheck(*ndims >= 1 && *ndims <= 8, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "%s: dataset %s has %d dimensions", file, name, *ndims);
  H5Sget_simple_extent_dims(sp, dims, NULL);
  PetscCall(PetscMalloc1(H5Sget_simple_extent_npoints(sp) + 1, data));
  PetscCheck(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *data) >= 0, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "%s: cannot read %s", file, name);
  H5Sclose(sp);
  H5Dclose(d);
  PetscFunctionReturn(0);
}

/* The description attribute of dataset `name` in f, copied to dataset `dst`. */
static void CopyDescription(hid_t f, const char *name, hid_t dst)
{
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  char *s = ReadStringAttr(d, "description");
  if (s) HDF5AttrString(dst, "description", s);
  free(s);
  H5Dclose(d);
}

/* Make the groups on the way to `name` under loc. */
static void MakeGroups(hid_t loc, const char *name)
{
  char path[128];
  for (const char *p = strchr(name, '/'); p; p = strchr(p + 1, '/')) {
    snprintf(path, sizeof path, "%.*s", (int)(p - name), name);
    if (H5Lexists(loc, path, H5P_DEFAULT) <= 0) H5Gclose(H5Gcreate2(loc, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  }
}

/* Merge the tasks of size s (in sample order) into the group g. */
static PetscErrorCode MergeSize(const CampaignSpec *spec, const CampaignTask *task, int ntasks, int s, hid_t g)
{
  char      out[PETSC_MAX_PATH_LEN + 64], ckpt[PETSC_MAX_PATH_LEN + 64], first_file[PETSC_MAX_PATH_LEN + 64] = "";
  int       n = 0, *idx;
  hid_t     f0 = -1;
  NameList *names;
  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(ntasks, &idx));
  PetscCall(PetscNew(&names));
  for (int i = 0; i < ntasks; i++) /* CampaignRun makes the tasks size by size, in sample order */
    if (task[i].s == s) idx[n++] = i;
  CampaignTaskPaths(spec, &task[idx[0]], first_file, ckpt, sizeof first_file);
  H5E_BEGIN_TRY { f0 = H5Fopen(first_file, H5F_ACC_RDONLY, H5P_DEFAULT); }
  H5E_END_TRY;
  PetscCheck(f0 >= 0, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "cannot open %s", first_file);
  H5Aiterate2(f0, H5_INDEX_NAME, H5_ITER_INC, NULL, CopyAttr, &g);
  HDF5AttrInt(g, "samples", spec->samples[s]);
  HDF5AttrInt(g, "sample_offset", 0);
  HDF5AttrInt(g, "tasks", n);
  HDF5AttrInt(g, "ranks_per_group", spec->ranks[s]);
  HDF5AttrInt(g, "batch", spec->batch[s]);
  H5Ovisit2(f0, H5_INDEX_NAME, H5_ITER_INC, CollectDataset, names, H5O_INFO_BASIC);
  for (int k = 0; k < names->n; k++) {
    const char *name = names->names[k];
    MergeRule   rule = Rule(name);
    int         nd;
    hsize_t     dims[8], total[8];
    double     *data, *all;
    hid_t       sp, d;
    if (rule == MERGE_SKIP) continue;
    PetscCall(ReadDoubles(f0, first_file, name, &nd, dims, &data));
    memcpy(total, dims, sizeof dims);
    all = data;
    if (rule == MERGE_CONCAT) {
      size_t row = 1, at = 0;
      for (int j = 1; j < nd; j++) row *= dims[j];
      total[0] = (hsize_t)spec->samples[s];
      PetscCall(PetscMalloc1(total[0] * row + 1, &all));
      for (int a = 0; a < n; a++) {
        const CampaignTask *t = &task[idx[a]];
        hid_t               f;
        int                 nd2;
        hsize_t             dims2[8];
        double             *part;
        CampaignTaskPaths(spec, t, out, ckpt, sizeof out);
        H5E_BEGIN_TRY { f = a ? H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT) : f0; }
        H5E_END_TRY;
        PetscCheck(f >= 0, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "cannot open %s", out);
        PetscCall(ReadDoubles(f, out, name, &nd2, dims2, &part));
        if (a) H5Fclose(f);
        PetscCheck(nd2 == nd && dims2[0] == (hsize_t)t->count, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "%s: %s has %llu rows for %" PetscInt_FMT " samples", out, name, (unsigned long long)dims2[0], t->count);
        for (int j = 1; j < nd; j++) PetscCheck(dims2[j] == dims[j], PETSC_COMM_SELF, GLASSY_ERR_INPUT, "%s: %s has a different shape than in %s", out, name, first_file);
        PetscCheck(at + (size_t)t->count <= total[0], PETSC_COMM_SELF, PETSC_ERR_PLIB, "merging %s: too many samples", name);
        memcpy(all + at * row, part, (size_t)t->count * row * sizeof(double));
        at += (size_t)t->count;
        PetscCall(PetscFree(part));
      }
      PetscCheck(at == total[0], PETSC_COMM_SELF, GLASSY_ERR_INPUT, "merging %s: the tasks hold %zu of the %llu samples", name, at, (unsigned long long)total[0]);
      PetscCall(PetscFree(data));
    }
    MakeGroups(g, name);
    sp = H5Screate_simple(nd, total, NULL);
    d  = H5Dcreate2(g, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    PetscCheck(d >= 0 && H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, all) >= 0, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "cannot write %s of size %" PetscInt_FMT, name, spec->size[s]);
    CopyDescription(f0, name, d);
    H5Dclose(d);
    H5Sclose(sp);
    PetscCall(PetscFree(all));
  }
  { /* /pt's tempering_steps */
    hid_t p0 = -1, p1 = -1;
    H5E_BEGIN_TRY {
      p0 = H5Gopen2(f0, "pt", H5P_DEFAULT);
      p1 = H5Gopen2(g, "pt", H5P_DEFAULT);
    }
    H5E_END_TRY;
    if (p0 >= 0 && p1 >= 0) H5Aiterate2(p0, H5_INDEX_NAME, H5_ITER_INC, NULL, CopyAttr, &p1);
    if (p0 >= 0) H5Gclose(p0);
    if (p1 >= 0) H5Gclose(p1);
  }
  H5Fclose(f0);
  PetscCall(PetscFree(names));
  PetscCall(PetscFree(idx));
  PetscFunctionReturn(0);
}

PetscErrorCode CampaignMerge(const CampaignSpec *spec, const CampaignTask *task, int ntasks)
{
  char           path[PETSC_MAX_PATH_LEN + 64], tmp[PETSC_MAX_PATH_LEN + 96];
  hid_t          f;
  PetscErrorCode e = 0;
  long long      sizes[CAMPAIGN_MAX_SIZES];
  PetscFunctionBeginUser;
  for (int i = 0; i < ntasks; i++) {
    char out[PETSC_MAX_PATH_LEN + 64], ckpt[PETSC_MAX_PATH_LEN + 64];
    CampaignTaskPaths(spec, &task[i], out, ckpt, sizeof out);
    PetscCheck(task[i].state == TASK_DONE, PETSC_COMM_SELF, GLASSY_ERR_INPUT, "cannot merge: task %s is %s (run the campaign, or its missing parts, with -restart first)", out, CampaignTaskStateNames[task[i].state]);
  }
  snprintf(path, sizeof path, "%s/results.h5", spec->dir);
  PetscCall(CreateTemp(path, tmp, sizeof tmp, &f));
  RootAttributes(spec, f);
  for (int s = 0; s < spec->nsizes; s++) sizes[s] = spec->size[s];
  {
    hsize_t n  = (hsize_t)spec->nsizes;
    hid_t   sp = H5Screate_simple(1, &n, NULL), a = H5Acreate2(f, "sizes", H5T_NATIVE_LLONG, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_LLONG, sizes);
    H5Aclose(a);
    H5Sclose(sp);
  }
  for (int s = 0; s < spec->nsizes && !e; s++) {
    char  name[32];
    hid_t g;
    snprintf(name, sizeof name, "%c%" PetscInt_FMT, SizeLetter(spec), spec->size[s]);
    g = H5Gcreate2(f, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    e = g < 0 ? PETSC_ERR_FILE_WRITE : MergeSize(spec, task, ntasks, s, g);
    if (g >= 0) H5Gclose(g);
  }
  if (e) {
    H5Fclose(f);
    unlink(tmp);
    PetscCall(e);
  }
  PetscCall(FinishTemp(path, tmp, f, 0));
  PetscFunctionReturn(0);
}
