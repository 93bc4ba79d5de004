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
#if GLASSY_X86_VAES
#include <immintrin.h>
#endif

static int force_portable; /* tests: the plain loop even where AVX-512 exists */

void TemperingForcePortable(int on) { force_portable = on; }

/* The accepted swaps mask[r][t][w] (lanes that swap temperatures t and t+1 of replica r), applied
 * on every padded site in the order they were decided, t = 0, 1, ... for each replica: the plain
 * loop. */
static void ApplySwapsPlain(Simulation *sim, const uint64_t *mask)
{
  const int nT = sim->nT, W = sim->W;
  for (int64_t p = 0; p < sim->lat->npadded; p++)
    for (int w = 0; w < W; w++) {
      uint64_t *S = sim->spins + SimulationSpinIndex(sim, 0, p, w);
      for (int r = 0; r < sim->R; r++)
        for (int t = 0; t + 1 < nT; t++) {
          const uint64_t m = mask[((int64_t)r * (nT - 1) + t) * W + w], x = (S[r * nT + t] ^ S[r * nT + t + 1]) & m;
          S[r * nT + t] ^= x;
          S[r * nT + t + 1] ^= x;
        }
    }
}

#if GLASSY_X86_VAES
/* The same with eight slots per vector.  Per lane, the swaps of one replica in the order t = 0,
 * 1, ... move a configuration up as long as they are accepted: with c_0 = old_0 and c_{t+1} =
 * m_t ? c_t : old_{t+1} (the configuration carried up to t+1), new_t = m_t ? old_{t+1} : c_t.
 * The carries are a scan along the slots, done within each vector in three steps of (keep, value)
 * pairs, keep_t = m_{t-1}; keep[] and take[] (= m_t, where new_t is old_{t+1}) are per slot, zero
 * at a replica's first slot and last slot respectively and on the padding slots, which so stay as
 * they are. */
__attribute__((target("avx512f"))) static void ApplySwapsAvx512(Simulation *sim, const uint64_t *keep, const uint64_t *take)
{
  const int     W = sim->W, G = sim->slot_stride / 8;
  const __m512i zero = _mm512_setzero_si512(), last = _mm512_set1_epi64(7);
  for (int64_t p = 0; p < sim->lat->npadded; p++)
    for (int w = 0; w < W; w++) {
      uint64_t *S = sim->spins + SimulationSpinIndex(sim, 0, p, w);
      __m512i   carry = zero, old = _mm512_loadu_si512(S);
      for (int g = 0; g < G; g++) {
        const __m512i next = g + 1 < G ? _mm512_loadu_si512(S + 8 * g + 8) : zero;
        __m512i       k = _mm512_loadu_si512(keep + (int64_t)(w * G + g) * 8), c = old;
        /* Inclusive scan of c_e = k_e ? c_{e-1} : old_e over the nine pairs of the previous
         * vector's last carry (whose keep is 0) and this vector's eight: shifts of 1, 2, 4 and 8. */
        c = _mm512_ternarylogic_epi64(k, _mm512_alignr_epi64(c, carry, 7), c, 0xCA);
        k = _mm512_and_si512(k, _mm512_alignr_epi64(k, zero, 7));
        c = _mm512_ternarylogic_epi64(k, _mm512_alignr_epi64(c, carry, 6), c, 0xCA);
        k = _mm512_and_si512(k, _mm512_alignr_epi64(k, zero, 6));
        c = _mm512_ternarylogic_epi64(k, _mm512_alignr_epi64(c, carry, 4), c, 0xCA);
        k = _mm512_and_si512(k, _mm512_alignr_epi64(k, zero, 4));
        c = _mm512_ternarylogic_epi64(k, carry, c, 0xCA);
        carry = _mm512_permutexvar_epi64(last, c);
        _mm512_storeu_si512(S + 8 * g, _mm512_ternarylogic_epi64(_mm512_loadu_si512(take + (int64_t)(w * G + g) * 8), _mm512_alignr_epi64(next, old, 1), c, 0xCA));
        old = next;
      }
    }
}
#endif

static PetscErrorCode ApplySwaps(Simulation *sim, const uint64_t *mask)
{
  PetscFunctionBeginUser;
#if GLASSY_X86_VAES
  if (!force_portable && sim->slot_stride % 8 == 0 && __builtin_cpu_supports("avx512f")) {
    const int nT = sim->nT, W = sim->W, ns = sim->slot_stride;
    uint64_t *keep, *take;
    PetscCall(PetscMalloc2((int64_t)ns * W, &keep, (int64_t)ns * W, &take));
    for (int w = 0; w < W; w++)
      for (int s = 0; s < ns; s++) {
        const int r = s / nT, t = s % nT, real = s < sim->nslots;
        keep[w * ns + s] = real && t > 0 ? mask[((int64_t)r * (nT - 1) + t - 1) * W + w] : 0;
        take[w * ns + s] = real && t + 1 < nT ? mask[((int64_t)r * (nT - 1) + t) * W + w] : 0;
      }
    ApplySwapsAvx512(sim, keep, take);
    PetscCall(PetscFree2(keep, take));
    PetscFunctionReturn(0);
  }
#endif
  ApplySwapsPlain(sim, mask);
  PetscFunctionReturn(0);
}

PetscErrorCode TemperingStep(Simulation *sim)
{
  const int nT = sim->nT, W = sim->W, lanes = sim->lanes;
  uint64_t *mask;

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
  PetscCall(ApplySwaps(sim, mask));
  PetscCall(PetscFree(mask));
  sim->swap_attempts++;
  sim->pt_steps++;
  PetscFunctionReturn(0);
}
