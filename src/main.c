/* glassy: Monte Carlo simulation of spin glasses.  main() owns MPI_COMM_WORLD and is the one
 * place that decides how the program exits; the physics receives a communicator. */
#include "campaign.h"
#include "errors.h"
#include "options.h"
#include "checkpoint.h"
#include "signals.h"
#include "simulation.h"
#include "sk.h"

#include <fftw3-mpi.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] = "glassy: parallel-tempering Monte Carlo for Edwards-Anderson spin glasses.\n"
                           "Options are listed below; see doc/options.md for details.\n\n";

/* Disorder averages over the batch and the timers, printed at the end of a run. */
static PetscErrorCode PrintSummary(Simulation *sim)
{
  const int     nT = sim->nT, S = sim->samples, d = sim->lat->dim;
  double       *mean, *err, tmin[NTIMERS], tmax[NTIMERS], tsum[NTIMERS];
  const double  attempts = (double)sim->lat->N * sim->lanes * sim->nslots * (double)(sim->sweep - sim->sweep_start);
  const GlassyOptions *opt = sim->opt;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(NOBS * (int64_t)S * nT, &mean));
  PetscCall(PetscMalloc1(NOBS * (int64_t)S * nT, &err));
  PetscCall(ObservablesAverages(sim, mean, err));
  PetscCall(PetscPrintf(sim->comm, "\nglassy: averages over the %d samples (error: spread over samples)\n", S));
  PetscCall(PetscPrintf(sim->comm, "%9s %21s %9s %9s %9s %9s %9s\n", "T", "e", "|m|", "q2", "g", "q_link", "swap acc"));
  for (int t = 0; t < nT; t++) {
    double avg[NOBS], e2 = 0, acc = NAN;
    for (int o = 0; o < NOBS; o++) {
      avg[o] = 0;
      for (int l = 0; l < S; l++) avg[o] += mean[((int64_t)o * S + l) * nT + t] / S;
    }
    for (int l = 0; l < S; l++) {
      double x = mean[((int64_t)OBS_ENERGY * S + l) * nT + t] - avg[OBS_ENERGY];
      e2 += x * x;
    }
    if (t + 1 < nT && sim->swap_attempts) {
      acc = 0;
      for (int l = 0; l < S; l++) acc += (double)sim->swap_accepts[(int64_t)t * sim->lanes + l] / ((double)sim->swap_attempts * sim->R * S);
    }
    PetscCall(PetscPrintf(sim->comm, "%9.5f %11.6f +- %6.4f %9.5f %9.5f %9.5f %9.5f %9.3f\n", opt->temperatures[t], avg[OBS_ENERGY], S > 1 ? sqrt(e2 / ((double)S * (S - 1))) : 0.0, avg[OBS_ABS_MAGNETIZATION], avg[OBS_Q2], 0.5 * (3 - avg[OBS_Q4] / (avg[OBS_Q2] * avg[OBS_Q2])), avg[OBS_LINK_OVERLAP], acc));
  }
  if (!sim->cpl->bimodal && !opt->couplings_file[0]) {
    PetscCall(PetscPrintf(sim->comm, "glassy: equilibrium check for Gaussian couplings, [e] = -(d/T)(1 - [q_link]):\n"));
    for (int t = 0; t < nT; t++) {
      double diff = 0, d2 = 0;
      for (int l = 0; l < S; l++) {
        double x = mean[((int64_t)OBS_ENERGY * S + l) * nT + t] + (d / opt->temperatures[t]) * (1 - mean[((int64_t)OBS_LINK_OVERLAP * S + l) * nT + t]);
        diff += x / S;
        d2 += x * x / S;
      }
      double e = S > 1 ? sqrt((d2 - diff * diff) / (S - 1)) : NAN;
      PetscCall(PetscPrintf(sim->comm, "  T %.5f: difference %+.5f +- %.5f (%.1f sigma)%s\n", opt->temperatures[t], diff, e, fabs(diff) / e, fabs(diff) > 3 * e ? "  <- not equilibrated?" : ""));
    }
  }
  PetscCallMPI(MPI_Allreduce(sim->timer, tmin, NTIMERS, MPI_DOUBLE, MPI_MIN, sim->comm));
  PetscCallMPI(MPI_Allreduce(sim->timer, tmax, NTIMERS, MPI_DOUBLE, MPI_MAX, sim->comm));
  PetscCallMPI(MPI_Allreduce(sim->timer, tsum, NTIMERS, MPI_DOUBLE, MPI_SUM, sim->comm));
  PetscCall(PetscPrintf(sim->comm, "\nglassy: timers over %d ranks (seconds: min / avg / max)\n", sim->lat->size));
  for (int i = 0; i < NTIMERS; i++) PetscCall(PetscPrintf(sim->comm, "  %-10s %9.3f %9.3f %9.3f\n", TimerNames[i], tmin[i], tsum[i] / sim->lat->size, tmax[i]));
  PetscCall(PetscPrintf(sim->comm, "glassy: %" PetscInt64_FMT " sweeps in %.2f s, %.4g spin-flip attempts%s\n", (PetscInt64)(sim->sweep - sim->sweep_start), sim->wall_run, attempts, sim->sweep_start ? " (since the restart)" : ""));
  if (sim->checkpoints) PetscCall(PetscPrintf(sim->comm, "glassy: %" PetscInt64_FMT " checkpoints, %.1f MB in %.2f s (%.0f MB/s)\n", (PetscInt64)sim->checkpoints, sim->checkpoint_bytes / 1e6, tmax[TIMER_CHECKPOINT], sim->checkpoint_bytes / 1e6 / tmax[TIMER_CHECKPOINT]));
  if (attempts > 0) PetscCall(PetscPrintf(sim->comm, "glassy: figure of merit: %.1f ps per spin-flip attempt per core (%s kernel)\n", sim->wall_run * sim->lat->size / attempts * 1e12, sim->kernel_name));
  PetscCall(PetscPrintf(sim->comm, "glassy: results in %s\n", opt->output));
  PetscCall(PetscFree(mean));
  PetscCall(PetscFree(err));
  PetscFunctionReturn(0);
}

