/* The simulation: set-up, sweeps with overlapped halo exchange, and the run loop. */
#include "simulation.h"
#include "checkpoint.h"
#include "signals.h"
#include "rng.h"
#include "vcount.h"

const char *const TimerNames[NTIMERS] = {"sweep", "halo wait", "measure", "tempering", "checkpoint", "output"};

static PetscLogEvent EV_SWEEP, EV_HALO, EV_MEASURE, EV_TEMPERING;

static PetscErrorCode RegisterEvents(void)
{
  static PetscBool done = PETSC_FALSE;
  PetscClassId     id;
  PetscFunctionBeginUser;
  if (done) PetscFunctionReturn(0);
  PetscCall(PetscClassIdRegister("glassy", &id));
  PetscCall(PetscLogEventRegister("GlassySweep", id, &EV_SWEEP));
  PetscCall(PetscLogEventRegister("GlassyHaloWait", id, &EV_HALO));
  PetscCall(PetscLogEventRegister("GlassyMeasure", id, &EV_MEASURE));
  PetscCall(PetscLogEventRegister("GlassyTempering", id, &EV_TEMPERING));
  done = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode SimulationCreate(MPI_Comm comm, const GlassyOptions *opt, Simulation **out)
{
  Simulation *sim;
  int         d = (int)opt->dim;

  PetscFunctionBeginUser;
  PetscCall(RegisterEvents());
  PetscCall(PetscNew(&sim));
  sim->opt = opt;
  PetscCall(LatticeCreate(comm, d, (int)opt->L, &sim->lat));
  sim->comm         = sim->lat->comm;
  sim->samples      = (int)opt->samples;
  sim->W            = GlassyWords(opt->samples);
  sim->lanes        = 64 * sim->W;
  sim->nT           = (int)opt->ntemps;
  sim->R            = (int)opt->replicas;
  sim->nslots       = sim->nT * sim->R;
  sim->npairs       = sim->R * (sim->R - 1) / 2;
  sim->seed         = (uint32_t)opt->seed;
  sim->first_sample = opt->sample_offset;
  sim->energy_sweep = -1;
  sim->total_sweeps = opt->equilibration_sweeps + opt->measurement_sweeps;
  PetscCall(CouplingsCreate(opt, sim->lat, &sim->cpl));

  if (sim->cpl->bimodal) {
    const PetscBool reference = opt->kernel == KERNEL_REFERENCE;
    sim->kernel      = reference ? SweepBimodalReference : SweepBimodalMultispin;
    sim->kernel_name = reference ? "bimodal-reference" : "bimodal-multispin";
  } else {
    const PetscBool reference = opt->kernel == KERNEL_REFERENCE;
    sim->kernel      = reference ? SweepRealReference : SweepRealMultispin;
    sim->kernel_name = reference ? "real-reference" : "real-multispin";
  }

  PetscCall(PetscMalloc1(sim->nT, &sim->beta));
  PetscCall(PetscMalloc1(sim->nT * (2 * d + 1), &sim->threshold));
  for (int t = 0; t < sim->nT; t++) {
    sim->beta[t] = 1.0 / opt->temperatures[t];
    SweepBimodalThresholds(d, sim->beta[t], opt->update, sim->threshold + t * (2 * d + 1));
  }

  /* Random initial configurations: one word per (site, slot, word) from RNG_INIT. */
  PetscCall(PetscCalloc1((int64_t)sim->nslots * sim->lat->npadded * sim->W, &sim->spins)); /* halo corners, never read, stay zero */
  for (int s = 0; s < sim->nslots; s++)
    for (int64_t i = 0; i < sim->lat->nlocal; i++) {
      const int64_t p = sim->lat->owned[i];
      for (int w = 0; w < sim->W; w++) {
        uint64_t r[2];
        RngWords2(RngKeyMake(sim->seed, (uint32_t)(sim->first_sample + 64 * w)), (uint32_t)sim->lat->global[p], 0, (uint32_t)s, RNG_INIT, 0, r);
        sim->spins[((int64_t)s * sim->lat->npadded + p) * sim->W + w] = r[0];
      }
    }
  PetscCall(HaloCreate(sim->lat, sim->nslots, sim->W, sim->spins, &sim->halo));
  PetscCall(HaloExchangeAll(sim->halo));

  PetscCall(PetscMalloc1((int64_t)sim->nslots * sim->lanes, &sim->energy));
  PetscCall(PetscMalloc1((int64_t)sim->nslots * sim->lanes, &sim->magnet));
  PetscCall(PetscCalloc1((int64_t)(sim->nT > 1 ? sim->nT - 1 : 1) * sim->lanes, &sim->swap_accepts));
  if (opt->structure_factor && sim->R >= 2) PetscCall(StructureFactorCreate(sim->lat, sim->lanes, &sim->sf));
  {
    const int64_t eq = opt->equilibration_sweeps, mi = opt->measure_interval;
    PetscCall(AccumulatorsCreate(&sim->acc, NOBS, sim->nT, sim->samples, (eq + opt->measurement_sweeps) / mi - eq / mi, (int)opt->bins, sim->total_sweeps));
  }
  if (sim->sf) PetscCall(PetscCalloc1(sim->nT * sim->sf->nk_local + 1, &sim->sf_sum));
  *out = sim;
  PetscFunctionReturn(0);
}

PetscErrorCode SimulationDestroy(Simulation **sim)
{
  Simulation *s = *sim;
  PetscFunctionBeginUser;
  if (!s) PetscFunctionReturn(0);
  PetscCall(AccumulatorsDestroy(&s->acc));
  PetscCall(PetscFree(s->sf_sum));
  PetscCall(StructureFactorDestroy(&s->sf));
  PetscCall(HaloDestroy(&s->halo));
  PetscCall(CouplingsDestroy(&s->cpl));
  PetscCall(PetscFree(s->spins));
  PetscCall(PetscFree(s->beta));
  PetscCall(PetscFree(s->threshold));
  PetscCall(PetscFree(s->energy));
  PetscCall(PetscFree(s->magnet));
  PetscCall(PetscFree(s->tracked));
  PetscCall(PetscFree(s->swap_accepts));
  PetscCall(LatticeDestroy(&s->lat));
  PetscCall(PetscFree(*sim));
  PetscFunctionReturn(0);
}

PetscErrorCode SimulationTrackEnergy(Simulation *sim)
{
  PetscFunctionBeginUser;
  PetscCheck(sim->kernel != SweepBimodalMultispin, sim->comm, PETSC_ERR_SUP, "the %s kernel does not keep the energy incrementally; use a reference kernel", sim->kernel_name);
  PetscCall(SimulationComputeEnergies(sim));
  if (!sim->tracked) PetscCall(PetscMalloc1((int64_t)sim->nslots * sim->lanes, &sim->tracked));
  /* Each rank adds the changes of its own sites; rank 0 also holds the starting energy. */
  if (sim->lat->rank == 0) PetscCall(PetscArraycpy(sim->tracked, sim->energy, (int64_t)sim->nslots * sim->lanes));
  else PetscCall(PetscArrayzero(sim->tracked, (int64_t)sim->nslots * sim->lanes));
  PetscFunctionReturn(0);
}

PetscErrorCode SimulationTrackedEnergy(Simulation *sim, int64_t *energy)
{
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Allreduce(sim->tracked, energy, sim->nslots * sim->lanes, MPI_INT64_T, MPI_SUM, sim->comm));
  PetscFunctionReturn(0);
}

