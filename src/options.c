/* OptionsProcess: the one place where options are read.  Every value is validated here, with an
 * error that names the option and the value; the checks run identically on every rank. */
#include "options.h"
#include "campaign.h"
#include "errors.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

const char *const GlassyModelNames[]     = {"ea", "sk", "GlassyModel", "MODEL_", NULL};
const char *const GlassyCouplingsNames[] = {"gaussian", "bimodal", "GlassyCouplings", "COUPLINGS_", NULL};
const char *const GlassyUpdateNames[]    = {"metropolis", "heatbath", "GlassyUpdate", "UPDATE_", NULL};
const char *const GlassyKernelNames[]    = {"auto", "multispin", "reference", "GlassyKernel", "KERNEL_", NULL};

/* Options that PETSc itself reads; anything else not used by glassy is a typo. */
static const char *const petsc_prefixes[] = {"help", "options_", "log", "malloc", "info", "on_error", "no_signal_handler", "fp_trap", "check_pointer_intensity", "viewer", "memory_view", "objects_dump", "skip_petscrc", "yaml", "error_output", "history", "use_gpu", "device_", "mpi_", "nox", "display", "v", "version", NULL};

static PetscBool IsPetscOption(const char *name)
{
  for (int i = 0; petsc_prefixes[i]; i++) {
    size_t n = strlen(petsc_prefixes[i]);
    if (!strncmp(name, petsc_prefixes[i], n)) {
      if (petsc_prefixes[i][n - 1] == '_' || name[n] == '\0' || name[n] == '_') return PETSC_TRUE;
    }
  }
  return PETSC_FALSE;
}

/* Parse a 64-bit unsigned decimal; returns 0 on success. */
static int ParseU64(const char *s, unsigned long long *v)
{
  char *end;
  if (!s || !*s || *s == '-') return 1;
  errno = 0;
  *v    = strtoull(s, &end, 10);
  return errno || *end != '\0';
}

