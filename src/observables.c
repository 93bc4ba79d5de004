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
 * of the planes x_{d-1} = c), [1] differing bonds, [2 + mu*L + c] differing sites in plane
 * x_mu = c, into count + (t * npairs + pr) * pair_block.  Local to this rank.  Vector elements
 * past nt read other words (the spin array has room for them) and are dropped.
 *
 * The pass goes row by row along dimension 0, in the slab order of the sweeps (lattice.h), so
 * that the neighbours' records are still in cache.  A site's differing word goes to its plane
 * along dimension 0 (a vertical counter each, VSum8); the planes along the other dimensions and
 * the bonds are the same for a whole row, so a row's words are first summed (VWordsCount) and the
 * sums added to plain bit-plane counters (VPlanesAdd).  The work space: sum[OVERLAP_GROUPS][nloc_0]
 * and planes[OVERLAP_GROUPS][ObservablesPlaneCounters][sim->overlap_np]. */
enum { ROW_CHUNK = 64 }; /* sites of a row summed at a time */

GLASSY_CLONES static void PairCounts(const Simulation *sim, int a, int b, int pr, int t0, int nt, VSum8 *sum, VWordA *planes, int64_t *count)
{
  const Lattice *lat = sim->lat;
  const int      d = lat->dim, L = lat->L, W = sim->W, lanes = sim->lanes, nc = 2 + d * L, ng = (nt + 7) / 8, n0 = lat->nloc[0];
  const int      np = sim->overlap_np, ncnt = ObservablesPlaneCounters(lat);
  const int64_t  ps = (int64_t)W * sim->slot_stride, pair_block = (int64_t)nc * lanes;
  int            first[GLASSY_MAX_DIM]; /* counter of plane x_k = 0 (k >= 1); counter 0 is the bonds' */
  first[1] = 1;
  for (int k = 2; k < d; k++) first[k] = first[k - 1] + lat->nloc[k - 1];
  for (int w = 0; w < W; w++) {
    const int64_t aw = SimulationSpinIndex(sim, a * sim->nT + t0, 0, w), bw = SimulationSpinIndex(sim, b * sim->nT + t0, 0, w);
    for (int c = 0; c < ng * n0; c++) VSum8Zero(&sum[c]);
    memset(planes, 0, sizeof *planes * (size_t)ng * ncnt * np);
    for (int64_t r = 0; r < lat->nrows; r++) {
      const int64_t p0 = lat->rows[r];
      int           cnt[GLASSY_MAX_DIM]; /* the row's plane counters */
      for (int k = 1; k < d; k++) cnt[k] = first[k] + (int)(p0 / lat->stride[k] % (lat->nloc[k] + 2)) - 1;
      if (r + 1 < lat->nrows) /* the next row's first records, and their upper neighbours' */
        for (int x = 0; x < 8 && x < n0; x++)
          for (int k = 0; k < d; k++) {
            const int64_t q = (lat->rows[r + 1] + x + (k ? lat->stride[k] : 0)) * ps;
            for (int g = 0; g < ng; g++) {
              __builtin_prefetch(sim->spins + aw + q + 8 * g);
              __builtin_prefetch(sim->spins + bw + q + 8 * g);
            }
          }
      for (int x0 = 0; x0 < n0; x0 += ROW_CHUNK) {
        const int n = n0 - x0 < ROW_CHUNK ? n0 - x0 : ROW_CHUNK;
        VWord     xs[OVERLAP_GROUPS][2 * ROW_CHUNK] __attribute__((aligned(64))), b1[OVERLAP_GROUPS][3 * ROW_CHUNK] __attribute__((aligned(64))), b2[OVERLAP_GROUPS][3 * ROW_CHUNK] __attribute__((aligned(64)));
        int       n1 = 0, n2 = 0;
        for (int x = 0; x < n; x++) {
          const int64_t   p = p0 + x0 + x;
          const uint64_t *A = sim->spins + aw + p * ps, *B = sim->spins + bw + p * ps;
          if (x + 8 < n)
            for (int k = 1; k < d; k++)
              for (int g = 0; g < ng; g++) {
                __builtin_prefetch(A + 8 * g + (8 + lat->stride[k]) * ps);
                __builtin_prefetch(B + 8 * g + (8 + lat->stride[k]) * ps);
              }
          for (int g = 0; g < ng; g++) {
            const VWord x_ = VWordLoad(A + 8 * g) ^ VWordLoad(B + 8 * g);
            VWord       u[GLASSY_MAX_DIM];
            for (int k = 0; k < d; k++) {
              const int64_t q = lat->stride[k] * ps + 8 * g;
              u[k]            = x_ ^ VWordLoad(A + q) ^ VWordLoad(B + q);
            }
            VSum8Add(&sum[g * n0 + x0 + x], x_);
            xs[g][x] = x_;
            /* the differing bonds: a carry-save adder gives weight-1 and weight-2 words */
            if (d == 2) {
              b1[g][n1] = u[0] ^ u[1];
              b2[g][n2] = u[0] & u[1];
            } else VCount8CSA(&b2[g][n2], &b1[g][n1], u[0], u[1], u[2]);
            if (d == 4) b1[g][n1 + 1] = u[3];
          }
          n1 += d == 4 ? 2 : 1;
          n2++;
        }
        for (int g = 0; g < ng; g++) {
          VWord     rs[VCOUNT_PLANES] __attribute__((aligned(64)));
          VWordA   *P  = planes + (int64_t)g * ncnt * np;
          const int nr = VWordsCount(xs[g], n, xs[g] + n, 0, rs);
          for (int k = 1; k < d; k++) VPlanesAdd(P + (int64_t)cnt[k] * np, rs, nr, 0, np);
          VPlanesAdd(P, rs, VWordsCount(b1[g], n1, b2[g], n2, rs), 0, np);
        }
      }
    }
    for (int g = 0; g < ng; g++) {
      const int ne = nt - 8 * g < 8 ? nt - 8 * g : 8;
      int64_t  *out[8];
#define OUT(c) \
  for (int e = 0; e < ne; e++) out[e] = count + ((int64_t)(t0 + 8 * g + e) * sim->npairs + pr) * pair_block + (int64_t)(c) * lanes + 64 * w
      for (int x = 0; x < n0; x++) {
        OUT(2 + lat->offset[0] + x);
        VSum8Extract(&sum[g * n0 + x], ne, 1, out);
      }
      OUT(1);
      VPlanesExtract(planes + (int64_t)g * ncnt * np, np, ne, 1, out);
      for (int k = 1; k < d; k++)
        for (int x = 0; x < lat->nloc[k]; x++) {
          OUT(2 + k * L + lat->offset[k] + x);
          VPlanesExtract(planes + ((int64_t)g * ncnt + first[k] + x) * np, np, ne, 1, out);
        }
#undef OUT
      /* The differing sites: those of the planes x_{d-1} = c added up (no counter of their own). */
      for (int e = 0; e < ne; e++) {
        int64_t *blk = count + ((int64_t)(t0 + 8 * g + e) * sim->npairs + pr) * pair_block + 64 * w;
        for (int c = 0; c < L; c++)
          for (int l = 0; l < 64; l++) blk[l] += blk[(int64_t)(2 + (d - 1) * L + c) * lanes + l];
      }
    }
  }
}

