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
  sim->slot_stride  = sim->nslots >= 8 ? (sim->nslots + 7) / 8 * 8 : sim->nslots;
  PetscCall(LatticeOrderSites(sim->lat, (size_t)sim->slot_stride * sim->W * sizeof *sim->spins));
  sim->seed         = (uint32_t)opt->seed;
  sim->first_sample = opt->sample_offset;
  sim->energy_sweep = -1;
  sim->total_sweeps = opt->equilibration_sweeps + opt->measurement_sweeps;
  PetscCall(CouplingsCreate(opt, sim->lat, &sim->cpl));

  if (sim->cpl->bimodal) {
    const PetscBool reference = opt->kernel == KERNEL_REFERENCE;
    sim->kernel      = reference ? SweepBimodalReference : SweepBimodalMultispin;
    sim->kernel_name = reference ? "bimodal-reference" : "bimodal-multispin";
    if (!reference && sim->nslots >= 8) { /* eight slots per vector; fewer slots: eight sites per vector */
      sim->all_slots   = PETSC_TRUE;
      sim->kernel_name = "bimodal-multispin-slots";
    }
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
  if (sim->all_slots) { /* padding slots keep zero thresholds: they never flip */
    uint64_t *thr;
    PetscCall(PetscCalloc1(sim->slot_stride * (2 * d + 1), &thr));
    for (int s = 0; s < sim->nslots; s++) PetscCall(PetscArraycpy(thr + s * (2 * d + 1), sim->threshold + (s % sim->nT) * (2 * d + 1), 2 * d + 1));
    sim->slot_tables = SweepSlotTablesCreate(d, sim->slot_stride, thr);
    PetscCall(PetscFree(thr));
    PetscCheck(sim->slot_tables, PETSC_COMM_SELF, PETSC_ERR_MEM, "out of memory for the tables of the %s kernel (%d slots)", sim->kernel_name, sim->slot_stride);
  }

  /* Random initial configurations: one word per (site, slot, word) from RNG_INIT. */
  /* halo corners, never read, stay zero; 8 more words for vector loads of a site's last slots */
  PetscCall(GlassyCallocAligned((size_t)sim->slot_stride * sim->lat->npadded * sim->W + 8, sizeof *sim->spins, "the spin configurations", &sim->spins));
  for (int s = 0; s < sim->nslots; s++)
    for (int64_t i = 0; i < sim->lat->nlocal; i++) {
      const int64_t p = sim->lat->owned[i];
      for (int w = 0; w < sim->W; w++) {
        uint64_t r[2];
        RngWords2(RngKeyMake(sim->seed, (uint32_t)(sim->first_sample + 64 * w)), (uint32_t)sim->lat->global[p], 0, (uint32_t)s, RNG_INIT, 0, r);
        sim->spins[SimulationSpinIndex(sim, s, p, w)] = r[0];
      }
    }
  PetscCall(HaloCreate(sim->lat, sim->nslots, sim->slot_stride, sim->W, sim->spins, &sim->halo));
  PetscCall(HaloExchangeAll(sim->halo));

  PetscCall(PetscMalloc1((int64_t)sim->nslots * sim->lanes, &sim->energy));
  PetscCall(PetscMalloc1((int64_t)sim->nslots * sim->lanes, &sim->magnet));
  PetscCall(PetscCalloc1((int64_t)(sim->nT > 1 ? sim->nT - 1 : 1) * sim->lanes, &sim->swap_accepts));
  PetscCall(GlassyCallocAligned(2 * (size_t)sim->nslots * sim->lanes, sizeof *sim->energy_counts, "the energy counts", &sim->energy_counts));
  /* CountEnergies takes 3 counters per slot group and word, the slot kernel's tally 1 + 4 */
  PetscCall(GlassyCallocAligned(5 * (size_t)((sim->nslots + 7) / 8) * sim->W, sizeof *sim->energy_sums, "the energy counters", &sim->energy_sums));
  if (sim->all_slots && SweepSlotsCanTally(sim->slot_tables)) PetscCall(GlassyCallocAligned(2 * (size_t)sim->slot_stride * sim->lanes, sizeof *sim->tally_late, "the tally's corrections", &sim->tally_late));
  if (sim->npairs > 0) {
    const size_t nc = 2 + (size_t)d * sim->lat->L; /* differing sites, bonds, and sites per plane */
    PetscCall(GlassyCallocAligned((size_t)sim->nT * sim->npairs * nc * sim->lanes, sizeof *sim->overlap_counts, "the overlap counts", &sim->overlap_counts));
    PetscCall(GlassyCallocAligned(OVERLAP_GROUPS * (size_t)sim->lat->nloc[0], sizeof *sim->overlap_sums, "the overlap counters", &sim->overlap_sums));
    sim->overlap_np = 64 - __builtin_clzll((unsigned long long)sim->lat->nlocal * (unsigned long long)d);
    PetscCall(GlassyCallocAligned(OVERLAP_GROUPS * (size_t)ObservablesPlaneCounters(sim->lat) * (size_t)sim->overlap_np, sizeof *sim->overlap_planes, "the overlap plane counters", &sim->overlap_planes));
  }
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
  GlassyFreeAligned(&s->spins);
  PetscCall(PetscFree(s->checkpoint_buffer));
  PetscCall(PetscFree(s->beta));
  PetscCall(PetscFree(s->threshold));
  SweepSlotTablesDestroy(s->slot_tables);
  PetscCall(PetscFree(s->energy));
  PetscCall(PetscFree(s->magnet));
  PetscCall(PetscFree(s->tracked));
  PetscCall(PetscFree(s->swap_accepts));
  GlassyFreeAligned(&s->energy_counts);
  GlassyFreeAligned(&s->energy_sums);
  GlassyFreeAligned(&s->tally_late);
  GlassyFreeAligned(&s->overlap_counts);
  GlassyFreeAligned(&s->overlap_sums);
  GlassyFreeAligned(&s->overlap_planes);
  PetscCall(LatticeDestroy(&s->lat));
  PetscCall(PetscFree(*sim));
  PetscFunctionReturn(0);
}

