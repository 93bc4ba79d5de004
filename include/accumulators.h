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

#endif