/* Update colour c of every slot on the given site range.  With real couplings the range is cut
 * into blocks of UPDATE_BLOCK sites and every slot updates a block before the next block starts,
 * so the block's couplings (shared by all slots, 512 bytes per bond for 64 lanes) come from cache:
 * this made the Gaussian L = 32 sweep 2.4 times faster (blocks of 8 to 128 sites did equally
 * well).  Bimodal couplings take 3 bits per site and sample and gain nothing from blocks, while
 * their kernel's per-call set-up (the threshold bit tables) cost 12% at L = 32 with blocks of 32,
 * so there a slot sweeps the whole range in one call.  Decisions depend only on (site, sweep,
 * slot), so the order changes no result. */
enum { UPDATE_BLOCK = 32 };

static void UpdateSites(Simulation *sim, int colour, int64_t begin, int64_t end)
{
  const int d = sim->lat->dim;
  const int64_t block = sim->cpl->bimodal ? PetscMax(end - begin, 1) : UPDATE_BLOCK;
  for (int64_t b = begin; b < end; b += block) {
    const int64_t n = PetscMin(end - b, block);
    for (int s = 0; s < sim->nslots; s++) {
      const int t = s % sim->nT;
      SweepArgs a = {.lat = sim->lat, .cpl = sim->cpl, .spins = sim->spins + (int64_t)s * sim->lat->npadded * sim->W, .seed = sim->seed, .first_sample = sim->first_sample, .sweep = (uint32_t)sim->sweep, .slot = (uint32_t)s, .beta = sim->beta[t], .update = sim->opt->update, .threshold = sim->threshold + t * (2 * d + 1), .dE = sim->tracked ? sim->tracked + (int64_t)s * sim->lanes : NULL};
      sim->kernel(&a, sim->lat->sites[colour] + b, n);
    }
  }
}