PetscErrorCode SimulationTrackEnergy(Simulation *sim)
{
  PetscFunctionBeginUser;
  PetscCheck(sim->kernel != SweepBimodalMultispin && !sim->all_slots, sim->comm, PETSC_ERR_SUP, "the %s kernel does not keep the energy incrementally; use a reference kernel", sim->kernel_name);
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

SweepArgs SimulationSweepArgs(const Simulation *sim, int s)
{
  const int t = s % sim->nT, d = sim->lat->dim;
  SweepArgs a = {.lat = sim->lat, .cpl = sim->cpl, .spins = sim->spins + s, .site_stride = (int64_t)sim->W * sim->slot_stride, .word_stride = sim->slot_stride, .seed = sim->seed, .first_sample = sim->first_sample, .sweep = (uint32_t)sim->sweep, .slot = (uint32_t)s, .beta = sim->beta[t], .update = sim->opt->update, .threshold = sim->threshold + t * (2 * d + 1), .dE = sim->tracked ? sim->tracked + (int64_t)s * sim->lanes : NULL};
  return a;
}

static void UpdateSites(Simulation *sim, int colour, int64_t begin, int64_t end, SweepTally *tally)
{
  const int64_t block = sim->cpl->bimodal ? PetscMax(end - begin, 1) : UPDATE_BLOCK;
  if (sim->all_slots) {
    SweepArgs a = SimulationSweepArgs(sim, 0);
    a.tally     = tally;
    SweepBimodalSlots(&a, sim->slot_tables, sim->lat->sites[colour] + begin, end - begin);
    return;
  }
  for (int64_t b = begin; b < end; b += block) {
    const int64_t n = PetscMin(end - b, block);
    for (int s = 0; s < sim->nslots; s++) {
      const SweepArgs a = SimulationSweepArgs(sim, s);
      sim->kernel(&a, sim->lat->sites[colour] + b, n);
    }
  }
}

/* Whether a measurement or a tempering step, which need the energies, follows the given sweep. */
static PetscBool EnergiesNeededAfter(const Simulation *sim, int64_t sweep)
{
  const GlassyOptions *opt = sim->opt;
  return (PetscBool)(sweep % opt->measure_interval == 0 || (opt->pt_interval > 0 && sim->nT > 1 && sweep % opt->pt_interval == 0));
}

/* The energies and magnetisations from this rank's counts buf (as CountEnergies leaves them),
 * summed over the ranks. */
static PetscErrorCode EnergiesFinish(Simulation *sim, int64_t *buf)
{
  const int64_t ns = (int64_t)sim->nslots * sim->lanes;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, buf, (int)(2 * ns), MPI_INT64_T, MPI_SUM, sim->comm));
  for (int64_t i = 0; i < ns; i++) {
    sim->energy[i] = sim->cpl->bimodal ? (2 * buf[i] - sim->lat->N * sim->lat->dim) * ((int64_t)1 << GLASSY_FIX_SHIFT) : buf[i];
    sim->magnet[i] = sim->lat->N - 2 * buf[ns + i];
  }
  sim->energy_sweep = sim->sweep;
  PetscFunctionReturn(0);
}

