/* Measurements: energies, magnetisation, replica overlaps, link overlaps and the overlap at the
 * smallest non-zero wave vector, per sample and temperature, accumulated in bins.
 *
 * Overlaps are counted exactly: for replicas a, b the word s_a ^ s_b marks the sites where they
 * differ, and vertical counters give, per lane, the number of such sites overall, per plane
 * x_mu = c (for q(k_min) along each direction) and per bond (link overlap).  The integer counts are
 * summed over ranks, so every measurement is independent of the number of ranks. */
#include "simulation.h"
#include "vcount.h"

const char *const ObservableNames[NOBS] = {"energy", "energy2", "abs_magnetization", "q2", "q4", "link_overlap", "link_overlap2", "qk2"};
const char *const ObservableDescriptions[NOBS] = {
  "<e>, energy per spin H/N averaged over replicas",
  "<e^2>, square of the energy per spin averaged over replicas",
  "<|m|>, absolute magnetisation per spin averaged over replicas",
  "<q^2>, q = (1/N) sum_i s_i^a s_i^b averaged over replica pairs a<b",
  "<q^4>, averaged over replica pairs",
  "<q_l>, link overlap (1/(N d)) sum_<ij> s_i^a s_j^a s_i^b s_j^b averaged over replica pairs",
  "<q_l^2>, averaged over replica pairs",
  "<|q(k_min)|^2>, k_min = 2 pi / L along each lattice direction, averaged over directions and pairs",
};

/* Counts per lane for the replica pair (a, b) at temperatures t0 .. t0+nt-1, eight temperatures
 * per vector (their slots are contiguous) and up to OVERLAP_GROUPS vectors in one pass over the
 * sites, so that the pass reads whole cache lines of a site's slots: [0] differing sites (the sum
 * of the planes x_{d-1} = c), [1] differing bonds, [2 + mu*L + c] differing sites in plane x_mu = c, into
 * count + (t * npairs + pr) * pair_block.  sum[] has (nc + 1) counters per vector, laid out as
 * the counts (counter 0 unused), the last for the bonds' carries.  Local to this rank.  Vector elements past nt read other words (the spin
 * array has room for them) and are dropped. */