static PetscErrorCode ReadTemperatures(MPI_Comm comm, GlassyOptions *opt)
{
  PetscBool set_list, set_min, set_max, set_n;
  PetscReal tmin = 0.9, tmax = 2.0;
  PetscInt  n    = GLASSY_MAX_TEMPS + 1; /* one more, to notice a list that is too long */
  PetscInt  nt   = 8;

  PetscFunctionBeginUser;
  PetscOptionsBegin(comm, NULL, "Temperatures (either a list or a geometric ladder)", NULL);
  GlassyCallNamed(comm, "-temperatures", PetscOptionsRealArray("-temperatures", "Comma-separated increasing temperatures t1,t2,...", NULL, opt->temperatures, &n, &set_list));
  GlassyCallNamed(comm, "-tmin", PetscOptionsReal("-tmin", "Lowest temperature of the geometric ladder", NULL, tmin, &tmin, &set_min));
  GlassyCallNamed(comm, "-tmax", PetscOptionsReal("-tmax", "Highest temperature of the geometric ladder", NULL, tmax, &tmax, &set_max));
  GlassyCallNamed(comm, "-ntemps", PetscOptionsInt("-ntemps", "Number of temperatures of the geometric ladder", NULL, nt, &nt, &set_n));
  PetscOptionsEnd();

  if (set_list) {
    GlassyCheck(!(set_min || set_max || set_n), comm, "-temperatures: give either -temperatures or -tmin/-tmax/-ntemps, not both");
    GlassyCheck(n >= 1, comm, "-temperatures: the list is empty");
    GlassyCheck(n <= GLASSY_MAX_TEMPS, comm, "-temperatures: more than %d values", GLASSY_MAX_TEMPS);
    for (PetscInt i = 0; i < n; i++) {
      GlassyCheck(opt->temperatures[i] > 0 && PetscIsNormalReal(opt->temperatures[i]), comm, "-temperatures: value %.6g at position %" PetscInt_FMT " is not a positive number", (double)opt->temperatures[i], i + 1);
      if (i) GlassyCheck(opt->temperatures[i] > opt->temperatures[i - 1], comm, "-temperatures: values must increase strictly, but %.6g follows %.6g", (double)opt->temperatures[i], (double)opt->temperatures[i - 1]);
    }
    opt->ntemps = n;
  } else {
    GlassyCheck(nt >= 1 && nt <= GLASSY_MAX_TEMPS, comm, "-ntemps %" PetscInt_FMT ": must be between 1 and %d", nt, GLASSY_MAX_TEMPS);
    GlassyCheck(tmin > 0 && PetscIsNormalReal(tmin), comm, "-tmin %.6g: must be a positive temperature", (double)tmin);
    GlassyCheck(tmax > 0 && PetscIsNormalReal(tmax), comm, "-tmax %.6g: must be a positive temperature", (double)tmax);
    GlassyCheck(nt == 1 || tmax > tmin, comm, "-tmax %.6g: must be above -tmin %.6g", (double)tmax, (double)tmin);
    opt->ntemps = nt;
    for (PetscInt i = 0; i < nt; i++) opt->temperatures[i] = nt == 1 ? tmin : tmin * PetscPowReal(tmax / tmin, (PetscReal)i / (PetscReal)(nt - 1));
    opt->temperatures[nt - 1] = nt == 1 ? tmin : tmax; /* exact end points */
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckUnusedOptions(MPI_Comm comm)
{
  PetscInt n;
  char   **names, **values;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsLeftGet(NULL, &n, &names, &values));
  for (PetscInt i = 0; i < n; i++) {
    if (IsPetscOption(names[i])) continue;
    SETERRQ(comm, GLASSY_ERR_INPUT, "-%s %s: unknown option (glassy -help lists them all)", names[i], values[i] ? values[i] : "");
  }
  PetscCall(PetscOptionsLeftRestore(NULL, &n, &names, &values));
  PetscFunctionReturn(0);
}

PetscErrorCode OptionsProcess(MPI_Comm comm, GlassyOptions *opt)
{
  PetscInt  model = MODEL_EA, couplings = COUPLINGS_BIMODAL, update = UPDATE_METROPOLIS, kernel = KERNEL_AUTO;
  PetscInt  eq = 1024, meas = 1024;
  char      seed[64] = "1";
  PetscBool help;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(opt, sizeof *opt));
  opt->dim               = 3;
  opt->L                 = 8;
  opt->samples           = 64;
  opt->sample_offset     = 0;
  opt->replicas          = 2;
  opt->measure_interval  = 10;
  opt->pt_interval       = 10;
  opt->bins              = 16;
  opt->progress_interval = 10.0;
  opt->checkpoint_interval = 1800.0;
  PetscCall(PetscStrcpy(opt->output, "glassy.h5"));

  PetscOptionsBegin(comm, NULL, "glassy: Monte Carlo for spin glasses", NULL);
  GlassyCallNamed(comm, "-model", PetscOptionsEList("-model", "Model: Edwards-Anderson lattice or Sherrington-Kirkpatrick", NULL, GlassyModelNames, 2, GlassyModelNames[model], &model, NULL));
  GlassyCallNamed(comm, "-dim", PetscOptionsInt("-dim", "Lattice dimension (2, 3 or 4)", NULL, opt->dim, &opt->dim, NULL));
  GlassyCallNamed(comm, "-L", PetscOptionsInt("-L", "Linear lattice size (even, >= 2)", NULL, opt->L, &opt->L, NULL));
  GlassyCallNamed(comm, "-N", PetscOptionsInt("-N", "Number of spins of the SK model (>= 2)", NULL, opt->N, &opt->N, NULL));
  GlassyCallNamed(comm, "-couplings", PetscOptionsEList("-couplings", "Coupling distribution", NULL, GlassyCouplingsNames, 2, GlassyCouplingsNames[couplings], &couplings, NULL));
  GlassyCallNamed(comm, "-couplings_file", PetscOptionsString("-couplings_file", "Load the instance from an edge list (.txt) or HDF5 (.h5) file", NULL, opt->couplings_file, opt->couplings_file, sizeof opt->couplings_file, NULL));
  GlassyCallNamed(comm, "-export_couplings", PetscOptionsString("-export_couplings", "Write each sample's couplings to this path (.h5 for HDF5, else text; %d is replaced by the sample index)", NULL, opt->export_couplings, opt->export_couplings, sizeof opt->export_couplings, NULL));
  GlassyCallNamed(comm, "-seed", PetscOptionsString("-seed", "Random seed (0 to 4294967295)", NULL, seed, seed, sizeof seed, NULL));
  GlassyCallNamed(comm, "-samples", PetscOptionsInt("-samples", "Disorder samples simulated together (one lane each)", NULL, opt->samples, &opt->samples, NULL));
  GlassyCallNamed(comm, "-sample_offset", PetscOptionsInt("-sample_offset", "Index of the first sample", NULL, opt->sample_offset, &opt->sample_offset, NULL));
  GlassyCallNamed(comm, "-replicas", PetscOptionsInt("-replicas", "Independent replicas per temperature", NULL, opt->replicas, &opt->replicas, NULL));
  GlassyCallNamed(comm, "-update", PetscOptionsEList("-update", "Single-spin update", NULL, GlassyUpdateNames, 2, GlassyUpdateNames[update], &update, NULL));
  GlassyCallNamed(comm, "-kernel", PetscOptionsEList("-kernel", "Sweep kernel (auto: multispin where it applies)", NULL, GlassyKernelNames, 3, GlassyKernelNames[kernel], &kernel, NULL));
  GlassyCallNamed(comm, "-equilibration_sweeps", PetscOptionsInt("-equilibration_sweeps", "Sweeps before measurements start", NULL, eq, &eq, NULL));
  GlassyCallNamed(comm, "-measurement_sweeps", PetscOptionsInt("-measurement_sweeps", "Sweeps over which thermal averages are taken", NULL, meas, &meas, NULL));
  GlassyCallNamed(comm, "-measure_interval", PetscOptionsInt("-measure_interval", "Sweeps between measurements", NULL, opt->measure_interval, &opt->measure_interval, NULL));
  GlassyCallNamed(comm, "-pt_interval", PetscOptionsInt("-pt_interval", "Sweeps between parallel-tempering swap attempts (0: no tempering)", NULL, opt->pt_interval, &opt->pt_interval, NULL));
  GlassyCallNamed(comm, "-bins", PetscOptionsInt("-bins", "Bins for the statistical errors of thermal averages", NULL, opt->bins, &opt->bins, NULL));
  GlassyCallNamed(comm, "-output", PetscOptionsString("-output", "HDF5 results file", NULL, opt->output, opt->output, sizeof opt->output, NULL));
  GlassyCallNamed(comm, "-progress_interval", PetscOptionsReal("-progress_interval", "Seconds between progress lines", NULL, opt->progress_interval, &opt->progress_interval, NULL));
  GlassyCallNamed(comm, "-quiet", PetscOptionsBool("-quiet", "Print no progress lines", NULL, opt->quiet, &opt->quiet, NULL));
  GlassyCallNamed(comm, "-structure_factor", PetscOptionsBool("-structure_factor", "Accumulate the full overlap structure factor with FFTW (sample-averaged)", NULL, opt->structure_factor, &opt->structure_factor, NULL));
  GlassyCallNamed(comm, "-checkpoint", PetscOptionsString("-checkpoint", "Checkpoint file (written atomically; the previous generation is kept as PATH.prev)", NULL, opt->checkpoint, opt->checkpoint, sizeof opt->checkpoint, NULL));
  GlassyCallNamed(comm, "-checkpoint_interval", PetscOptionsReal("-checkpoint_interval", "Wall-clock seconds between checkpoints", NULL, opt->checkpoint_interval, &opt->checkpoint_interval, NULL));
  GlassyCallNamed(comm, "-restart", PetscOptionsBool("-restart", "Continue from the newest valid checkpoint at -checkpoint, or start fresh if there is none", NULL, opt->restart, &opt->restart, NULL));
  PetscOptionsEnd();
  PetscCall(ReadTemperatures(comm, opt));

  opt->model = (GlassyModel)model;
  PetscCall(PetscOptionsHasHelp(NULL, &help));
  if (help) PetscFunctionReturn(0);
  PetscCall(CheckUnusedOptions(comm));

  opt->couplings = (GlassyCouplings)couplings;
  opt->update    = (GlassyUpdate)update;
  opt->kernel    = (GlassyKernel)kernel;
  {
    unsigned long long s;
    GlassyCheck(!ParseU64(seed, &s) && s <= 0xffffffffULL, comm, "-seed %s: must be an integer from 0 to 4294967295", seed);
    opt->seed = (PetscInt64)s;
  }
  if (opt->model == MODEL_EA) {
    GlassyCheck(opt->dim >= 2 && opt->dim <= GLASSY_MAX_DIM, comm, "-dim %" PetscInt_FMT ": must be 2, 3 or 4", opt->dim);
    GlassyCheck(opt->L >= 2 && opt->L % 2 == 0, comm, "-L %" PetscInt_FMT ": must be even and at least 2 (the checkerboard update needs an even periodic lattice)", opt->L);
    double n = PetscPowReal((PetscReal)opt->L, (PetscReal)opt->dim);
    GlassyCheck(n < 2147483647.0, comm, "-L %" PetscInt_FMT ": L^%" PetscInt_FMT " = %.0f sites exceeds the 2^31-1 glassy addresses", opt->L, opt->dim, n);
  } else {
    GlassyCheck(opt->N >= 2 && opt->N <= GLASSY_MAX_SK_N, comm, "-N %" PetscInt_FMT ": the SK model needs -N between 2 and %d spins", opt->N, GLASSY_MAX_SK_N);
    GlassyCheck(!opt->structure_factor, comm, "-structure_factor: applies to -model ea only");
    GlassyCheck(opt->kernel != KERNEL_MULTISPIN, comm, "-kernel multispin: applies to -model ea only");
  }
  GlassyCheck(opt->samples >= 1 && opt->samples <= GLASSY_MAX_SAMPLES, comm, "-samples %" PetscInt_FMT ": must be between 1 and %d (run larger ensembles as several batches with -sample_offset)", opt->samples, GLASSY_MAX_SAMPLES);
  GlassyCheck(opt->sample_offset >= 0, comm, "-sample_offset %" PetscInt_FMT ": must be at least 0", opt->sample_offset);
  GlassyCheck(opt->replicas >= 1, comm, "-replicas %" PetscInt_FMT ": must be at least 1", opt->replicas);
  GlassyCheck(eq >= 0, comm, "-equilibration_sweeps %" PetscInt_FMT ": must be at least 0", eq);
  GlassyCheck(meas >= 0, comm, "-measurement_sweeps %" PetscInt_FMT ": must be at least 0", meas);
  GlassyCheck(opt->measure_interval >= 1, comm, "-measure_interval %" PetscInt_FMT ": must be at least 1", opt->measure_interval);
  GlassyCheck(opt->pt_interval >= 0, comm, "-pt_interval %" PetscInt_FMT ": must be at least 0 (0 turns tempering off)", opt->pt_interval);
  GlassyCheck(opt->bins >= 2, comm, "-bins %" PetscInt_FMT ": must be at least 2", opt->bins);
  GlassyCheck(opt->output[0] != '\0', comm, "-output: the path is empty");
  GlassyCheck(opt->progress_interval > 0, comm, "-progress_interval %.6g: must be positive", (double)opt->progress_interval);
  GlassyCheck(!(opt->structure_factor && opt->replicas < 2), comm, "-structure_factor: needs overlaps, so -replicas must be at least 2 (got %" PetscInt_FMT ")", opt->replicas);
  GlassyCheck(opt->checkpoint_interval > 0, comm, "-checkpoint_interval %.6g: must be a positive number of seconds", (double)opt->checkpoint_interval);
  GlassyCheck(!opt->restart || opt->checkpoint[0], comm, "-restart: needs -checkpoint PATH to know where to look");
  opt->equilibration_sweeps = eq;
  opt->measurement_sweeps   = meas;
  GlassyCheck(meas == 0 || ((PetscInt64)eq + meas) / opt->measure_interval - eq / opt->measure_interval >= 1, comm, "-measurement_sweeps %" PetscInt_FMT ": no measurement falls in the measurement phase with -measure_interval %" PetscInt_FMT " (measurements are taken at multiples of it)", meas, opt->measure_interval);
  GlassyCheck((PetscInt64)opt->sample_offset + opt->samples <= PETSC_MAX_INT, comm, "-sample_offset %" PetscInt_FMT ": sample indices must stay below %d", opt->sample_offset, PETSC_MAX_INT);
  PetscCall(PetscOptionsGetAll(NULL, &opt->command_line));
  PetscFunctionReturn(0);
}