/* Bit planes of a site's count of unsatisfied bonds in the slot kernel's tally (sweep.h). */
static int TallyPlanes(const Simulation *sim) { return sim->lat->dim <= 3 ? 3 : 4; }

/* The slot kernel's tally turned into this rank's counts and then the energies. */
static PetscErrorCode TallyFinish(Simulation *sim, const SweepTally *tally)
{
  const int     W = sim->W, lanes = sim->lanes, G = sim->slot_stride / 8, planes = TallyPlanes(sim);
  const int64_t ns = (int64_t)sim->nslots * lanes, late1 = (int64_t)sim->slot_stride * lanes;
  int64_t      *buf = sim->energy_counts;
  PetscFunctionBeginUser;
  for (int64_t i = 0; i < ns; i++) { /* the slots below nslots come first in both layouts */
    buf[i]      = tally->late[late1 + i];
    buf[ns + i] = tally->late[i];
  }
  for (int g = 0; g < G; g++)
    for (int w = 0; w < W; w++) {
      const int ne = PetscMin(sim->nslots - 8 * g, 8);
      int64_t  *o[8], *e[8];
      for (int k = 0; k < ne; k++) {
        o[k] = buf + ns + (int64_t)(8 * g + k) * lanes + 64 * w;
        e[k] = buf + (int64_t)(8 * g + k) * lanes + 64 * w;
      }
      VSum8Extract(&tally->sums[w * G + g], ne, 1, o);
      for (int i = 0; i < planes; i++) VSum8Extract(&tally->sums[((int64_t)(1 + i) * W + w) * G + g], ne, (int64_t)1 << i, e);
    }
  PetscCall(EnergiesFinish(sim, buf));
  PetscFunctionReturn(0);
}

PetscErrorCode SimulationSweep(Simulation *sim)
{
  double      t0 = MPI_Wtime(), t1;
  SweepTally  tally_store, *tally = NULL;
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(EV_SWEEP, 0, 0, 0, 0));
  /* A sweep followed by a measurement or a tempering step counts the energies as it goes, when
   * the slot kernel can (it costs far less than a pass of its own over the lattice). */
  if (sim->tally_late && EnergiesNeededAfter(sim, sim->sweep + 1)) {
    const int G = sim->slot_stride / 8, planes = TallyPlanes(sim);
    tally             = &tally_store;
    tally->sums       = sim->energy_sums;
    tally->late       = sim->tally_late;
    for (int i = 0; i < (1 + planes) * G * sim->W; i++) VSum8Zero(&tally->sums[i]);
    PetscCall(PetscArrayzero(tally->late, 2 * (int64_t)sim->slot_stride * sim->lanes));
  }
  for (int c = 0; c < 2; c++) {
    if (tally) tally->bonds = c == 1; /* every bond has one end of colour 1, whose neighbours are final by then */
    PetscCall(HaloPostReceives(sim->halo, c));
    UpdateSites(sim, c, 0, sim->lat->nboundary[c], tally);
    PetscCall(HaloSend(sim->halo, c));
    /* The interior in a few pieces, with the messages progressed between them: Open MPI moves a
     * large message only inside MPI calls of the receiver, so without this the whole transfer
     * (and any wait for a late neighbour) fell into HaloEnd. */
    {
      const int64_t nb = sim->lat->nboundary[c], ni = sim->lat->nsites[c] - nb, nchunk = sim->halo->nreq ? 8 : 1;
      for (int64_t k = 0; k < nchunk; k++) {
        UpdateSites(sim, c, nb + ni * k / nchunk, nb + ni * (k + 1) / nchunk, tally);
        if (k + 1 < nchunk) PetscCall(HaloProgress(sim->halo, c));
      }
    }
    t1 = MPI_Wtime();
    PetscCall(PetscLogEventBegin(EV_HALO, 0, 0, 0, 0));
    PetscCall(HaloEnd(sim->halo, c));
    PetscCall(PetscLogEventEnd(EV_HALO, 0, 0, 0, 0));
    sim->timer[TIMER_HALO_WAIT] += MPI_Wtime() - t1;
    PetscCall(HaloCopySelf(sim->halo, c)); /* sweep time, not waiting */
  }
  PetscCall(PetscLogEventEnd(EV_SWEEP, 0, 0, 0, 0));
  sim->sweep++;
  t1 = MPI_Wtime();
  sim->timer[TIMER_SWEEP] += t1 - t0;
  if (tally) { /* the counts' extraction and reduction are measurement time */
    PetscCall(TallyFinish(sim, tally));
    sim->timer[TIMER_MEASURE] += MPI_Wtime() - t1;
  }
  PetscFunctionReturn(0);
}

