/* Signals that ask a run to stop cleanly: SIGTERM, SIGINT and SIGUSR1 (what SLURM sends before a
 * time limit or on preemption).  The handler only records the signal; the run checks at every
 * sweep boundary, writes a checkpoint and exits with GLASSY_EXIT_INTERRUPTED. */
#ifndef GLASSY_SIGNALS_H
#define GLASSY_SIGNALS_H

#include "glassy.h"

/* Exit status of a run stopped by a signal (EX_TEMPFAIL: try again later, with -restart). */
#define GLASSY_EXIT_INTERRUPTED 75

PetscErrorCode SignalsInstall(void);
/* The signal number received, or 0. */
int SignalsCaught(void);

#endif