static PetscErrorCode Run(MPI_Comm comm, int *status)
{
  GlassyOptions opt;
  Simulation   *sim = NULL;
  PetscBool     help, restored = PETSC_FALSE;
  int           size;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsHasHelp(NULL, &help));
  {
    PetscBool    campaign;
    CampaignSpec spec;
    PetscCall(PetscOptionsHasName(NULL, NULL, "-campaign", &campaign));
    if (campaign && !help) {
      PetscCall(OptionsCampaign(comm, &spec));
      PetscCall(CampaignRun(comm, &spec, status));
      PetscCall(OptionsCampaignDestroy(&spec));
      PetscFunctionReturn(0);
    }
    PetscCall(OptionsProcess(comm, &opt));
    if (help) {
      PetscCall(OptionsCampaign(comm, &spec)); /* lists the campaign options */
      PetscFunctionReturn(0);
    }
  }
  PetscCall(OutputCheckWritable(comm, "-output", opt.output));
  if (opt.checkpoint[0]) PetscCall(OutputCheckWritable(comm, "-checkpoint", opt.checkpoint));
  if (opt.model == MODEL_SK) {
    SK *sk;
    PetscCall(SKExport(comm, &opt));
    PetscCall(SKCreate(comm, &opt, &sk));
    PetscCall(PetscPrintf(comm, "glassy: SK, N=%d, %s couplings, %d samples from %" PetscInt_FMT ", %d replicas x %d temperatures (%.4g .. %.4g), %s, %d copies on %d ranks, %s fields, kernel %s\n", sk->N, opt.couplings_file[0] ? opt.couplings_file : GlassyCouplingsNames[opt.couplings], sk->S, opt.sample_offset, sk->R, sk->nT, opt.temperatures[0], opt.temperatures[sk->nT - 1], GlassyUpdateNames[opt.update], sk->C, sk->size, sk->intpath ? "exact integer" : "double-precision", SKKernelName(sk)));
    if (opt.restart) PetscCall(SKRestore(sk, &restored));
    PetscCall(SKRun(sk));
    if (sk->interrupted) *status = GLASSY_EXIT_INTERRUPTED;
    else {
      PetscCall(SKWrite(sk));
      PetscCall(SKPrintSummary(sk));
    }
    PetscCall(SKDestroy(&sk));
    PetscCall(OptionsDestroy(&opt));
    PetscFunctionReturn(0);
  }
  PetscCall(CouplingsExport(comm, &opt));
  PetscCall(SimulationCreate(comm, &opt, &sim));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  {
    char grid[64];
    LatticeGridString(sim->lat->dim, sim->lat->dims, "x", grid, sizeof grid);
    PetscCall(PetscPrintf(comm, "glassy: EA %dD, L=%d (N=%" PetscInt64_FMT "), %s couplings, %d samples from %" PetscInt_FMT ", %d replicas x %d temperatures (%.4g .. %.4g), %s, kernel %s\n", sim->lat->dim, sim->lat->L, (PetscInt64)sim->lat->N, opt.couplings_file[0] ? opt.couplings_file : GlassyCouplingsNames[opt.couplings], sim->samples, opt.sample_offset, sim->R, sim->nT, opt.temperatures[0], opt.temperatures[sim->nT - 1], GlassyUpdateNames[opt.update], sim->kernel_name));
    PetscCall(PetscPrintf(comm, "glassy: %d ranks as a %s grid, %" PetscInt64_FMT " + %" PetscInt64_FMT " sweeps, measurements every %" PetscInt_FMT ", tempering every %" PetscInt_FMT "\n", size, grid, (PetscInt64)opt.equilibration_sweeps, (PetscInt64)opt.measurement_sweeps, opt.measure_interval, opt.pt_interval));
    if (sim->cpl->nbonds_file) PetscCall(PetscPrintf(comm, "glassy: read %" PetscInt64_FMT " of the %" PetscInt64_FMT " bonds from %s (bonds not listed have J = 0)\n", (PetscInt64)sim->cpl->nbonds_file, (PetscInt64)(sim->lat->N * sim->lat->dim), opt.couplings_file));
  }
  if (opt.restart) PetscCall(CheckpointRestore(sim, &restored));
  PetscCall(SimulationRun(sim));
  if (sim->interrupted) {
    PetscCall(PetscPrintf(comm, "glassy: stopped by signal %d at sweep %" PetscInt64_FMT " of %" PetscInt64_FMT "; %s\n", sim->interrupted, (PetscInt64)sim->sweep, (PetscInt64)sim->total_sweeps, opt.checkpoint[0] ? "continue with -restart" : "no -checkpoint was given, so nothing was saved"));
    *status = GLASSY_EXIT_INTERRUPTED;
  } else {
    PetscCall(OutputWrite(sim));
    PetscCall(PrintSummary(sim));
  }
  PetscCall(SimulationDestroy(&sim));
  PetscCall(OptionsDestroy(&opt));
  PetscFunctionReturn(0);
}