#if GLASSY_X86_VAES
#include <immintrin.h>
#define HAVE_REAL_ENERGIES_AVX512 1
enum { GLASSY_MAX_SLOTS_FAST = 1024 }; /* slots of the fast path (its per-site buffer) */
/* The real-coupling energies of CountEnergies for site p, word w, every slot: E += -J where the
 * spins agree, +J where they differ, as -Jsum + 2 J over the differing bonds, eight lanes per
 * masked addition (the mask is a byte of the differing-bonds word).  Same integers as the portable
 * loop: J is a multiple of 2^-32, so J 2^32 converts exactly. */
__attribute__((target("avx512f,avx512dq"))) static void RealEnergiesAvx512(const Simulation *sim, int64_t p, int w, int64_t *buf)
{
  const Lattice  *lat = sim->lat;
  const int       d = lat->dim, lanes = sim->lanes, ns = sim->nslots;
  const int64_t   ps = (int64_t)sim->W * sim->slot_stride;
  const uint64_t *S = sim->spins + SimulationSpinIndex(sim, 0, p, w);
  uint64_t        x[GLASSY_MAX_DIM][GLASSY_MAX_SLOTS_FAST];
  for (int k = 0; k < d; k++)
    for (int s = 0; s < ns; s++) x[k][s] = S[s] ^ S[s + lat->stride[k] * ps];
  for (int c = 0; c < 8; c++) {
    __m512i J2[GLASSY_MAX_DIM], Jsum = _mm512_setzero_si512();
    for (int k = 0; k < d; k++) {
      const __m512i J = _mm512_cvttpd_epi64(_mm512_mul_pd(_mm512_loadu_pd(sim->cpl->J + (p * d + k) * lanes + 64 * w + 8 * c), _mm512_set1_pd(GLASSY_FIX_ONE)));
      Jsum            = _mm512_add_epi64(Jsum, J);
      J2[k]           = _mm512_add_epi64(J, J);
    }
    for (int s = 0; s < ns; s++) {
      int64_t *E = buf + (int64_t)s * lanes + 64 * w + 8 * c;
      __m512i  e = _mm512_sub_epi64(_mm512_loadu_si512(E), Jsum);
      for (int k = 0; k < d; k++) e = _mm512_mask_add_epi64(e, _load_mask8((__mmask8 *)&x[k][s] + c), e, J2[k]); /* byte c of the little-endian word */
      _mm512_storeu_si512(E, e);
    }
  }
}
#endif

/* This rank's counts: buf[s lanes + l] the unsatisfied bonds (bimodal) or the energy in fixed point
 * (real couplings) of slot s, lane l; buf[ns + s lanes + l] its down spins.  The slots of a site
 * are contiguous, so eight slots are counted at once (VSum8); loads past the last slot read
 * other words (the spin array has room for them), whose counts are dropped. */
