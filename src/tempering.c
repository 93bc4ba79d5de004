/* Parallel tempering.  For each replica r and each lane, adjacent temperatures t, t+1 are tried in
 * turn, t = 0 .. nT-2, with the energies updated after each accepted swap, so a configuration can
 * climb several steps in one tempering step.  The swap is accepted with probability
 * min(1, exp((beta_t - beta_{t+1}) (E_t - E_{t+1}))) using the lane's own 32-bit uniform from
 * RNG_SWAP {tempering step, t, r}.  Energies are exact integers (fixed point) reduced over the
 * ranks, so every rank takes the same decisions without further communication.
 *
 * An accepted swap exchanges the lane's bits between the two slots (configuration slot r*nT + t
 * always holds temperature t), on the whole padded block so that the halos stay consistent. */
#include "simulation.h"
#include "rng.h"

PetscErrorCode TemperingStep(Simulation *sim)
{
  const int     nT = sim->nT, W = sim->W, lanes = sim->lanes;
  const int64_t np = sim->lat->npadded;
  uint64_t     *mask;

  PetscFunctionBeginUser;
  PetscCall(SimulationComputeEnergies(sim));
  PetscCall(PetscCalloc1((int64_t)sim->R * (nT - 1) * W, &mask)); /* [R][nT-1][W] lanes that swap */
  for (int r = 0; r < sim->R; r++) {
    uint64_t *mask_r = mask + (int64_t)r * (nT - 1) * W;
    for (int t = 0; t + 1 < nT; t++) {
      int64_t     *Ea = sim->energy + (int64_t)(r * nT + t) * lanes, *Eb = Ea + lanes;
      int64_t     *Ma = sim->magnet + (int64_t)(r * nT + t) * lanes, *Mb = Ma + lanes;
      const double dbeta = sim->beta[t] - sim->beta[t + 1];
      for (int w = 0; w < W; w++) {
        const RngKey     key = RngKeyMake(sim->seed, (uint32_t)(sim->first_sample + 64 * w));
        philox4x32_ctr_t u;
        for (int b = 0; b < 64; b++) {
          const int l = 64 * w + b;
          if ((b & 3) == 0) u = RngDraw(key, (uint32_t)sim->pt_steps, (uint32_t)t, (uint32_t)r, RNG_SWAP, (uint32_t)(b >> 2));
          const double x = dbeta * ((double)(Ea[l] - Eb[l]) / GLASSY_FIX_ONE);
          if ((uint64_t)u.v[b & 3] < RngThreshold(x >= 0 ? 1.0 : exp(x))) {
            int64_t tmp;
            mask_r[t * W + w] |= (uint64_t)1 << b;
            tmp   = Ea[l];
            Ea[l] = Eb[l];
            Eb[l] = tmp;
            tmp   = Ma[l];
            Ma[l] = Mb[l];
            Mb[l] = tmp;
            if (sim->tracked) {
              int64_t *Ta = sim->tracked + (int64_t)(r * nT + t) * lanes, *Tb = Ta + lanes;
              tmp   = Ta[l];
              Ta[l] = Tb[l];
              Tb[l] = tmp;
            }
            if (l < sim->samples) sim->swap_accepts[(int64_t)t * lanes + l]++;
          }
        }
      }
    }
  }
  /* Apply the swaps site by site (the slots of a site are contiguous), in the order they were
   * decided: t = 0, 1, ... for each replica. */
  for (int64_t p = 0; p < np; p++)
    for (int w = 0; w < W; w++) {
      uint64_t *S = sim->spins + SimulationSpinIndex(sim, 0, p, w);
      for (int r = 0; r < sim->R; r++)
        for (int t = 0; t + 1 < nT; t++) {
          const uint64_t m = mask[((int64_t)r * (nT - 1) + t) * W + w], x = (S[r * nT + t] ^ S[r * nT + t + 1]) & m;
          S[r * nT + t] ^= x;
          S[r * nT + t + 1] ^= x;
        }
    }
  PetscCall(PetscFree(mask));
  sim->swap_attempts++;
  sim->pt_steps++;
  PetscFunctionReturn(0);
}