/* PETSc reads -options_file inside PetscInitialize, before glassy's error handler exists; check
 * that the files can be read first so that a typo gives one line, not a traceback. */
static int CheckOptionFiles(int argc, char **argv)
{
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], "-options_file") && strcmp(argv[i], "-options_file_yaml")) continue;
    if (access(argv[i + 1], R_OK) == 0) continue;
    {
      int   rank = 0, err = errno;
      MPI_Init(&argc, &argv);
      MPI_Comm_rank(MPI_COMM_WORLD, &rank);
      if (!rank) fprintf(stderr, "glassy: error: %s %s: cannot read (%s)\n", argv[i], argv[i + 1], strerror(err));
      MPI_Finalize();
      return 1;
    }
  }
  return 0;
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  int            rank, status = 0;

  /* Open MPI 4.1.x's default MPI-IO component (OMPIO with fcoll/vulcan) intermittently drops
   * data from collective parallel-HDF5 writes (open-mpi/ompi#12718; seen here with 4.1.4 in 6 of
   * 20 runs on 4 ranks).  Use ROMIO unless the user chose a component explicitly. */
#if defined(OMPI_MAJOR_VERSION) && OMPI_MAJOR_VERSION == 4
  setenv("OMPI_MCA_io", "romio321", 0);
#endif
  /* Catch stop signals from the very start (again after PetscInitialize, which installs its own). */
  if (SignalsInstall()) return 2;
  if (CheckOptionFiles(argc, argv)) return 1;
  ierr = PetscInitialize(&argc, &argv, NULL, help);
  if (ierr) return 1;
  fftw_mpi_init();
  ierr = ErrorsInstall();
  if (!ierr) ierr = SignalsInstall();
  if (!ierr) ierr = Run(PETSC_COMM_WORLD, &status);
  if (!ierr) {
    fftw_mpi_cleanup();
    return PetscFinalize() ? 1 : status;
  }

  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (ErrorsLastCode() == GLASSY_ERR_INPUT) {
    /* Raised collectively: every rank is here; one line from rank 0, then a clean exit. */
    if (!rank) fprintf(stderr, "glassy: error: %s\n", ErrorsLastMessage());
    PetscFinalize();
    return 1;
  }
  /* Anything else may have happened on one rank only: report it and take every rank down. */
  fprintf(stderr, "glassy: error on rank %d: %s\n", rank, ErrorsLastMessage());
  MPI_Abort(PETSC_COMM_WORLD, 2);
  return 2;
}
