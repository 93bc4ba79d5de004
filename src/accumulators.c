/* Binning accumulators (see accumulators.h). */
#include "accumulators.h"
#include "h5util.h"

#include <stdio.h>

static int LogBin(int64_t sweep)
{
  int k = 0;
  while (sweep >>= 1) k++;
  return k;
}

PetscErrorCode AccumulatorsCreate(Accumulators *acc, int nobs, int nT, int samples, int64_t nmeas, int bins, int64_t total_sweeps)
{
  PetscFunctionBeginUser;
  acc->nobs    = nobs;
  acc->nT      = nT;
  acc->samples = samples;
  acc->per     = (int64_t)nT * samples;
  acc->nmeas   = nmeas;
  acc->done    = 0;
  acc->nbins   = (int)(nmeas < bins ? nmeas : bins);
  if (acc->nbins < 1) acc->nbins = 1;
  acc->nlog = total_sweeps > 0 ? LogBin(total_sweeps) + 1 : 1;
  PetscCall(PetscCalloc1(nobs * acc->nbins * acc->per, &acc->bin_sum));
  PetscCall(PetscCalloc1(acc->nbins, &acc->bin_count));
  PetscCall(PetscCalloc1(nobs * acc->nlog * acc->per, &acc->log_sum));
  PetscCall(PetscCalloc1(acc->nlog, &acc->log_count));
  PetscFunctionReturn(0);
}

PetscErrorCode AccumulatorsDestroy(Accumulators *acc)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(acc->bin_sum));
  PetscCall(PetscFree(acc->bin_count));
  PetscCall(PetscFree(acc->log_sum));
  PetscCall(PetscFree(acc->log_count));
  PetscFunctionReturn(0);
}

void AccumulatorsAdd(Accumulators *acc, const double *val, int64_t sweep, PetscBool production)
{
  const int64_t per = acc->per;
  const int     k   = LogBin(sweep);
  for (int o = 0; o < acc->nobs; o++)
    for (int64_t i = 0; i < per; i++) acc->log_sum[((int64_t)o * acc->nlog + k) * per + i] += val[o * per + i];
  acc->log_count[k]++;
  if (production) {
    const int bin = (int)(acc->done * acc->nbins / acc->nmeas);
    for (int o = 0; o < acc->nobs; o++)
      for (int64_t i = 0; i < per; i++) acc->bin_sum[((int64_t)o * acc->nbins + bin) * per + i] += val[o * per + i];
    acc->bin_count[bin]++;
    acc->done++;
  }
}

void AccumulatorsAverages(const Accumulators *acc, double *mean, double *err)
{
  const int     nT = acc->nT, S = acc->samples;
  const int64_t per = acc->per;
  int           nb = 0;
  for (int b = 0; b < acc->nbins; b++) nb += acc->bin_count[b] > 0;
  for (int o = 0; o < acc->nobs; o++)
    for (int t = 0; t < nT; t++)
      for (int l = 0; l < S; l++) {
        const int64_t i = (int64_t)t * S + l;
        double        total = 0, var = 0, m;
        for (int b = 0; b < acc->nbins; b++) total += acc->bin_sum[((int64_t)o * acc->nbins + b) * per + i];
        m = acc->done ? total / acc->done : NAN;
        for (int b = 0; b < acc->nbins; b++)
          if (acc->bin_count[b]) {
            const double x = acc->bin_sum[((int64_t)o * acc->nbins + b) * per + i] / acc->bin_count[b] - m;
            var += x * x;
          }
        mean[((int64_t)o * S + l) * nT + t] = m;
        err[((int64_t)o * S + l) * nT + t]  = nb > 1 ? sqrt(var / ((double)nb * (nb - 1))) : NAN;
      }
}

PetscErrorCode AccumulatorsWriteAverages(const Accumulators *acc, hid_t grp, const char *const names[], const char *const descriptions[], const double *mean, const double *err, int rank)
{
  const int      S = acc->samples, nT = acc->nT;
  PetscErrorCode e = 0;
  PetscFunctionBeginUser;
  for (int o = 0; o < acc->nobs; o++) {
    hsize_t dims[2] = {(hsize_t)S, (hsize_t)nT};
    char    name[64];
    HDF5_KEEP(HDF5WriteDoubles(grp, names[o], 2, dims, mean + (int64_t)o * S * nT, rank, descriptions[o]));
    snprintf(name, sizeof name, "%s_err", names[o]);
    HDF5_KEEP(HDF5WriteDoubles(grp, name, 2, dims, err + (int64_t)o * S * nT, rank, "statistical error of the thermal average from binning"));
  }
  PetscCall(e);
  PetscFunctionReturn(0);
}

PetscErrorCode AccumulatorsWriteWindows(const Accumulators *acc, hid_t file, const char *const names[], const char *const descriptions[], int64_t sweeps, int rank)
{
  const int      K = acc->nlog, S = acc->samples, nT = acc->nT;
  const int64_t  per = acc->per;
  hsize_t        dk[1] = {(hsize_t)K}, dims[3] = {(hsize_t)S, (hsize_t)nT, (hsize_t)K};
  hid_t          grp = H5Gcreate2(file, "logbins", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  double        *buf;
  PetscErrorCode e = 0;
  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(per * K + 3 * K, &buf));
  for (int k = 0; k < K; k++) {
    buf[k]         = (double)((int64_t)1 << k);
    buf[K + k]     = (double)PetscMin(((int64_t)1 << (k + 1)) - 1, sweeps); /* the last window may be cut short */
    buf[2 * K + k] = (double)acc->log_count[k];
  }
  HDF5_KEEP(HDF5WriteDoubles(grp, "sweep_first", 1, dk, buf, rank, "first sweep of each logarithmic bin (sweeps counted from 1)"));
  HDF5_KEEP(HDF5WriteDoubles(grp, "sweep_last", 1, dk, buf + K, rank, "last sweep of each logarithmic bin (2^(k+1)-1, or the last sweep of the run)"));
  HDF5_KEEP(HDF5WriteDoubles(grp, "measurements", 1, dk, buf + 2 * K, rank, "measurements averaged in each bin"));
  for (int o = 0; o < acc->nobs; o++) {
    for (int l = 0; l < S; l++)
      for (int t = 0; t < nT; t++)
        for (int k = 0; k < K; k++) {
          const double c = (double)acc->log_count[k];
          buf[3 * K + ((int64_t)l * nT + t) * K + k] = c > 0 ? acc->log_sum[((int64_t)o * K + k) * per + (int64_t)t * S + l] / c : NAN;
        }
    HDF5_KEEP(HDF5WriteDoubles(grp, names[o], 3, dims, buf + 3 * K, rank, descriptions[o]));
  }
  PetscCall(PetscFree(buf));
  H5Gclose(grp);
  PetscCall(e);
  PetscFunctionReturn(0);
}
