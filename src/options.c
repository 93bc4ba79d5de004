/* OptionsProcess: the one place where options are read.  Every value is validated here, with an
 * error that names the option and the value; the checks run identically on every rank. */
#include "options.h"
#include "errors.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
  GlassyCheck(!(opt->kernel == KERNEL_MULTISPIN && opt->couplings == COUPLINGS_GAUSSIAN && !opt->couplings_file[0]), comm, "-kernel multispin: applies to bimodal couplings only (-couplings %s)", GlassyCouplingsNames[opt->couplings]);
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
