/* Kernel tests:
 *  1. the multispin kernels make exactly the decisions of the reference kernels (bimodal and
 *     Gaussian, every dimension, Metropolis and heat bath, with tempering between sweeps); the
 *     real-coupling kernel's polynomial exp stays within the error bound its guard assumes;
 *  2. the energy kept incrementally by the kernels that keep it (the reference kernels and the
 *     real-coupling multispin kernel) equals the energy recomputed from
 *     the configurations, for bimodal and Gaussian couplings, across tempering swaps;
 *  3. the energies and magnetisations the slot kernel counts during a sweep (its tally) equal
 *     those recomputed from the configurations after it, including the corrections for the
 *     vectors decided late. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ARS_REFERENCE 1
#define R123_USE_AES_NI 1 /* Random123's ars4x32, compiled below for AES-NI, is the reference for ARS */
#endif
#include "options.h"
#include "simulation.h"
#include "testing.h"
#include "rng.h"

#if ARS_REFERENCE
#pragma GCC push_options
#pragma GCC target("aes,sse4.1")
#include <Random123/ars.h>
static void ArsReference(const uint32_t c[4], const uint32_t k[4], uint32_t out[4])
{
  const ars4x32_ctr_t cc = {{c[0], c[1], c[2], c[3]}};
  const ars4x32_key_t kk = {{k[0], k[1], k[2], k[3]}};
  const ars4x32_ctr_t r  = ars4x32_R(7, cc, kk);
  for (int i = 0; i < 4; i++) out[i] = r.v[i];
}
#pragma GCC pop_options
#endif

