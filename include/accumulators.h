/* Running sums of measured values for thermal averages with binning errors and for logarithmic
 * windows of sweeps (equilibration), shared by the models.  Values come as [nobs][nT][samples]. */
#ifndef GLASSY_ACCUMULATORS_H
#define GLASSY_ACCUMULATORS_H

#include "glassy.h"

typedef struct {
  int      nobs, nT, samples;
  int64_t  per;       /* nT * samples */
  int      nbins;     /* bins of the measurement phase (statistical errors) */
  int64_t  nmeas;     /* measurements in the measurement phase */
  int64_t  done;      /* measurements taken in the measurement phase so far */
  double  *bin_sum;   /* [nobs][nbins][nT][samples] */
  int64_t *bin_count; /* [nbins] */
  int      nlog;      /* logarithmic windows over the whole run: sweeps in [2^k, 2^(k+1)) */
  double  *log_sum;   /* [nobs][nlog][nT][samples] */
  int64_t *log_count; /* [nlog] */
} Accumulators;

/* nmeas measurements will fall in the measurement phase; the run has total_sweeps sweeps. */
PetscErrorCode AccumulatorsCreate(Accumulators *acc, int nobs, int nT, int samples, int64_t nmeas, int bins, int64_t total_sweeps);
PetscErrorCode AccumulatorsDestroy(Accumulators *acc);
/* Add one measurement taken after `sweep` sweeps; production: it is in the measurement phase. */
void AccumulatorsAdd(Accumulators *acc, const double *val, int64_t sweep, PetscBool production);
/* Thermal averages and binning errors, laid out [nobs][samples][nT]. */
void AccumulatorsAverages(const Accumulators *acc, double *mean, double *err);

/* Write the thermal averages mean/err ([nobs][samples][nT], from AccumulatorsAverages) as datasets
 * NAME and NAME_err of group grp, and the logarithmic windows as group /logbins of file (the run
 * has done `sweeps` sweeps).  Collective; rank 0 writes the data. */
#include <hdf5.h>
PetscErrorCode AccumulatorsWriteAverages(const Accumulators *acc, hid_t grp, const char *const names[], const char *const descriptions[], const double *mean, const double *err, int rank);
PetscErrorCode AccumulatorsWriteWindows(const Accumulators *acc, hid_t file, const char *const names[], const char *const descriptions[], int64_t sweeps, int rank);

#endif