GLASSY_CLONES static void PairCounts(const Simulation *sim, int a, int b, int pr, int t0, int nt, VSum8 *sum, int64_t *count)
{
  const Lattice *lat = sim->lat;
  const int      d = lat->dim, L = lat->L, W = sim->W, lanes = sim->lanes, nc = 2 + d * L, nT = sim->nT, ng = (nt + 7) / 8;
  const int64_t  ps = (int64_t)W * sim->slot_stride, pair_block = (int64_t)nc * lanes;
  for (int w = 0; w < W; w++) {
    int xl[GLASSY_MAX_DIM] = {0}; /* local coordinates of owned[i], dimension 0 fastest */
    for (int c = 0; c < ng * (nc + 1); c++) VSum8Zero(&sum[c]);
    for (int64_t i = 0; i < lat->nlocal; i++) {
      const int64_t   p = lat->owned[i];
      const uint64_t *A = sim->spins + SimulationSpinIndex(sim, a * nT + t0, p, w), *B = sim->spins + SimulationSpinIndex(sim, b * nT + t0, p, w);
      if (i + 8 < lat->nlocal) { /* the slots' words of a site ahead and of its upper neighbours (read from memory otherwise) */
        const int64_t ahead = (lat->owned[i + 8] - p) * ps;
        for (int g = 0; g < ng; g++) {
          for (int k = 0; k < d; k++) {
            __builtin_prefetch(A + 8 * g + ahead + lat->stride[k] * ps);
            __builtin_prefetch(B + 8 * g + ahead + lat->stride[k] * ps);
          }
          __builtin_prefetch(A + 8 * g + ahead);
          __builtin_prefetch(B + 8 * g + ahead);
        }
      }
      for (int g = 0; g < ng; g++) {
        VSum8      *sg = sum + g * (nc + 1);
        const VWord x  = VWordLoad(A + 8 * g) ^ VWordLoad(B + 8 * g);
        VWord       u[GLASSY_MAX_DIM], bsum, carry;
        for (int k = 0; k < d; k++) {
          const int64_t q = lat->stride[k] * ps + 8 * g;
          u[k]            = x ^ VWordLoad(A + q) ^ VWordLoad(B + q);
          VSum8Add(&sg[2 + k * L + lat->offset[k] + xl[k]], x);
        }
        /* The differing bonds: the first three summed by a carry-save adder into sg[1] (weight 1)
         * and sg[nc] (weight 2), so that each counter takes one word per site. */
        if (d == 2) {
          bsum  = u[0] ^ u[1];
          carry = u[0] & u[1];
        } else VCount8CSA(&carry, &bsum, u[0], u[1], u[2]);
        VSum8Add(&sg[1], bsum);
        VSum8Add(&sg[nc], carry);
        for (int k = 3; k < d; k++) VSum8Add(&sg[1], u[k]);
      }
      for (int k = 0; k < d && ++xl[k] == lat->nloc[k]; k++) xl[k] = 0;
    }
    for (int g = 0; g < ng; g++) {
      const int ne = nt - 8 * g < 8 ? nt - 8 * g : 8;
      for (int c = 1; c < nc; c++) {
        int64_t *out[8];
        for (int e = 0; e < ne; e++) out[e] = count + ((int64_t)(t0 + 8 * g + e) * sim->npairs + pr) * pair_block + (int64_t)c * lanes + 64 * w;
        VSum8Extract(&sum[g * (nc + 1) + c], ne, 1, out);
        if (c == 1) VSum8Extract(&sum[g * (nc + 1) + nc], ne, 2, out); /* the weight-2 bond counts */
      }
      /* The differing sites: those of the planes x_{d-1} = c added up (no counter of their own). */
      for (int e = 0; e < ne; e++) {
        int64_t *blk = count + ((int64_t)(t0 + 8 * g + e) * sim->npairs + pr) * pair_block + 64 * w;
        for (int c = 0; c < L; c++)
          for (int l = 0; l < 64; l++) blk[l] += blk[(int64_t)(2 + (d - 1) * L + c) * lanes + l];
      }
    }
  }
}

