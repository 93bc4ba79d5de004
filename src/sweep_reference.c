/* Reference kernels: plain lane-by-lane loops, written for clarity.  The optimised kernels make
 * exactly the same decisions, for bimodal and for real couplings (tests/test_kernels.c). */
#include "sweep.h"

void SweepBimodalThresholds(int dim, double beta, GlassyUpdate update, uint64_t *threshold)
{
  for (int n = 0; n <= 2 * dim; n++) threshold[n] = RngThreshold(SweepAcceptance(update, beta, 4.0 * (dim - n)));
}

/* Lane b's 32-bit uniform from the bit-plane words of site g. */
static uint32_t LaneUniform(const uint64_t words[32], int b)
{
  uint32_t U = 0;
  for (int j = 0; j < 32; j++) U |= (uint32_t)((words[j] >> b) & 1u) << (31 - j);
  return U;
}

void SweepBimodalReference(const SweepArgs *a, const int64_t *sites, int64_t n)
{
  const Lattice *lat = a->lat;
  const int      d = lat->dim, W = a->cpl->W;

  for (int64_t s = 0; s < n; s++) {
    const int64_t p = sites[s];
    const int64_t g = lat->global[p];
    for (int w = 0; w < W; w++) {
      RngKey   key = RngKeyMake(a->seed, (uint32_t)(a->first_sample + 64 * w));
      uint64_t words[32];
      int      have_words = 0;
      uint64_t spin = *SweepWord(a, p, w), flip = 0;
      for (int b = 0; b < 64; b++) {
        int nun = 0;
        for (int k = 0; k < d; k++) {
          int64_t up = p + lat->stride[k], dn = p - lat->stride[k];
          nun += (int)(((spin ^ *SweepWord(a, up, w) ^ a->cpl->bits[(p * d + k) * W + w]) >> b) & 1u);
          nun += (int)(((spin ^ *SweepWord(a, dn, w) ^ a->cpl->bits[(dn * d + k) * W + w]) >> b) & 1u);
        }
        uint64_t P = a->threshold[nun];
        int      accept;
        if (P == (uint64_t)1 << 32) accept = 1;
        else if (P == 0) accept = 0;
        else {
          if (!have_words) {
            for (int j = 0; j < 16; j++) RngUpdateWords2(key, (uint32_t)g, a->sweep, a->slot, (uint32_t)j, &words[2 * j]);
            have_words = 1;
          }
          accept = LaneUniform(words, b) < P;
        }
        if (accept) {
          flip |= (uint64_t)1 << b;
          if (a->dE) a->dE[64 * w + b] += (int64_t)(4 * (d - nun)) * ((int64_t)1 << GLASSY_FIX_SHIFT);
        }
      }
      *SweepWord(a, p, w) = spin ^ flip;
    }
  }
}

void SweepRealReference(const SweepArgs *a, const int64_t *sites, int64_t n)
{
  const Lattice *lat = a->lat;
  const int      d = lat->dim, W = a->cpl->W, lanes = a->cpl->lanes;
  const double  *J = a->cpl->J;

  for (int64_t s = 0; s < n; s++) {
    const int64_t p = sites[s];
    const int64_t g = lat->global[p];
    for (int w = 0; w < W; w++) {
      RngKey           key  = RngKeyMake(a->seed, (uint32_t)(a->first_sample + 64 * w));
      uint64_t         spin = *SweepWord(a, p, w), flip = 0;
      uint32_t         r[4];
      for (int b = 0; b < 64; b++) {
        const int l  = 64 * w + b;
        double    si = ((spin >> b) & 1u) ? -1.0 : 1.0, h = 0;
        for (int k = 0; k < d; k++) {
          int64_t up = p + lat->stride[k], dn = p - lat->stride[k];
          double  su = ((*SweepWord(a, up, w) >> b) & 1u) ? -1.0 : 1.0;
          double  sd = ((*SweepWord(a, dn, w) >> b) & 1u) ? -1.0 : 1.0;
          h += J[(p * d + k) * lanes + l] * su + J[(dn * d + k) * lanes + l] * sd;
        }
        double   dE = 2.0 * si * h;
        uint64_t P  = RngThreshold(SweepAcceptance(a->update, a->beta, dE));
        if ((b & 3) == 0) RngUpdateLane(key, (uint32_t)g, a->sweep, a->slot, (uint32_t)(b >> 2), r);
        if ((uint64_t)r[b & 3] < P) {
          flip |= (uint64_t)1 << b;
          if (a->dE) a->dE[l] += (int64_t)(dE * GLASSY_FIX_ONE);
        }
      }
      *SweepWord(a, p, w) = spin ^ flip;
    }
  }
}