static PetscErrorCode Advance(Simulation *sim, int sweeps)
{
  PetscFunctionBeginUser;
  for (int i = 0; i < sweeps; i++) {
    PetscCall(SimulationSweep(sim));
    if (sim->sweep % 3 == 0) PetscCall(TemperingStep(sim));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode CompareKernels(MPI_Comm comm, const char *base)
{
  GlassyOptions o1, o2;
  Simulation   *ref, *ms;
  char          s[512];
  int64_t       diff = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(s, sizeof s, "%s -kernel reference", base));
  PetscCall(TestingSetOptions(s));
  PetscCall(OptionsProcess(comm, &o1));
  PetscCall(SimulationCreate(comm, &o1, &ref));
  PetscCall(PetscSNPrintf(s, sizeof s, "%s -kernel multispin", base));
  PetscCall(TestingSetOptions(s));
  PetscCall(OptionsProcess(comm, &o2));
  PetscCall(SimulationCreate(comm, &o2, &ms));
  if (ms->cpl->bimodal) CHECK(ms->all_slots == (ms->nslots >= 8), "%s: %d slots but the slot kernel is %s", base, ms->nslots, ms->all_slots ? "on" : "off");
  PetscCall(Advance(ref, 40));
  PetscCall(Advance(ms, 40));
  for (int s = 0; s < ref->nslots; s++)
    for (int64_t i = 0; i < ref->lat->nlocal; i++)
      for (int w = 0; w < ref->W; w++) {
        const int64_t at = SimulationSpinIndex(ref, s, ref->lat->owned[i], w);
        diff += ref->spins[at] != ms->spins[at];
      }
  CHECK(diff == 0, "%s: %lld words differ between reference and multispin kernels", base, (long long)diff);
  {
    int64_t flips = 0; /* the trajectory must actually move */
    for (int64_t i = 0; i < ref->lat->npadded * ref->W * ref->slot_stride; i++) flips += ref->spins[i] != 0;
    CHECK(flips > 0, "%s: no spin is down after 40 sweeps", base);
  }
  PetscCall(SimulationDestroy(&ref));
  PetscCall(SimulationDestroy(&ms));
  PetscCall(OptionsDestroy(&o1));
  PetscCall(OptionsDestroy(&o2));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckTrackedEnergy(MPI_Comm comm, const char *opts)
{
  GlassyOptions o;
  Simulation   *sim;
  int64_t       bad = 0, moved = 0;
  int64_t      *start, *tracked;

  PetscFunctionBeginUser;
  PetscCall(TestingSetOptions(opts));
  PetscCall(OptionsProcess(comm, &o));
  PetscCall(SimulationCreate(comm, &o, &sim));
  PetscCall(SimulationTrackEnergy(sim));
  PetscCall(PetscMalloc1((int64_t)sim->nslots * sim->lanes, &start));
  PetscCall(PetscArraycpy(start, sim->energy, (int64_t)sim->nslots * sim->lanes));
  PetscCall(Advance(sim, 25));
  PetscCall(SimulationComputeEnergies(sim));
  PetscCall(PetscMalloc1((int64_t)sim->nslots * sim->lanes, &tracked));
  PetscCall(SimulationTrackedEnergy(sim, tracked));
  for (int64_t i = 0; i < (int64_t)sim->nslots * sim->lanes; i++) {
    if (tracked[i] != sim->energy[i]) {
      if (!bad) CHECK(0, "%s: slot-lane %lld: incremental %.17g != from scratch %.17g", opts, (long long)i, tracked[i] / GLASSY_FIX_ONE, sim->energy[i] / GLASSY_FIX_ONE);
      bad++;
    }
    moved += start[i] != sim->energy[i];
  }
  CHECK(bad == 0, "%s: %lld energies differ", opts, (long long)bad);
  CHECK(moved > 0, "%s: no energy changed in 25 sweeps", opts);
  PetscCall(PetscFree(start));
  PetscCall(PetscFree(tracked));
  PetscCall(SimulationDestroy(&sim));
  PetscCall(OptionsDestroy(&o));
  PetscFunctionReturn(0);
}

/* Sweeps that each precede a measurement, so that the slot kernel keeps its tally every time:
 * its energies and magnetisations must be those recomputed from scratch.  Adds to *late the
 * lanes whose counts the late-decided vectors corrected. */
static PetscErrorCode CheckTally(MPI_Comm comm, const char *base, int64_t *late)
{
  GlassyOptions o;
  Simulation   *sim;
  char          s[512];
  int64_t       bad = 0, n;
  int64_t      *energy, *magnet;

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(s, sizeof s, "%s -measure_interval 1", base));
  PetscCall(TestingSetOptions(s));
  PetscCall(OptionsProcess(comm, &o));
  PetscCall(SimulationCreate(comm, &o, &sim));
  n = (int64_t)sim->nslots * sim->lanes;
  CHECK(sim->tally_late, "%s: the slot kernel keeps no tally on this CPU", base);
  PetscCall(PetscMalloc2(n, &energy, n, &magnet));
  for (int i = 0; i < 30 && sim->tally_late; i++) {
    int64_t lanes_late = 0;
    PetscCall(SimulationSweep(sim));
    CHECK(sim->energy_sweep == sim->sweep, "%s: sweep %lld: no energies counted", base, (long long)sim->sweep);
    for (int64_t j = 0; j < 2 * (int64_t)sim->slot_stride * sim->lanes; j++) lanes_late += sim->tally_late[j] != 0;
    *late += lanes_late;
    PetscCall(PetscArraycpy(energy, sim->energy, n));
    PetscCall(PetscArraycpy(magnet, sim->magnet, n));
    sim->energy_sweep = -1;
    PetscCall(SimulationComputeEnergies(sim));
    for (int64_t j = 0; j < n; j++)
      if (energy[j] != sim->energy[j] || magnet[j] != sim->magnet[j]) {
        if (!bad) CHECK(0, "%s: sweep %lld, slot-lane %lld: counted energy %g, magnetisation %lld; recomputed %g, %lld", base, (long long)sim->sweep, (long long)j, energy[j] / GLASSY_FIX_ONE, (long long)magnet[j], sim->energy[j] / GLASSY_FIX_ONE, (long long)sim->magnet[j]);
        bad++;
      }
    if (i % 3 == 2) PetscCall(TemperingStep(sim));
  }
  CHECK(bad == 0, "%s: %lld counted energies or magnetisations differ", base, (long long)bad);
  PetscCall(PetscFree2(energy, magnet));
  PetscCall(SimulationDestroy(&sim));
  PetscCall(OptionsDestroy(&o));
  PetscFunctionReturn(0);
}

/* The overlap counts (vertical counters row by row) equal the plain per-site, per-lane loop's,
 * after sweeps and tempering steps have mixed the configurations. */
static PetscErrorCode CheckOverlapCounts(MPI_Comm comm, const char *opts)
{
  GlassyOptions o;
  Simulation   *sim;
  int64_t      *fast, *ref, n, bad = 0;

  PetscFunctionBeginUser;
  PetscCall(TestingSetOptions(opts));
  PetscCall(OptionsProcess(comm, &o));
  PetscCall(SimulationCreate(comm, &o, &sim));
  n = (int64_t)sim->nT * sim->npairs * (2 + sim->lat->dim * sim->lat->L) * sim->lanes;
  PetscCall(PetscMalloc2(n, &fast, n, &ref));
  for (int i = 0; i < 3; i++) {
    PetscCall(Advance(sim, 4));
    ObservablesOverlapCounts(sim, fast);
    ObservablesOverlapCountsReference(sim, ref);
    for (int64_t j = 0; j < n; j++)
      if (fast[j] != ref[j]) {
        if (!bad) CHECK(0, "%s: after %lld sweeps, overlap count %lld is %lld, the reference's %lld", opts, (long long)sim->sweep, (long long)j, (long long)fast[j], (long long)ref[j]);
        bad++;
      }
  }
  CHECK(bad == 0, "%s: %lld overlap counts differ from the reference's", opts, (long long)bad);
  PetscCall(PetscFree2(fast, ref));
  PetscCall(SimulationDestroy(&sim));
  PetscCall(OptionsDestroy(&o));
  PetscFunctionReturn(0);
}

/* Two simulations made from the same options, for the checks that run two paths side by side. */
static PetscErrorCode TwinsCreate(MPI_Comm comm, const char *opts, GlassyOptions *o, Simulation *sim[2])
{
  PetscFunctionBeginUser;
  PetscCall(TestingSetOptions(opts));
  PetscCall(OptionsProcess(comm, o));
  for (int k = 0; k < 2; k++) PetscCall(SimulationCreate(comm, o, &sim[k]));
  PetscFunctionReturn(0);
}

static PetscErrorCode TwinsDestroy(GlassyOptions *o, Simulation *sim[2])
{
  PetscFunctionBeginUser;
  for (int k = 0; k < 2; k++) PetscCall(SimulationDestroy(&sim[k]));
  PetscCall(OptionsDestroy(o));
  PetscFunctionReturn(0);
}

/* The padded spin words (halos and padding slots included) in which the twins differ. */
static int64_t TwinsSpinsDiffer(Simulation *const sim[2])
{
  int64_t diff = 0;
  for (int64_t j = 0; j < sim[0]->lat->npadded * sim[0]->W * sim[0]->slot_stride; j++) diff += sim[0]->spins[j] != sim[1]->spins[j];
  return diff;
}

/* The tempering step's vector application of the swaps leaves every padded word as the plain
 * loop does, through sweeps with a tempering step after each. */
static PetscErrorCode CheckTempering(MPI_Comm comm, const char *opts)
{
  GlassyOptions o;
  Simulation   *sim[2];
  int64_t       diff = 0, accepted = 0;

  PetscFunctionBeginUser;
  PetscCall(TwinsCreate(comm, opts, &o, sim));
  for (int i = 0; i < 12; i++) {
    for (int k = 0; k < 2; k++) {
      PetscCall(SimulationSweep(sim[k]));
      TemperingForcePortable(k == 1);
      PetscCall(TemperingStep(sim[k]));
    }
    diff += TwinsSpinsDiffer(sim);
  }
  TemperingForcePortable(0);
  for (int64_t i = 0; i < (int64_t)(sim[0]->nT - 1) * sim[0]->lanes; i++) accepted += sim[0]->swap_accepts[i];
  CHECK(diff == 0, "%s: %lld words differ between the vector and plain swaps", opts, (long long)diff);
  CHECK(accepted > 0, "%s: no swap was accepted", opts);
  PetscCall(TwinsDestroy(&o, sim));
  PetscFunctionReturn(0);
}

/* The sweeps' site order changes no result: slabs of two rows (forced by an oversized site
 * record) against the default order, through sweeps and tempering steps. */
static PetscErrorCode CheckSiteOrder(MPI_Comm comm, const char *opts)
{
  GlassyOptions o;
  Simulation   *sim[2];
  int64_t       moved = 0, diff = 0;

  PetscFunctionBeginUser;
  PetscCall(TwinsCreate(comm, opts, &o, sim));
  PetscCall(LatticeOrderSites(sim[1]->lat, (size_t)1 << 40));
  for (int c = 0; c < 2; c++)
    for (int64_t i = 0; i < sim[0]->lat->nsites[c]; i++) moved += sim[0]->lat->sites[c][i] != sim[1]->lat->sites[c][i];
  for (int i = 0; i < 8; i++)
    for (int k = 0; k < 2; k++) {
      PetscCall(SimulationSweep(sim[k]));
      if (i % 2) PetscCall(TemperingStep(sim[k]));
    }
  diff = TwinsSpinsDiffer(sim);
  for (int64_t j = 0; j < (int64_t)sim[0]->nslots * sim[0]->lanes; j++) diff += sim[0]->energy[j] != sim[1]->energy[j];
  CHECK(moved > 0, "%s: slabs of two rows give the default order", opts);
  CHECK(diff == 0, "%s: %lld words or energies differ between the two site orders", opts, (long long)diff);
  PetscCall(TwinsDestroy(&o, sim));
  PetscFunctionReturn(0);
}

/* The vertical counters' vector extraction adds what the plain loop adds. */
static void CheckCountExtract(void)
{
#if VCOUNT_AVX512
  if (!__builtin_cpu_supports("avx512bw") || !__builtin_cpu_supports("avx512dq")) return;
  uint64_t x = 0x9E3779B97F4A7C15u;
  int      bad = 0;
  for (int trial = 0; trial < 200; trial++) {
    uint64_t plane[VCOUNT_PLANES] = {0};
    int64_t  a[64], b[64];
    const int     top    = trial % (VCOUNT_PLANES + 1);
    const int64_t weight = 1 + trial % 5;
    for (int i = 0; i < top; i++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      plane[i] = trial % 3 ? x : ~(uint64_t)0; /* all ones: the largest counts */
    }
    for (int l = 0; l < 64; l++) a[l] = b[l] = l - 7;
    VCountExtractPlain(plane, weight, a);
    VCountExtractAvx512(plane, weight, b);
    for (int l = 0; l < 64; l++) bad += a[l] != b[l];
  }
  CHECK(bad == 0, "VCountExtractAvx512 differs from the plain loop in %d counts", bad);
#endif
}

/* The vectorised RngDrawMany equals Random123's philox4x32 draw for draw (n not a multiple of
 * the vector length, so the scalar tail is covered too). */
static void CheckDrawMany(void)
{
  enum { n = 1000 };
  static uint32_t k0[n], k1[n], c0[n], c2[n], out[4 * n];
  int             bad = 0;
  for (int d = 0; d < n; d++) {
    k0[d] = 2654435761u * (uint32_t)d;
    k1[d] = (uint32_t)d ^ 0xdeadbeefu;
    c0[d] = (uint32_t)d * 7u + 3u;
    c2[d] = 0xffffffffu - (uint32_t)d;
  }
  RngDrawMany(n, k0, k1, c0, c2, 123456789u, RNG_UPDATE_LANE, 1, out);
  for (int d = 0; d < n; d++) {
    const RngKey           key = {{k0[d], k1[d]}};
    const philox4x32_ctr_t r   = RngDraw(key, c0[d], 123456789u, c2[d], RNG_UPDATE_LANE, 1);
    for (int k = 0; k < 4; k++)
      if (out[4 * d + k] != r.v[k] && bad++ < 5) CHECK(0, "RngDrawMany draw %d output %d: %u != philox4x32 %u", d, k, out[4 * d + k], r.v[k]);
  }
  CHECK(bad == 0, "RngDrawMany: %d outputs differ from philox4x32", bad);
}

/* RngDraw16 (AVX-512 where available) and its portable version equal single philox4x32 draws. */
static void CheckDraw16(void)
{
  uint32_t keys[2][16], ctr[4][16], out[64], port[64];
  int      bad = 0, badp = 0;
  for (int l = 0; l < 16; l++) {
    for (int i = 0; i < 4; i++) ctr[i][l] = 2654435761u * (uint32_t)(4 * l + i + 1);
    keys[0][l] = 99u + (uint32_t)l;
    keys[1][l] = 0x9e3779b9u * (uint32_t)(l + 7);
  }
  RngDraw16((const uint32_t(*)[16])keys, (const uint32_t(*)[16])ctr, out);
  RngDraw16Portable((const uint32_t(*)[16])keys, (const uint32_t(*)[16])ctr, port);
  for (int l = 0; l < 16; l++) {
    const philox4x32_key_t k = {{keys[0][l], keys[1][l]}};
    const philox4x32_ctr_t c = {{ctr[0][l], ctr[1][l], ctr[2][l], ctr[3][l]}}, r = philox4x32(c, k);
    for (int k = 0; k < 4; k++) {
      bad += out[4 * l + k] != r.v[k];
      badp += port[4 * l + k] != r.v[k];
    }
  }
  CHECK(bad == 0, "RngDraw16: %d outputs differ from philox4x32", bad);
  CHECK(badp == 0, "RngDraw16Portable: %d outputs differ from philox4x32", badp);
#if defined(__x86_64__) && defined(__GNUC__)
  if (!__builtin_cpu_supports("avx512f")) printf("test_kernels: this CPU has no AVX-512, so RngDraw16 ran its portable path only\n");
#endif
}

/* ARS-7, the RNG_UPDATE stream: the portable AES, AES-NI and the VAES path of RngUpdateSites16
 * agree with each other and with Random123's ars4x32 (on CPUs with AES-NI). */
static void CheckArs(void)
{
  const RngKey key = RngKeyMake(4242u, 192u);
  int          bad = 0, badp = 0, badw = 0, bads = 0, checked_reference = 0;
  uint32_t     c0[16], sites[64];
  for (int i = 0; i < 2000; i++) {
    const uint32_t c[4] = {2654435761u * (uint32_t)i, 0x9e3779b9u ^ (uint32_t)i, (uint32_t)i * 7u, 0xffffffffu - (uint32_t)i}, k[4] = {(uint32_t)i * 13u, 0xdeadbeefu, i % 3 ? 0u : (uint32_t)i, i % 5 ? 0u : 0xffffffffu};
    uint32_t       fast[4], port[4];
    RngArs(c, k, fast);
    RngArsPortable(c, k, port);
    for (int j = 0; j < 4; j++) badp += fast[j] != port[j];
#if ARS_REFERENCE
    if (__builtin_cpu_supports("aes")) {
      uint32_t ref[4];
      ArsReference(c, k, ref);
      for (int j = 0; j < 4; j++) bad += port[j] != ref[j];
      checked_reference = 1;
    }
#endif
  }
  CHECK(bad == 0, "ARS: %d outputs of the portable version differ from Random123's ars4x32", bad);
  CHECK(badp == 0, "ARS: %d outputs of RngArs differ from the portable version", badp);
  if (!checked_reference) printf("test_kernels: no AES-NI here, so ARS was not compared with Random123's ars4x32\n");
  for (int l = 0; l < 16; l++) c0[l] = 1000u + 37u * (uint32_t)l;
  RngUpdateSites16(key, c0, 678u, 9u, 5u, sites);
  for (int l = 0; l < 16; l++) {
    uint64_t       w[2];
    const uint32_t c[4] = {c0[l], 678u, 9u, ((uint32_t)RNG_UPDATE << 24) | 5u}, k[4] = {key.v[0], key.v[1], 0, 0};
    uint32_t       port[4];
    RngUpdateWords2(key, c0[l], 678u, 9u, 5u, w);
    RngArsPortable(c, k, port);
    badw += w[0] != ((uint64_t)port[0] | ((uint64_t)port[1] << 32)) || w[1] != ((uint64_t)port[2] | ((uint64_t)port[3] << 32));
    for (int j = 0; j < 4; j++) bads += sites[4 * l + j] != port[j];
  }
  CHECK(badw == 0, "RngUpdateWords2: %d draws differ from ARS", badw);
  CHECK(bads == 0, "RngUpdateSites16: %d outputs differ from ARS", bads);
  {
    uint32_t       rounds[4][64];
    const uint32_t sites4[4] = {12345u, 7u, 0xfffffff0u, 12345u};
    int            badl = 0, badr = 0;
    RngUpdateLaneSites4(key, sites4, 678u, 9u, rounds);
    for (int s = 0; s < 4; s++)
      for (int i = 0; i < 16; i++) {
        const uint32_t c[4] = {sites4[s], 678u, 9u, ((uint32_t)RNG_UPDATE_LANE << 24) | (uint32_t)i}, k[4] = {key.v[0], key.v[1], 0, 0};
        uint32_t       port[4], lane[4];
        RngArsPortable(c, k, port);
        RngUpdateLane(key, sites4[s], 678u, 9u, (uint32_t)i, lane);
        for (int j = 0; j < 4; j++) {
          badl += lane[j] != port[j];
          badr += rounds[s][4 * i + j] != port[j];
        }
      }
    CHECK(badl == 0, "RngUpdateLane: %d outputs differ from ARS", badl);
    CHECK(badr == 0, "RngUpdateLaneSites4: %d outputs differ from ARS", badr);
  }
}

/* The real kernel settles a lane with its polynomial exp only when the uniform is more than a
 * relative 2^-24 away from the threshold; the polynomial's error must stay far inside that. */
static void CheckExpPoly(void)
{
  enum { n = 1 << 16 };
  static double x[n], y[n];
  double        worst = 0, at = 0;
  for (int i = 0; i < n; i++) x[i] = -80.0 + 160.0 * i / (n - 1);
  for (int i = 0; i < n; i++) x[i] += 1e-7 * ((i * 7919) % 13); /* not only grid points */
  for (int i = 0; i < n; i++) x[i] = PetscMin(80.0, x[i]);
  SweepRealExpPoly(x, y, n);
  for (int i = 0; i < n; i++) {
    const double rel = fabs(y[i] / exp(x[i]) - 1);
    if (!(rel <= worst)) worst = rel, at = x[i];
  }
  CHECK(worst < 0x1p-26, "polynomial exp: relative error %.3g at x = %.17g, above 2^-26", worst, at);
}

/* The single-precision exp of the AVX-512 real-coupling kernel: its guard band (2^-16) assumes
 * a relative error below 2^-21 on |x| <= 80 (compared with the double exp of the float input). */
static void CheckExpPolyF(void)
{
  enum { n = 1 << 16 };
  static float x[n], y[n];
  double       worst = 0, at = 0;
  for (int i = 0; i < n; i++) x[i] = (float)PetscMin(80.0, -80.0 + 160.0 * i / (n - 1) + 1e-5 * ((i * 7919) % 13));
  if (!SweepRealExpPolyF(x, y, n)) return; /* no AVX-512 kernel here */
  for (int i = 0; i < n; i++) {
    const double rel = fabs(y[i] / exp((double)x[i]) - 1);
    if (!(rel <= worst)) worst = rel, at = x[i];
  }
  CHECK(worst < 0x1p-21, "single-precision polynomial exp: relative error %.3g at x = %.9g, above 2^-21", worst, at);
}

static PetscErrorCode RunAll(MPI_Comm comm)
{
  static const char *compare[] = {
    "-dim 2 -L 8 -samples 64 -ntemps 4 -tmin 0.5 -tmax 2.5 -update metropolis",
    "-dim 3 -L 6 -samples 100 -ntemps 3 -tmin 0.7 -tmax 2.0 -update metropolis -seed 7",
    "-dim 3 -L 4 -samples 64 -ntemps 3 -tmin 0.4 -tmax 1.5 -update heatbath -replicas 3",
    "-dim 4 -L 4 -samples 64 -ntemps 2 -tmin 1.5 -tmax 3.0 -update metropolis",
    "-dim 4 -L 4 -samples 20 -ntemps 2 -tmin 1.0 -tmax 3.0 -update heatbath",
    /* eight slots or more: the slot-vectorised kernel, with slots of different classes in one
     * vector, a lone last vector of eight, padding slots, two words per site and d = 4 */
    "-dim 3 -L 6 -samples 100 -ntemps 12 -tmin 0.2 -tmax 3.0 -update metropolis -seed 3",
    "-dim 4 -L 4 -samples 64 -ntemps 5 -tmin 0.3 -tmax 3.0 -update heatbath -seed 5",
    "-dim 2 -L 8 -samples 64 -ntemps 9 -tmin 0.1 -tmax 5.0 -update heatbath -seed 11",
    /* 72 slots, nine vectors a site (the queue of undecided vectors fills within a site): the
     * specialised paths of the benchmark (Metropolis classes 0..2, and 1..2 when class 0 never
     * flips) and heat bath */
    "-dim 3 -L 4 -samples 64 -ntemps 36 -tmin 0.6 -tmax 2.0 -update metropolis -seed 13",
    "-dim 3 -L 4 -samples 64 -ntemps 36 -tmin 0.2 -tmax 0.5 -update metropolis -seed 17",
    "-dim 3 -L 4 -samples 64 -ntemps 36 -tmin 0.3 -tmax 3.0 -update heatbath -seed 19",
    "-dim 2 -L 8 -samples 64 -ntemps 4 -tmin 0.3 -tmax 2.5 -update metropolis -couplings gaussian",
    "-dim 3 -L 6 -samples 100 -ntemps 3 -tmin 0.5 -tmax 2.0 -update metropolis -couplings gaussian -seed 7",
    "-dim 3 -L 4 -samples 64 -ntemps 3 -tmin 0.2 -tmax 1.5 -update heatbath -couplings gaussian -replicas 3",
    "-dim 4 -L 4 -samples 20 -ntemps 2 -tmin 1.0 -tmax 3.0 -update heatbath -couplings gaussian",
    /* temperatures so low that the float kernel's band is too wide to settle anything: every
     * lane takes the exact path */
    "-dim 2 -L 6 -samples 64 -ntemps 2 -tmin 1e-7 -tmax 1e-6 -update metropolis -couplings gaussian",
  };
  static const char *tracked[] = {
    "-dim 3 -L 4 -samples 64 -ntemps 3 -tmin 0.5 -tmax 2.0 -couplings bimodal -kernel reference",
    "-dim 2 -L 6 -samples 64 -ntemps 3 -tmin 0.5 -tmax 2.0 -couplings bimodal -kernel reference", /* the energy count's other bit-plane cases */
    "-dim 4 -L 4 -samples 64 -ntemps 9 -tmin 0.5 -tmax 2.0 -couplings bimodal -kernel reference",
    "-dim 2 -L 6 -samples 40 -ntemps 3 -tmin 0.5 -tmax 2.0 -couplings gaussian",
    "-dim 2 -L 6 -samples 40 -ntemps 3 -tmin 0.5 -tmax 2.0 -couplings gaussian -kernel reference",
    "-dim 3 -L 4 -samples 64 -ntemps 3 -tmin 0.5 -tmax 2.0 -couplings gaussian -update heatbath",
    "-dim 4 -L 2 -samples 64 -ntemps 2 -tmin 0.5 -tmax 2.0 -couplings gaussian",
  };
  PetscFunctionBeginUser;
  CheckDrawMany();
  CheckCountExtract();
  CheckDraw16();
  CheckArs();
  CheckExpPoly();
  CheckExpPolyF();
  for (size_t i = 0; i < sizeof compare / sizeof *compare; i++) PetscCall(CompareKernels(comm, compare[i]));
  /* The slot kernel's portable path, which CPUs without AVX-512 and VAES take. */
  SweepSlotsForcePortable(1);
  for (size_t i = 5; i < 11; i++) PetscCall(CompareKernels(comm, compare[i]));
  SweepSlotsForcePortable(0);
  /* A guard band so wide that most uphill lanes take the exact fallback, which the normal band
   * almost never exercises: the decisions must still be the reference's. */
  SweepRealGuardBand(0.5);
  for (size_t i = 11; i < sizeof compare / sizeof *compare; i++) PetscCall(CompareKernels(comm, compare[i])); /* the Gaussian ones */
  SweepRealGuardBand(0);
  /* The real-coupling kernel's vector-extension path, which CPUs without AVX-512 take. */
  SweepRealForcePortable(1);
  for (size_t i = 11; i < sizeof compare / sizeof *compare; i++) PetscCall(CompareKernels(comm, compare[i]));
  SweepRealGuardBand(0.5);
  for (size_t i = 11; i < sizeof compare / sizeof *compare; i++) PetscCall(CompareKernels(comm, compare[i]));
  SweepRealGuardBand(0);
  SweepRealForcePortable(0);
  for (size_t i = 0; i < sizeof tracked / sizeof *tracked; i++) PetscCall(CheckTrackedEnergy(comm, tracked[i]));
  {
    static const char *swaps[] = {
      "-dim 3 -L 4 -samples 64 -ntemps 36 -tmin 0.6 -tmax 2.0 -seed 13",            /* 72 slots: a replica across vectors */
      "-dim 3 -L 4 -samples 100 -ntemps 3 -replicas 3 -tmin 0.5 -tmax 1.5 -seed 3", /* two words; replicas within a vector, padding */
      "-dim 2 -L 6 -samples 64 -ntemps 8 -replicas 1 -tmin 0.3 -tmax 1.0 -seed 5",  /* one vector */
    };
    if (!__builtin_cpu_supports("avx512f")) printf("test_kernels: no AVX-512 here, the tempering checks compare the plain loop with itself\n");
    for (size_t i = 0; i < sizeof swaps / sizeof *swaps; i++) PetscCall(CheckTempering(comm, swaps[i]));
  }
  {
    static const char *overlaps[] = {
      "-dim 3 -L 6 -samples 100 -ntemps 36 -replicas 3 -tmin 0.6 -tmax 2.0 -seed 23", /* two words, three pairs, a part group */
      "-dim 2 -L 70 -samples 64 -ntemps 4 -replicas 2 -tmin 0.3 -tmax 1.5 -seed 24",  /* rows longer than a chunk */
      "-dim 4 -L 4 -samples 64 -ntemps 9 -replicas 2 -tmin 0.5 -tmax 2.0 -seed 25",
      "-dim 3 -L 4 -samples 64 -ntemps 2 -replicas 4 -tmin 0.5 -tmax 2.0 -couplings gaussian -seed 26",
    };
    for (size_t i = 0; i < sizeof overlaps / sizeof *overlaps; i++) PetscCall(CheckOverlapCounts(comm, overlaps[i]));
  }
  PetscCall(CheckSiteOrder(comm, "-dim 3 -L 8 -samples 64 -ntemps 8 -replicas 2 -tmin 0.5 -tmax 2.0 -update metropolis -seed 21"));
  PetscCall(CheckSiteOrder(comm, "-dim 4 -L 4 -samples 64 -ntemps 4 -replicas 2 -tmin 0.5 -tmax 2.0 -update heatbath -seed 22"));
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("vaes")) {
    static const char *tally[] = {
      "-dim 3 -L 4 -samples 64 -ntemps 36 -tmin 0.6 -tmax 2.0 -update metropolis -seed 13", /* padding slots */
      "-dim 3 -L 4 -samples 100 -ntemps 5 -tmin 0.3 -tmax 3.0 -update heatbath -seed 3",   /* two words, 10 slots */
      "-dim 2 -L 6 -samples 64 -ntemps 8 -tmin 0.2 -tmax 1.5 -update metropolis -seed 5",
      "-dim 4 -L 4 -samples 64 -ntemps 9 -tmin 0.5 -tmax 2.0 -update heatbath -seed 11",
    };
    int64_t late = 0;
    for (size_t i = 0; i < sizeof tally / sizeof *tally; i++) PetscCall(CheckTally(comm, tally[i], &late));
    CHECK(late > 0, "no vector was decided late in %d tally runs: the corrections went untested", (int)(sizeof tally / sizeof *tally));
  }
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  int rc;
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(RunAll(PETSC_COMM_WORLD));
  rc = TestingFinish(PETSC_COMM_WORLD, "test_kernels");
  PetscCall(PetscFinalize());
  return rc;
}