PetscErrorCode OptionsDestroy(GlassyOptions *opt)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(opt->command_line));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------- campaigns */
/* Keys of a campaign file that describe the campaign itself. */
static const char *const campaign_keys[] = {"sizes", "samples", "batch", "ranks_per_group", "output_dir", "seed", NULL};
/* Run options that may be one value for every size or a comma-separated list, one per size. */
static const char *const per_size_keys[] = {"tmin", "tmax", "ntemps", "equilibration_sweeps", "measurement_sweeps", "measure_interval", "pt_interval", "checkpoint_interval", NULL};
/* Run options a campaign sets for each task, which its file must not. */
static const char *const task_keys[] = {"l", "n", "sample_offset", "output", "checkpoint", "restart", "quiet", "progress_interval", "couplings_file", "export_couplings", "temperatures", NULL};

static int KeyIndex(const char *const *list, const char *name)
{
  for (int i = 0; list[i]; i++)
    if (!strcmp(list[i], name)) return i;
  return -1;
}

/* Split a comma-separated list in place; returns the number of items (at most max). */
static int SplitList(char *s, char **items, int max)
{
  int n = 0;
  for (char *p = s;; p++) {
    char *c = strchr(p, ',');
    if (n < max) items[n] = p;
    n++;
    if (!c) break;
    *c = '\0';
    p  = c;
  }
  for (int i = 0; i < n && i < max; i++) { /* trim blanks */
    while (*items[i] == ' ') items[i]++;
    for (size_t k = strlen(items[i]); k && items[i][k - 1] == ' '; k--) items[i][k - 1] = '\0';
  }
  return n;
}

