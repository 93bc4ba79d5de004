/* Couplings: generated from the counter-based generator, or loaded from an instance file. */
#include "couplings.h"
#include "errors.h"
#include "hash.h"
#include "instance_io.h"
#include "rng.h"

#include <string.h>

double CouplingValue(GlassyCouplings kind, uint32_t seed, uint32_t sample, int64_t bond)
{
  philox4x32_ctr_t r = RngDraw(RngKeyMake(seed, sample), (uint32_t)bond, (uint32_t)(bond >> 32), 0, RNG_COUPLINGS, 0);
  if (kind == COUPLINGS_BIMODAL) return (r.v[0] & 1u) ? -1.0 : 1.0;
  /* Box-Muller with 53-bit uniforms; u1 in (0, 1] so the logarithm is finite. */
  double u1 = ((double)((((uint64_t)r.v[0] << 32) | r.v[1]) >> 11) + 1.0) * 0x1p-53;
  double u2 = (double)((((uint64_t)r.v[2] << 32) | r.v[3]) >> 11) * 0x1p-53;
  return GlassyQuantise(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

/* Fill the block's couplings from a function of (lane, global bond). */
static void FillBits(Couplings *c, const Lattice *lat, uint32_t seed, int64_t first_sample)
{
  for (int64_t p = 0; p < lat->npadded; p++)
    for (int k = 0; k < lat->dim; k++)
      for (int w = 0; w < c->W; w++) {
        uint64_t word = 0;
        for (int b = 0; b < 64; b++) {
          double J = CouplingValue(COUPLINGS_BIMODAL, seed, (uint32_t)(first_sample + 64 * w + b), lat->global[p] * lat->dim + k);
          if (J < 0) word |= (uint64_t)1 << b;
        }
        c->bits[(p * lat->dim + k) * c->W + w] = word;
      }
}

PetscErrorCode CouplingsCreate(const GlassyOptions *opt, const Lattice *lat, Couplings **out)
{
  Couplings *c;
  int        d = lat->dim;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&c));
  c->dim   = d;
  c->W     = GlassyWords(opt->samples);
  c->lanes = 64 * c->W;
  if (!opt->couplings_file[0]) {
    c->bimodal = opt->couplings == COUPLINGS_BIMODAL;
    if (c->bimodal) {
      PetscCall(GlassyCallocAligned((size_t)lat->npadded * d * c->W, sizeof *c->bits, "the couplings", &c->bits));
      FillBits(c, lat, (uint32_t)opt->seed, opt->sample_offset);
    } else {
      PetscCall(GlassyCallocAligned((size_t)lat->npadded * d * c->lanes, sizeof *c->J, "the couplings", &c->J));
      for (int64_t p = 0; p < lat->npadded; p++)
        for (int k = 0; k < d; k++)
          for (int l = 0; l < c->lanes; l++) c->J[(p * d + k) * c->lanes + l] = CouplingValue(COUPLINGS_GAUSSIAN, (uint32_t)opt->seed, (uint32_t)(opt->sample_offset + l), lat->global[p] * d + k);
    }
  } else {
    double *Jg;
    int64_t nb = lat->N * d;
    PetscCall(PetscMalloc1(nb, &Jg));
    PetscCall(InstanceRead(lat->comm, opt->couplings_file, d, lat->L, Jg, &c->nbonds_file));
    for (int64_t b = 0; b < nb; b++) c->file_checksum += HashDouble((uint64_t)b, Jg[b]);
    c->bimodal = c->nbonds_file == nb;
    for (int64_t b = 0; b < nb && c->bimodal; b++) c->bimodal = (Jg[b] == 1.0 || Jg[b] == -1.0);
    if (c->bimodal) {
      PetscCall(GlassyCallocAligned((size_t)lat->npadded * d * c->W, sizeof *c->bits, "the couplings", &c->bits));
      for (int64_t p = 0; p < lat->npadded; p++)
        for (int k = 0; k < d; k++)
          for (int w = 0; w < c->W; w++) c->bits[(p * d + k) * c->W + w] = Jg[lat->global[p] * d + k] < 0 ? ~(uint64_t)0 : 0;
    } else {
      PetscCall(GlassyCallocAligned((size_t)lat->npadded * d * c->lanes, sizeof *c->J, "the couplings", &c->J));
      for (int64_t p = 0; p < lat->npadded; p++)
        for (int k = 0; k < d; k++)
          for (int l = 0; l < c->lanes; l++) c->J[(p * d + k) * c->lanes + l] = Jg[lat->global[p] * d + k];
    }
    PetscCall(PetscFree(Jg));
  }
  if (!c->bimodal) { /* the single-precision copy, and the bound on a local field that its error analysis needs */
    const int64_t n = lat->npadded * d * c->lanes;
    PetscCall(GlassyCallocAligned((size_t)n, sizeof *c->Jf, "the single-precision couplings", &c->Jf));
    for (int64_t i = 0; i < n; i++) c->Jf[i] = (float)c->J[i];
    for (int64_t i = 0; i < lat->nlocal; i++) {
      const int64_t p = lat->owned[i];
      for (int l = 0; l < c->lanes; l++) {
        double f = 0;
        for (int k = 0; k < d; k++) f += fabs(c->J[(p * d + k) * c->lanes + l]) + fabs(c->J[((p - lat->stride[k]) * d + k) * c->lanes + l]);
        c->field_bound = PetscMax(c->field_bound, f);
      }
    }
  }
  /* Exact fixed-point energies need sum |J| < 2^30 for every sample. */
  {
    double *sum, worst = 0;
    PetscCall(PetscCalloc1(c->lanes, &sum));
    for (int64_t i = 0; i < lat->nlocal; i++) {
      const int64_t p = lat->owned[i];
      for (int k = 0; k < d; k++)
        for (int l = 0; l < c->lanes; l++) sum[l] += c->bimodal ? 1.0 : fabs(c->J[(p * d + k) * c->lanes + l]);
    }
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, sum, c->lanes, MPI_DOUBLE, MPI_SUM, lat->comm));
    for (int l = 0; l < c->lanes; l++) worst = PetscMax(worst, sum[l]);
    PetscCall(PetscFree(sum));
    GlassyCheck(worst < GLASSY_MAX_SUM_ABS_J, lat->comm, "%s: the sum of |J| over all bonds is %.6g, above the 2^30 that exact 64-bit fixed-point energies allow (reduce -L or the couplings)", opt->couplings_file[0] ? opt->couplings_file : "-L", worst);
  }
  *out = c;
  PetscFunctionReturn(0);
}

