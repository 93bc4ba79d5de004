/* Multispin kernel for bimodal couplings: 64 samples per machine word, bit-sliced arithmetic,
 * and per-lane exact acceptance decisions made bit-serially (see sweep.h).  It makes exactly the
 * decisions of SweepBimodalReference; tests compare the two bit for bit. */
#include "sweep.h"

/* Add the 1-bit lanes of u into the bit-sliced counter c[0..3] (counts up to 15). */
static inline void Add1(uint64_t c[4], uint64_t u)
{
  uint64_t t0 = c[0] & u;
  c[0] ^= u;
  uint64_t t1 = c[1] & t0;
  c[1] ^= t0;
  uint64_t t2 = c[2] & t1;
  c[2] ^= t1;
  c[3] ^= t2;
}

void SweepBimodalMultispin(const SweepArgs *a, const int64_t *sites, int64_t n)
{
  const Lattice  *lat = a->lat;
  const int       d = lat->dim, W = a->cpl->W, nclass = 2 * d + 1;
  const uint64_t *J = a->cpl->bits;
  uint64_t       *S = a->spins;
  const uint64_t  always = (uint64_t)1 << 32;
  int             random_class[2 * GLASSY_MAX_DIM + 1], nrandom = 0;

  for (int c = 0; c < nclass; c++)
    if (a->threshold[c] != 0 && a->threshold[c] != always) random_class[nrandom++] = c;

  for (int64_t s = 0; s < n; s++) {
    const int64_t p = sites[s];
    for (int w = 0; w < W; w++) {
      const uint64_t spin = S[p * W + w];
      uint64_t       cnt[4] = {0, 0, 0, 0};
      for (int k = 0; k < d; k++) {
        const int64_t up = p + lat->stride[k], dn = p - lat->stride[k];
        Add1(cnt, spin ^ S[up * W + w] ^ J[(p * d + k) * W + w]);
        Add1(cnt, spin ^ S[dn * W + w] ^ J[(dn * d + k) * W + w]);
      }
      uint64_t mask[2 * GLASSY_MAX_DIM + 1], accept = 0, undecided = 0;
      for (int c = 0; c < nclass; c++) {
        uint64_t m = ~(uint64_t)0;
        for (int bit = 0; bit < 4; bit++) m &= ((c >> bit) & 1) ? cnt[bit] : ~cnt[bit];
        mask[c] = m;
        if (a->threshold[c] == always) accept |= m;
        else if (a->threshold[c] != 0) undecided |= m;
      }
      if (undecided) {
        RngKey         key = RngKeyMake(a->seed, (uint32_t)(a->first_sample + 64 * w));
        const uint32_t g   = (uint32_t)lat->global[p];
        for (int j = 0; j < 32 && undecided; j += 2) {
          uint64_t r[2];
          RngWords2(key, g, a->sweep, a->slot, RNG_UPDATE, (uint32_t)(j >> 1), r);
          for (int h = 0; h < 2; h++) {
            uint64_t pb = 0;
            for (int i = 0; i < nrandom; i++) {
              const int c = random_class[i];
              if ((a->threshold[c] >> (31 - (j + h))) & 1u) pb |= mask[c];
            }
            accept |= undecided & pb & ~r[h];
            undecided &= ~(r[h] ^ pb);
          }
        }
      }
      S[p * W + w] = spin ^ accept;
    }
  }
}