PetscErrorCode SimulationSweep(Simulation *sim)
{
  double t0 = MPI_Wtime(), t1;
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(EV_SWEEP, 0, 0, 0, 0));
  for (int c = 0; c < 2; c++) {
    PetscCall(HaloPostReceives(sim->halo, c));
    UpdateSites(sim, c, 0, sim->lat->nboundary[c]);
    PetscCall(HaloSend(sim->halo, c));
    UpdateSites(sim, c, sim->lat->nboundary[c], sim->lat->nsites[c]);
    t1 = MPI_Wtime();
    PetscCall(PetscLogEventBegin(EV_HALO, 0, 0, 0, 0));
    PetscCall(HaloEnd(sim->halo, c));
    PetscCall(PetscLogEventEnd(EV_HALO, 0, 0, 0, 0));
    sim->timer[TIMER_HALO_WAIT] += MPI_Wtime() - t1;
  }
  PetscCall(PetscLogEventEnd(EV_SWEEP, 0, 0, 0, 0));
  sim->sweep++;
  sim->timer[TIMER_SWEEP] += MPI_Wtime() - t0;
  PetscFunctionReturn(0);
}

PetscErrorCode SimulationComputeEnergies(Simulation *sim)
{
  const Lattice *lat = sim->lat;
  const int      d = lat->dim, W = sim->W, lanes = sim->lanes;
  const int64_t  np = lat->npadded, ns = (int64_t)sim->nslots * lanes;
  int64_t       *buf;

  PetscFunctionBeginUser;
  if (sim->energy_sweep == sim->sweep) PetscFunctionReturn(0);
  PetscCall(PetscCalloc1(2 * ns, &buf)); /* [energy | ones] */
  for (int s = 0; s < sim->nslots; s++) {
    const uint64_t *S    = sim->spins + (int64_t)s * np * W;
    int64_t        *E    = buf + (int64_t)s * lanes, *ones = buf + ns + (int64_t)s * lanes;
    for (int w = 0; w < W; w++) {
      VSum un, up;
      VSumZero(&un);
      VSumZero(&up);
      for (int64_t i = 0; i < lat->nlocal; i++) {
        const int64_t p = lat->owned[i];
        VSumAdd(&up, S[p * W + w]);
        if (sim->cpl->bimodal)
          for (int k = 0; k < d; k++) VSumAdd(&un, S[p * W + w] ^ S[(p + lat->stride[k]) * W + w] ^ sim->cpl->bits[(p * d + k) * W + w]);
      }
      VSumExtract(&up, ones + 64 * w);
      if (sim->cpl->bimodal) VSumExtract(&un, E + 64 * w); /* unsatisfied bonds, converted below */
    }
    if (!sim->cpl->bimodal) {
      for (int64_t i = 0; i < lat->nlocal; i++) {
        const int64_t p = lat->owned[i];
        for (int k = 0; k < d; k++) {
          const int64_t q = p + lat->stride[k];
          for (int l = 0; l < lanes; l++) {
            const int     w = l / 64, b = l % 64;
            const int64_t Jfix = (int64_t)(sim->cpl->J[(p * d + k) * lanes + l] * GLASSY_FIX_ONE);
            const int     prod = (int)(((S[p * W + w] ^ S[q * W + w]) >> b) & 1u);
            E[l] += prod ? Jfix : -Jfix;
          }
        }
      }
    }
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, buf, (int)(2 * ns), MPI_INT64_T, MPI_SUM, sim->comm));
  for (int64_t i = 0; i < ns; i++) {
    sim->energy[i] = sim->cpl->bimodal ? (2 * buf[i] - lat->N * d) * ((int64_t)1 << GLASSY_FIX_SHIFT) : buf[i];
    sim->magnet[i] = lat->N - 2 * buf[ns + i];
  }
  PetscCall(PetscFree(buf));
  sim->energy_sweep = sim->sweep;
  PetscFunctionReturn(0);
}