void ObservablesOverlapCounts(Simulation *sim, int64_t *count)
{
  const int nT = sim->nT, R = sim->R;
  memset(count, 0, sizeof *count * (size_t)nT * sim->npairs * (2 + (size_t)sim->lat->dim * sim->lat->L) * sim->lanes);
  for (int t0 = 0; t0 < nT; t0 += 8 * OVERLAP_GROUPS) {
    int pr = 0;
    for (int a = 0; a < R; a++)
      for (int b = a + 1; b < R; b++, pr++) PairCounts(sim, a, b, pr, t0, nT - t0 < 8 * OVERLAP_GROUPS ? nT - t0 : 8 * OVERLAP_GROUPS, sim->overlap_sums, sim->overlap_planes, count);
  }
}

void ObservablesOverlapCountsReference(const Simulation *sim, int64_t *count)
{
  const Lattice *lat = sim->lat;
  const int      d = lat->dim, L = lat->L, nc = 2 + d * L;
  memset(count, 0, sizeof *count * (size_t)sim->nT * sim->npairs * nc * sim->lanes);
  for (int t = 0; t < sim->nT; t++) {
    int pr = 0;
    for (int a = 0; a < sim->R; a++)
      for (int b = a + 1; b < sim->R; b++, pr++) {
        int64_t *c = count + ((int64_t)t * sim->npairs + pr) * nc * sim->lanes;
        for (int64_t i = 0; i < lat->nlocal; i++) {
          const int64_t p = lat->owned[i];
          for (int l = 0; l < sim->lanes; l++) {
            const int w = l / 64, bit = l % 64;
#define DIFFER(q) ((int)((sim->spins[SimulationSpinIndex(sim, a * sim->nT + t, q, w)] ^ sim->spins[SimulationSpinIndex(sim, b * sim->nT + t, q, w)]) >> bit) & 1)
            const int x = DIFFER(p);
            c[l] += x;
            for (int k = 0; k < d; k++) {
              const int xk = (int)(p / lat->stride[k] % (lat->nloc[k] + 2)) - 1;
              c[(int64_t)(2 + k * L + lat->offset[k] + xk) * sim->lanes + l] += x;
              c[(int64_t)sim->lanes + l] += x ^ DIFFER(p + lat->stride[k]); /* the bond to the upper neighbour */
            }
#undef DIFFER
          }
        }
      }
  }
}

/* The bit-plane counters of PairCounts per vector: the bonds', and one per plane x_k = c of the
 * block, k >= 1. */
int ObservablesPlaneCounters(const Lattice *lat)
{
  int n = 1;
  for (int k = 1; k < lat->dim; k++) n += lat->nloc[k];
  return n;
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
    ObservablesOverlapCounts(sim, count);
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
