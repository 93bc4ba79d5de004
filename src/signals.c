/* Stop signals: the handler sets a flag and nothing else (async-signal-safe). */
#include "signals.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t caught = 0;

static void Handler(int sig)
{
  if (!caught) caught = sig;
}

PetscErrorCode SignalsInstall(void)
{
  struct sigaction sa;
  const int        sigs[] = {SIGTERM, SIGINT, SIGUSR1};
  PetscFunctionBeginUser;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = Handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) PetscCheck(sigaction(sigs[i], &sa, NULL) == 0, PETSC_COMM_SELF, PETSC_ERR_SYS, "cannot install the handler for signal %d", sigs[i]);
  /* A closed pipe (glassy | head) ends the program quietly, as for any Unix tool, instead of
   * PETSc's crash report. */
  signal(SIGPIPE, SIG_DFL);
  PetscFunctionReturn(0);
}

int SignalsCaught(void) { return (int)caught; }