PetscErrorCode CouplingsDestroy(Couplings **c)
{
  PetscFunctionBeginUser;
  if (!*c) PetscFunctionReturn(0);
  GlassyFreeAligned(&(*c)->bits);
  GlassyFreeAligned(&(*c)->J);
  GlassyFreeAligned(&(*c)->Jf);
  PetscCall(PetscFree(*c));
  PetscFunctionReturn(0);
}

/* Expand the %d in an export path with the sample index. */
static PetscErrorCode ExportPath(MPI_Comm comm, const char *pattern, PetscInt sample, PetscInt nsamples, char *path, size_t len)
{
  const char *pct = strstr(pattern, "%d");
  PetscFunctionBeginUser;
  GlassyCheck(pct || nsamples == 1, comm, "-export_couplings %s: with -samples %" PetscInt_FMT " the path needs a %%d for the sample index", pattern, nsamples);
  GlassyCheck(!pct || !strstr(pct + 2, "%"), comm, "-export_couplings %s: only one %%d may appear in the path", pattern);
  if (pct) PetscCall(PetscSNPrintf(path, len, "%.*s%" PetscInt_FMT "%s", (int)(pct - pattern), pattern, sample, pct + 2));
  else PetscCall(PetscStrncpy(path, pattern, len));
  PetscFunctionReturn(0);
}

PetscErrorCode CouplingsExport(MPI_Comm comm, const GlassyOptions *opt)
{
  int     rank, d = (int)opt->dim, L = (int)opt->L;
  int64_t N  = 1;
  double *Jg = NULL;

  PetscFunctionBeginUser;
  if (!opt->export_couplings[0]) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  for (int k = 0; k < d; k++) N *= L;
  if (opt->couplings_file[0]) {
    int64_t nb;
    PetscCall(PetscMalloc1(N * d, &Jg));
    PetscCall(InstanceRead(comm, opt->couplings_file, d, L, Jg, &nb));
  }
  for (PetscInt s = 0; s < opt->samples; s++) {
    PetscInt  sample = opt->sample_offset + s;
    char      path[PETSC_MAX_PATH_LEN], comment[256];
    PetscErrorCode err = 0;
    PetscCall(ExportPath(comm, opt->export_couplings, sample, opt->samples, path, sizeof path));
    if (!rank) {
      if (!opt->couplings_file[0]) {
        if (!Jg) PetscCall(PetscMalloc1(N * d, &Jg));
        for (int64_t b = 0; b < N * d; b++) Jg[b] = CouplingValue(opt->couplings, (uint32_t)opt->seed, (uint32_t)sample, b);
        PetscCall(PetscSNPrintf(comment, sizeof comment, "glassy EA instance: dim %d, L %d, %s couplings, seed %" PetscInt64_FMT ", sample %" PetscInt_FMT, d, L, GlassyCouplingsNames[opt->couplings], opt->seed, sample));
      } else PetscCall(PetscSNPrintf(comment, sizeof comment, "glassy EA instance: dim %d, L %d, copied from %s", d, L, opt->couplings_file));
      err = InstanceWrite(path, d, L, Jg, comment);
    }
    PetscCall(ErrorsShare(comm, 0, err));
  }
  PetscCall(PetscFree(Jg));
  PetscFunctionReturn(0);
}