/* Per-size integer list `key` of the campaign file: one value for every size or one per size. */
static PetscErrorCode CampaignIntList(MPI_Comm comm, const CampaignSpec *spec, const char *key, const char *value, PetscInt lo, PetscInt *out)
{
  char *copy, *items[CAMPAIGN_MAX_SIZES + 1];
  int   n;
  PetscFunctionBeginUser;
  PetscCall(PetscStrallocpy(value, &copy));
  n = SplitList(copy, items, CAMPAIGN_MAX_SIZES + 1);
  GlassyCheck(n == 1 || n == spec->nsizes, comm, "-campaign %s: %s has %d values for %d sizes (give one value, or one per size)", spec->file, key, n, spec->nsizes);
  for (int s = 0; s < spec->nsizes; s++) {
    const char *v = items[n == 1 ? 0 : s];
    char       *end;
    long long   x = strtoll(v, &end, 10);
    GlassyCheck(*v && !*end && x >= lo && x <= PETSC_MAX_INT, comm, "-campaign %s: %s value '%s' must be an integer of at least %d", spec->file, key, v, (int)lo);
    out[s] = (PetscInt)x;
  }
  PetscCall(PetscFree(copy));
  PetscFunctionReturn(0);
}

static PetscErrorCode CampaignAddKey(MPI_Comm comm, CampaignSpec *spec, int s, const char *key, const char *value)
{
  PetscFunctionBeginUser;
  GlassyCheck(spec->nkeys[s] < CAMPAIGN_MAX_KEYS, comm, "-campaign %s: more than %d keys", spec->file, CAMPAIGN_MAX_KEYS);
  PetscCall(PetscStrallocpy(key, &spec->keys[s][spec->nkeys[s]]));
  PetscCall(PetscStrallocpy(value ? value : "", &spec->values[s][spec->nkeys[s]]));
  spec->nkeys[s]++;
  PetscFunctionReturn(0);
}