PetscErrorCode ObservablesMeasure(Simulation *sim, PetscBool production)
{
  const Lattice *lat = sim->lat;
  const int      d = lat->dim, L = lat->L, nT = sim->nT, R = sim->R, lanes = sim->lanes, S = sim->samples;
  const int      nc = 2 + d * L;
  const int64_t  N = lat->N;
  const int64_t  per = (int64_t)nT * S;
  Accumulators  *acc = &sim->acc;
  double        *val; /* [NOBS][nT][S] this measurement */
  int64_t       *count = NULL;
  VSum8         *sums;
  double        *cs;

  PetscFunctionBeginUser;
  PetscCall(SimulationComputeEnergies(sim));
  PetscCall(PetscMalloc1(NOBS * per, &val));
  for (int t = 0; t < nT; t++)
    for (int l = 0; l < S; l++) {
      double e = 0, e2 = 0, m = 0;
      for (int r = 0; r < R; r++) {
        const int64_t i  = (int64_t)(r * nT + t) * lanes + l;
        const double  er = (double)sim->energy[i] / GLASSY_FIX_ONE / (double)N;
        e += er;
        e2 += er * er;
        m += fabs((double)sim->magnet[i]) / (double)N;
      }
      val[(OBS_ENERGY * nT + t) * S + l]            = e / R;
      val[(OBS_ENERGY2 * nT + t) * S + l]           = e2 / R;
      val[(OBS_ABS_MAGNETIZATION * nT + t) * S + l] = m / R;
    }

  if (sim->npairs > 0) {
    const int64_t pair_block = (int64_t)nc * lanes;
    count = sim->overlap_counts;
    sums  = sim->overlap_sums;
    PetscCall(PetscArrayzero(count, (int64_t)nT * sim->npairs * pair_block));
    for (int t0 = 0; t0 < nT; t0 += 8 * OVERLAP_GROUPS) {
      int pr = 0;
      for (int a = 0; a < R; a++)
        for (int b = a + 1; b < R; b++, pr++) PairCounts(sim, a, b, pr, t0, PetscMin(nT - t0, 8 * OVERLAP_GROUPS), sums, count);
    }
    PetscCall(PetscMalloc1(2 * L, &cs)); /* cos and sin of 2 pi x / L */
    for (int x = 0; x < L; x++) {
      cs[2 * x]     = cos(2 * M_PI * x / L);
      cs[2 * x + 1] = sin(2 * M_PI * x / L);
    }
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, count, (int)((int64_t)nT * sim->npairs * pair_block), MPI_INT64_T, MPI_SUM, sim->comm));
    for (int t = 0; t < nT; t++)
      for (int l = 0; l < S; l++) {
        double q2 = 0, q4 = 0, ql = 0, ql2 = 0, qk2 = 0;
        for (int pr = 0; pr < sim->npairs; pr++) {
          const int64_t *c = count + ((int64_t)t * sim->npairs + pr) * pair_block;
          const double   q = 1.0 - 2.0 * (double)c[l] / (double)N;
          const double   qlink = 1.0 - 2.0 * (double)c[lanes + l] / ((double)N * d);
          q2 += q * q;
          q4 += q * q * q * q;
          ql += qlink;
          ql2 += qlink * qlink;
          for (int k = 0; k < d; k++) {
            double re = 0, im = 0;
            for (int x = 0; x < L; x++) {
              const double Q = ((double)(N / L) - 2.0 * (double)c[(int64_t)(2 + k * L + x) * lanes + l]) / (double)N;
              re += Q * cs[2 * x];
              im += Q * cs[2 * x + 1];
            }
            qk2 += re * re + im * im;
          }
        }
        val[(OBS_Q2 * nT + t) * S + l]            = q2 / sim->npairs;
        val[(OBS_Q4 * nT + t) * S + l]            = q4 / sim->npairs;
        val[(OBS_LINK_OVERLAP * nT + t) * S + l]  = ql / sim->npairs;
        val[(OBS_LINK_OVERLAP2 * nT + t) * S + l] = ql2 / sim->npairs;
        val[(OBS_QK2 * nT + t) * S + l]           = qk2 / (sim->npairs * d);
      }
    PetscCall(PetscFree(cs));
  } else {
    for (int o = OBS_Q2; o < NOBS; o++)
      for (int64_t i = 0; i < per; i++) val[o * per + i] = NAN;
  }

  /* Logarithmic bins over the whole run, and the thermal-average bins of the measurement phase. */
  AccumulatorsAdd(acc, val, sim->sweep, production);
  if (production) {
    if (sim->sf) {
      const int64_t nk = sim->sf->nk_local;
      double       *field, *power;
      PetscCall(PetscMalloc1(lat->nlocal * lanes, &field));
      PetscCall(PetscMalloc1(nk * lanes + 1, &power));
      for (int t = 0; t < nT; t++)
        for (int a = 0; a < R; a++)
          for (int b = a + 1; b < R; b++) {
            for (int64_t i = 0; i < lat->nlocal; i++)
              for (int l = 0; l < lanes; l++) {
                const int64_t p = lat->owned[i];
                const uint64_t x = sim->spins[SimulationSpinIndex(sim, a * nT + t, p, l / 64)] ^ sim->spins[SimulationSpinIndex(sim, b * nT + t, p, l / 64)];
                field[i * lanes + l] = ((x >> (l % 64)) & 1u) ? -1.0 : 1.0;
              }
            PetscCall(StructureFactorCompute(sim->sf, field, power));
            for (int64_t kk = 0; kk < nk; kk++) {
              double s = 0;
              for (int l = 0; l < S; l++) s += power[kk * lanes + l];
              sim->sf_sum[t * nk + kk] += s / (S * sim->npairs);
            }
          }
      PetscCall(PetscFree(field));
      PetscCall(PetscFree(power));
      sim->sf_count++;
    }
  }
  PetscCall(PetscFree(val));
  PetscFunctionReturn(0);
}

PetscErrorCode ObservablesAverages(const Simulation *sim, double *mean, double *err)
{
  PetscFunctionBeginUser;
  AccumulatorsAverages(&sim->acc, mean, err);
  PetscFunctionReturn(0);
}