static void FormatSeconds(double s, char *buf, size_t len)
{
  if (s < 120) snprintf(buf, len, "%.0f s", s);
  else if (s < 7200) snprintf(buf, len, "%.1f min", s / 60);
  else snprintf(buf, len, "%.1f h", s / 3600);
}

PetscErrorCode SimulationRun(Simulation *sim)
{
  const GlassyOptions *opt = sim->opt;
  double               next_progress, next_checkpoint;
  PetscFunctionBeginUser;
  sim->wall_start  = MPI_Wtime();
  sim->sweep_start = sim->sweep;
  next_progress    = sim->wall_start + opt->progress_interval;
  next_checkpoint  = sim->wall_start + opt->checkpoint_interval;
  while (sim->sweep < sim->total_sweeps) {
    PetscCall(SimulationSweep(sim));
    /* Measurements every measure_interval sweeps over the whole run (logarithmic bins); those
     * after the equilibration phase make the thermal averages. */
    if (sim->sweep % opt->measure_interval == 0) {
      double t0 = MPI_Wtime();
      PetscCall(PetscLogEventBegin(EV_MEASURE, 0, 0, 0, 0));
      PetscCall(ObservablesMeasure(sim, (PetscBool)(sim->sweep > opt->equilibration_sweeps)));
      PetscCall(PetscLogEventEnd(EV_MEASURE, 0, 0, 0, 0));
      sim->timer[TIMER_MEASURE] += MPI_Wtime() - t0;
    }
    if (opt->pt_interval > 0 && sim->nT > 1 && sim->sweep % opt->pt_interval == 0) {
      double t0 = MPI_Wtime();
      PetscCall(PetscLogEventBegin(EV_TEMPERING, 0, 0, 0, 0));
      PetscCall(TemperingStep(sim));
      PetscCall(PetscLogEventEnd(EV_TEMPERING, 0, 0, 0, 0));
      sim->timer[TIMER_TEMPERING] += MPI_Wtime() - t0;
    }
    { /* Sweep boundary: a stop signal on any rank, or rank 0's clock, calls for a checkpoint. */
      int flags[2] = {SignalsCaught(), opt->checkpoint[0] && sim->lat->rank == 0 && MPI_Wtime() >= next_checkpoint};
      if (sim->hook.fn && sim->lat->rank == 0) {
        int stop = 0;
        PetscCall(sim->hook.fn(sim->hook.ctx, sim->sweep, sim->total_sweeps, &stop));
        if (stop && !flags[0]) flags[0] = GLASSY_STOP_BY_HOOK;
      }
      if (sim->lat->size > 1) PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, flags, 2, MPI_INT, MPI_MAX, sim->comm));
      if (opt->checkpoint[0] && (flags[0] || flags[1])) {
        PetscCall(CheckpointWrite(sim));
        next_checkpoint = MPI_Wtime() + opt->checkpoint_interval;
      }
      if (flags[0]) {
        sim->interrupted = flags[0];
        break;
      }
    }
    if (!opt->quiet) {
      /* Rank 0's clock decides, and the decision is broadcast so every rank agrees. */
      int    print = 0;
      double now   = MPI_Wtime();
      if (sim->lat->rank == 0 && now >= next_progress) print = 1;
      if (sim->sweep % 16 == 0 || sim->sweep == sim->total_sweeps) {
        PetscCallMPI(MPI_Bcast(&print, 1, MPI_INT, 0, sim->comm));
        if (print && sim->sweep < sim->total_sweeps) {
          char   left[32], el[32];
          double elapsed = now - sim->wall_start, rate = sim->sweep / elapsed;
          FormatSeconds(elapsed, el, sizeof el);
          FormatSeconds((sim->total_sweeps - sim->sweep) / rate, left, sizeof left);
          PetscCall(PetscPrintf(sim->comm, "glassy: sweep %" PetscInt64_FMT "/%" PetscInt64_FMT " (%s), %s elapsed, about %s left\n", (PetscInt64)sim->sweep, (PetscInt64)sim->total_sweeps, sim->sweep <= opt->equilibration_sweeps ? "equilibration" : "measurement", el, left));
          next_progress = now + opt->progress_interval;
        }
      }
    }
  }
  sim->wall_run = MPI_Wtime() - sim->wall_start;
  PetscFunctionReturn(0);
}