/* The seed of size `size`'s tasks: the campaign seed mixed with the size (splitmix64), so that
 * sample k of different sizes has independent couplings and random streams. */
static uint32_t CampaignSeed(uint64_t seed, PetscInt size)
{
  uint64_t z = (seed << 32 | (uint64_t)size) + 0x9e3779b97f4a7c15ULL;
  z          = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z          = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return (uint32_t)((z ^ (z >> 31)) >> 32);
}

PetscErrorCode OptionsCampaignTask(MPI_Comm comm, const CampaignSpec *spec, int s, PetscInt first, PetscInt count, const char *output, const char *checkpoint, GlassyOptions *opt)
{
  PetscOptions   o;
  PetscErrorCode e;
  char           buf[32];
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsCreate(&o));
  for (int k = 0; k < spec->nkeys[s]; k++) {
    char name[256];
    snprintf(name, sizeof name, "-%s", spec->keys[s][k]);
    PetscCall(PetscOptionsSetValue(o, name, spec->values[s][k][0] ? spec->values[s][k] : NULL));
  }
  snprintf(buf, sizeof buf, "%" PetscInt_FMT, count);
  PetscCall(PetscOptionsSetValue(o, "-samples", buf));
  snprintf(buf, sizeof buf, "%" PetscInt_FMT, first);
  PetscCall(PetscOptionsSetValue(o, "-sample_offset", buf));
  /* The task's identity ends here (see CampaignTaskIdentity); what follows are its files. */
  PetscCall(PetscOptionsSetValue(o, "-output", output));
  PetscCall(PetscOptionsSetValue(o, "-checkpoint", checkpoint));
  PetscCall(PetscOptionsSetValue(o, "-restart", NULL));
  PetscCall(PetscOptionsSetValue(o, "-quiet", NULL));
  PetscCall(PetscOptionsPush(o));
  e = OptionsProcess(comm, opt);
  PetscCall(PetscOptionsPop());
  PetscCall(PetscOptionsDestroy(&o));
  if (e == GLASSY_ERR_INPUT || ErrorsLastCode() == GLASSY_ERR_INPUT) GlassyCheck(!e, comm, "-campaign %s, size %" PetscInt_FMT ": %s", spec->file, spec->size[s], ErrorsLastMessage());
  PetscCall(e);
  PetscFunctionReturn(0);
}