GLASSY_CLONES static void CountEnergies(const Simulation *sim, int64_t *buf, VSum8 *up, VSum8 *un, VSum8 *un2)
{
  const Lattice *lat = sim->lat;
  const int      d = lat->dim, W = sim->W, lanes = sim->lanes, G = (sim->nslots + 7) / 8;
  const int64_t  ns = (int64_t)sim->nslots * lanes, ps = (int64_t)W * sim->slot_stride;
  const int      bimodal = sim->cpl->bimodal;
#if HAVE_REAL_ENERGIES_AVX512
  const int fast_real = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
#endif

  for (int i = 0; i < G * W; i++) {
    VSum8Zero(&up[i]);
    VSum8Zero(&un[i]);
    VSum8Zero(&un2[i]);
  }
  if (bimodal)
    for (int64_t i = 0; i < lat->nlocal; i++) {
      const int64_t p = lat->owned[i];
      for (int w = 0; w < W; w++) {
        const uint64_t *S = sim->spins + SimulationSpinIndex(sim, 0, p, w);
        for (int g = 0; g < G; g++) {
          /* The unsatisfied bonds: the first three summed by a carry-save adder into un (weight
           * 1) and un2 (weight 2), so that each counter takes one word per site. */
          const VWord x = VWordLoad(S + 8 * g);
          VWord       u[GLASSY_MAX_DIM], sum, carry;
          VSum8Add(&up[g * W + w], x);
          for (int k = 0; k < d; k++) u[k] = x ^ VWordLoad(S + 8 * g + lat->stride[k] * ps) ^ sim->cpl->bits[(p * d + k) * W + w];
          if (d == 2) {
            sum   = u[0] ^ u[1];
            carry = u[0] & u[1];
          } else VCount8CSA(&carry, &sum, u[0], u[1], u[2]);
          VSum8Add(&un[g * W + w], sum);
          VSum8Add(&un2[g * W + w], carry);
          for (int k = 3; k < d; k++) VSum8Add(&un[g * W + w], u[k]);
        }
      }
    }
  if (!bimodal) /* E += J s_i s_j per lane: +J where the spins differ (-1 bits), -J where equal */
    for (int64_t i = 0; i < lat->nlocal; i++) {
      const int64_t p = lat->owned[i];
      for (int w = 0; w < W; w++) {
        const uint64_t *S = sim->spins + SimulationSpinIndex(sim, 0, p, w);
        for (int g = 0; g < G; g++) VSum8Add(&up[g * W + w], VWordLoad(S + 8 * g));
#if HAVE_REAL_ENERGIES_AVX512
        if (fast_real && sim->nslots <= GLASSY_MAX_SLOTS_FAST) {
          RealEnergiesAvx512(sim, p, w, buf);
          continue;
        }
#endif
        for (int k = 0; k < d; k++) {
          const double *J = sim->cpl->J + (p * d + k) * lanes + 64 * w;
          int64_t       Jfix[64];
          for (int b = 0; b < 64; b++) Jfix[b] = (int64_t)(J[b] * GLASSY_FIX_ONE);
          for (int s = 0; s < sim->nslots; s++) {
            const uint64_t x = S[s] ^ S[s + lat->stride[k] * ps];
            int64_t       *E = buf + (int64_t)s * lanes + 64 * w;
            for (int c = 0; c < 8; c++) { /* eight lanes per vector */
              const VWord t = (((VWord){0} + (x >> (8 * c))) >> (VWord){0, 1, 2, 3, 4, 5, 6, 7} & 1) - 1; /* 0 where they differ, all ones where equal */
              VWord       e = VWordLoad((const uint64_t *)E + 8 * c);
              e += (VWordLoad((const uint64_t *)Jfix + 8 * c) ^ t) - t; /* two's complement: +J or -J */
              memcpy(E + 8 * c, &e, sizeof e);
            }
          }
        }
      }
    }
  for (int g = 0; g < G; g++)
    for (int w = 0; w < W; w++) {
      const int ne = sim->nslots - 8 * g < 8 ? sim->nslots - 8 * g : 8;
      int64_t  *o[8], *e[8];
      for (int k = 0; k < ne; k++) {
        o[k] = buf + ns + (int64_t)(8 * g + k) * lanes + 64 * w;
        e[k] = buf + (int64_t)(8 * g + k) * lanes + 64 * w;
      }
      VSum8Extract(&up[g * W + w], ne, 1, o);
      if (bimodal) { /* unsatisfied bonds, converted below */
        VSum8Extract(&un[g * W + w], ne, 1, e);
        VSum8Extract(&un2[g * W + w], ne, 2, e);
      }
    }
}

PetscErrorCode SimulationComputeEnergies(Simulation *sim)
{
  const int     G  = (sim->nslots + 7) / 8;
  const int64_t ns = (int64_t)sim->nslots * sim->lanes;
  int64_t      *buf = sim->energy_counts; /* [energy | ones] */
  VSum8         *up = sim->energy_sums, *un = up + G * sim->W, *un2 = un + G * sim->W;

  PetscFunctionBeginUser;
  if (sim->energy_sweep == sim->sweep) PetscFunctionReturn(0);
  PetscCall(PetscArrayzero(buf, 2 * ns));
  CountEnergies(sim, buf, up, un, un2);
  PetscCall(EnergiesFinish(sim, buf));
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