PetscErrorCode OptionsCampaign(MPI_Comm comm, CampaignSpec *spec)
{
  PetscOptions cf;
  PetscInt     n, sizes_n = CAMPAIGN_MAX_SIZES + 1;
  char       **names, **values;
  char         dir[PETSC_MAX_PATH_LEN] = "";
  unsigned long long seed = 1;
  int          rank;
  PetscBool    has_samples = PETSC_FALSE, has_batch = PETSC_FALSE, has_ranks = PETSC_FALSE;
  char        *v_samples = NULL, *v_batch = NULL, *v_ranks = NULL;
  int          ksizes = -1;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(spec, sizeof *spec));
  spec->parts             = 1;
  spec->progress_interval = 10.0;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));

  /* The command line of a campaign run. */
  PetscOptionsBegin(comm, NULL, "Campaigns", NULL);
  GlassyCallNamed(comm, "-campaign", PetscOptionsString("-campaign", "Run the finite-size-scaling campaign described in this file (PETSc options, or YAML for .yaml/.yml)", NULL, spec->file, spec->file, sizeof spec->file, NULL));
  GlassyCallNamed(comm, "-restart", PetscOptionsBool("-restart", "Continue the campaign in its output_dir", NULL, spec->restart, &spec->restart, NULL));
  GlassyCallNamed(comm, "-quiet", PetscOptionsBool("-quiet", "Print no progress lines", NULL, spec->quiet, &spec->quiet, NULL));
  GlassyCallNamed(comm, "-progress_interval", PetscOptionsReal("-progress_interval", "Seconds between progress lines", NULL, spec->progress_interval, &spec->progress_interval, NULL));
  GlassyCallNamed(comm, "-campaign_part", PetscOptionsInt("-campaign_part", "Run only this part of the tasks (0-based; SLURM job arrays)", NULL, spec->part, &spec->part, NULL));
  GlassyCallNamed(comm, "-campaign_parts", PetscOptionsInt("-campaign_parts", "Number of parts the tasks are split into", NULL, spec->parts, &spec->parts, NULL));
  GlassyCallNamed(comm, "-campaign_merge", PetscOptionsBool("-campaign_merge", "Run nothing: check that every task is done and write the index and merged results", NULL, spec->merge, &spec->merge, NULL));
  PetscOptionsEnd();
  {
    PetscBool help;
    PetscCall(PetscOptionsHasHelp(NULL, &help));
    if (help) PetscFunctionReturn(0);
  }
  GlassyCheck(spec->file[0], comm, "-campaign: the path is empty");
  PetscCall(PetscOptionsLeftGet(NULL, &n, &names, &values));
  for (PetscInt i = 0; i < n; i++) {
    if (IsPetscOption(names[i])) continue;
    SETERRQ(comm, GLASSY_ERR_INPUT, "-%s %s: not an option of a campaign run (run options belong in the campaign file %s)", names[i], values[i] ? values[i] : "", spec->file);
  }
  PetscCall(PetscOptionsLeftRestore(NULL, &n, &names, &values));
  GlassyCheck(spec->parts >= 1, comm, "-campaign_parts %" PetscInt_FMT ": must be at least 1", spec->parts);
  GlassyCheck(spec->part >= 0 && spec->part < spec->parts, comm, "-campaign_part %" PetscInt_FMT ": must be from 0 to %" PetscInt_FMT " (-campaign_parts %" PetscInt_FMT ")", spec->part, spec->parts - 1, spec->parts);
  GlassyCheck(!(spec->merge && spec->parts > 1), comm, "-campaign_merge: merges every part; do not give -campaign_parts with it");
  GlassyCheck(spec->progress_interval > 0, comm, "-progress_interval %.6g: must be positive", (double)spec->progress_interval);

  { /* The file: readable, and its text for provenance. */
    long len = -1;
    int  err = 0;
    if (!rank) {
      struct stat st;
      FILE       *f = NULL;
      if (stat(spec->file, &st)) err = errno;
      else if (S_ISDIR(st.st_mode)) err = EISDIR;
      else if (!(f = fopen(spec->file, "rb"))) err = errno;
      if (f) {
        if (fseek(f, 0, SEEK_END) == 0) len = ftell(f);
        if (len >= 0 && len < (1 << 20)) {
          PetscCall(PetscMalloc1(len + 1, &spec->text));
          rewind(f);
          if ((long)fread(spec->text, 1, (size_t)len, f) != len) err = EIO;
          spec->text[len] = '\0';
        } else err = EFBIG;
        fclose(f);
      }
    }
    PetscCallMPI(MPI_Bcast(&err, 1, MPI_INT, 0, comm));
    GlassyCheck(!err, comm, "-campaign %s: cannot read (%s)", spec->file, strerror(err));
    PetscCallMPI(MPI_Bcast(&len, 1, MPI_LONG, 0, comm));
    if (rank) PetscCall(PetscMalloc1(len + 1, &spec->text));
    PetscCallMPI(MPI_Bcast(spec->text, (int)len + 1, MPI_CHAR, 0, comm));
  }
  PetscCall(PetscOptionsCreate(&cf));
  {
    size_t         l    = strlen(spec->file);
    PetscBool      yaml = (PetscBool)((l > 5 && !strcmp(spec->file + l - 5, ".yaml")) || (l > 4 && !strcmp(spec->file + l - 4, ".yml")));
    PetscErrorCode e    = yaml ? PetscOptionsInsertFileYAML(comm, cf, spec->file, PETSC_TRUE) : PetscOptionsInsertFile(comm, cf, spec->file, PETSC_TRUE);
    GlassyCheck(!e, comm, "-campaign %s: cannot parse (%s)", spec->file, ErrorsLastMessage());
  }
  PetscCall(PetscOptionsLeftGet(cf, &n, &names, &values));

  /* Option names are case-insensitive, as everywhere in PETSc: classify them in lower case. */
  for (PetscInt i = 0; i < n; i++)
    for (char *p = names[i]; *p; p++) *p = (char)tolower((unsigned char)*p);
  /* First the sizes and the model, which the other keys depend on. */
  spec->model = MODEL_EA;
  for (PetscInt i = 0; i < n; i++) {
    if (!strcmp(names[i], "model")) spec->model = values[i] && !strcasecmp(values[i], "sk") ? MODEL_SK : MODEL_EA;
    if (!strcmp(names[i], "sizes")) ksizes = (int)i;
  }
  GlassyCheck(ksizes >= 0 && values[ksizes], comm, "-campaign %s: no 'sizes' (the list of %s to simulate)", spec->file, spec->model == MODEL_SK ? "N" : "L");
  {
    char *copy, *items[CAMPAIGN_MAX_SIZES + 1];
    PetscCall(PetscStrallocpy(values[ksizes], &copy));
    sizes_n = SplitList(copy, items, CAMPAIGN_MAX_SIZES + 1);
    GlassyCheck(sizes_n <= CAMPAIGN_MAX_SIZES, comm, "-campaign %s: sizes has %d values; at most %d", spec->file, (int)sizes_n, CAMPAIGN_MAX_SIZES);
    spec->nsizes = (int)sizes_n;
    for (int s = 0; s < spec->nsizes; s++) {
      char     *end;
      long long x = strtoll(items[s], &end, 10);
      GlassyCheck(*items[s] && !*end && x >= 2 && x <= PETSC_MAX_INT, comm, "-campaign %s: sizes value '%s' is not a size (an integer of at least 2)", spec->file, items[s]);
      spec->size[s] = (PetscInt)x;
      for (int t = 0; t < s; t++) GlassyCheck(spec->size[t] != x, comm, "-campaign %s: size %lld is listed twice", spec->file, x);
    }
    PetscCall(PetscFree(copy));
  }

  /* Then every key: campaign keys, forbidden ones, per-size lists and options passed through. */
  for (PetscInt i = 0; i < n; i++) {
    const char *k = names[i], *v = values[i];
    if (KeyIndex(campaign_keys, k) >= 0) {
      if (!strcmp(k, "samples")) {
        has_samples = PETSC_TRUE;
        PetscCall(PetscStrallocpy(v, &v_samples));
      }
      if (!strcmp(k, "batch")) {
        has_batch = PETSC_TRUE;
        PetscCall(PetscStrallocpy(v, &v_batch));
      }
      if (!strcmp(k, "ranks_per_group")) {
        has_ranks = PETSC_TRUE;
        PetscCall(PetscStrallocpy(v, &v_ranks));
      }
      if (!strcmp(k, "output_dir")) PetscCall(PetscStrncpy(dir, v ? v : "", sizeof dir));
      if (!strcmp(k, "seed")) GlassyCheck(v && !ParseU64(v, &seed) && seed <= 0xffffffffULL, comm, "-campaign %s: seed '%s' must be an integer from 0 to 4294967295", spec->file, v ? v : "");
      continue;
    }
    GlassyCheck(KeyIndex(task_keys, k) < 0 && strncmp(k, "campaign", 8) && strncmp(k, "options_file", 12), comm, "-campaign %s: '%s' cannot be set in a campaign file (%s)", spec->file, k, !strcmp(k, "l") || !strcmp(k, "n") ? "the sizes are given by 'sizes'" : !strcmp(k, "temperatures") ? "give each size its ladder with tmin, tmax and ntemps" : "the campaign sets it for each task");
    if (KeyIndex(per_size_keys, k) >= 0 && v) {
      char *copy, *items[CAMPAIGN_MAX_SIZES + 1];
      int   m;
      PetscCall(PetscStrallocpy(v, &copy));
      m = SplitList(copy, items, CAMPAIGN_MAX_SIZES + 1);
      GlassyCheck(m == 1 || m == spec->nsizes, comm, "-campaign %s: %s has %d values for %d sizes (give one value, or one per size)", spec->file, k, m, spec->nsizes);
      for (int s = 0; s < spec->nsizes; s++) PetscCall(CampaignAddKey(comm, spec, s, k, items[m == 1 ? 0 : s]));
      PetscCall(PetscFree(copy));
    } else
      for (int s = 0; s < spec->nsizes; s++) PetscCall(CampaignAddKey(comm, spec, s, k, v));
  }
  PetscCall(PetscOptionsLeftRestore(cf, &n, &names, &values));
  PetscCall(PetscOptionsDestroy(&cf));

  GlassyCheck(dir[0], comm, "-campaign %s: no 'output_dir' (the directory for the campaign's files)", spec->file);
  PetscCall(PetscStrncpy(spec->dir, dir, sizeof spec->dir));
  GlassyCheck(has_samples, comm, "-campaign %s: no 'samples' (disorder samples per size)", spec->file);
  PetscCall(CampaignIntList(comm, spec, "samples", v_samples ? v_samples : "", 1, spec->samples));
  if (has_batch) PetscCall(CampaignIntList(comm, spec, "batch", v_batch ? v_batch : "", 1, spec->batch));
  else
    for (int s = 0; s < spec->nsizes; s++) spec->batch[s] = PetscMin(spec->samples[s], 64);
  if (has_ranks) PetscCall(CampaignIntList(comm, spec, "ranks_per_group", v_ranks ? v_ranks : "", 1, spec->ranks));
  else
    for (int s = 0; s < spec->nsizes; s++) spec->ranks[s] = 1;
  {
    int64_t ntasks = 0;
    for (int s = 0; s < spec->nsizes; s++) ntasks += ((int64_t)spec->samples[s] + spec->batch[s] - 1) / spec->batch[s];
    GlassyCheck(ntasks <= CAMPAIGN_MAX_TASKS, comm, "-campaign %s: %lld tasks; at most %d (use a larger batch)", spec->file, (long long)ntasks, CAMPAIGN_MAX_TASKS);
  }
  PetscCall(PetscFree(v_samples));
  PetscCall(PetscFree(v_batch));
  PetscCall(PetscFree(v_ranks));
  {
    int size;
    PetscCallMPI(MPI_Comm_size(comm, &size));
    for (int s = 0; s < spec->nsizes; s++) {
      char num[32];
      GlassyCheck(spec->batch[s] <= GLASSY_MAX_SAMPLES, comm, "-campaign %s: batch %" PetscInt_FMT " for size %" PetscInt_FMT ": at most %d samples per task", spec->file, spec->batch[s], spec->size[s], GLASSY_MAX_SAMPLES);
      GlassyCheck(spec->merge || spec->ranks[s] <= size, comm, "-campaign %s: ranks_per_group %" PetscInt_FMT " for size %" PetscInt_FMT " exceeds the %d ranks of this job", spec->file, spec->ranks[s], spec->size[s], size);
      spec->seed[s] = CampaignSeed(seed, spec->size[s]);
      snprintf(num, sizeof num, "%" PetscInt_FMT, spec->size[s]);
      PetscCall(CampaignAddKey(comm, spec, s, spec->model == MODEL_SK ? "N" : "L", num));
      snprintf(num, sizeof num, "%u", spec->seed[s]);
      PetscCall(CampaignAddKey(comm, spec, s, "seed", num));
    }
  }
  /* Validate every size's run options now, before any work, and estimate its cost. */
  for (int s = 0; s < spec->nsizes; s++) {
    GlassyOptions o;
    double        N;
    PetscCall(OptionsCampaignTask(comm, spec, s, 0, PetscMin(spec->batch[s], spec->samples[s]), "validate.h5", "validate.ckpt.h5", &o));
    N             = o.model == MODEL_SK ? (double)o.N : PetscPowReal((PetscReal)o.L, (PetscReal)o.dim);
    spec->cost[s] = N * (double)o.replicas * (double)o.ntemps * (double)(o.equilibration_sweeps + o.measurement_sweeps);
    GlassyCheck(o.model == spec->model, comm, "-campaign %s: inconsistent model", spec->file);
    PetscCall(OptionsDestroy(&o));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode OptionsCampaignDestroy(CampaignSpec *spec)
{
  PetscFunctionBeginUser;
  for (int s = 0; s < spec->nsizes; s++)
    for (int k = 0; k < spec->nkeys[s]; k++) {
      PetscCall(PetscFree(spec->keys[s][k]));
      PetscCall(PetscFree(spec->values[s][k]));
    }
  PetscCall(PetscFree(spec->text));
  PetscFunctionReturn(0);
}
