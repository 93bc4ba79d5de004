/* One place that decides how errors reach the user: a PETSc error handler that records the
 * message of the error where it was first raised (no multi-line traceback), so main() can print
 * one line and exit non-zero on every rank. */
#ifndef GLASSY_ERRORS_H
#define GLASSY_ERRORS_H

#include "glassy.h"

PetscErrorCode ErrorsInstall(void);
/* The message and code of the most recent error raised anywhere (empty if none). */
const char    *ErrorsLastMessage(void);
PetscErrorCode ErrorsLastCode(void);

/* Make an error that happened on one rank (root) collective: broadcast whether root_err is set
 * and, if so, its message, and raise it as a user-input error on every rank of comm. */
PetscErrorCode ErrorsShare(MPI_Comm comm, int root, PetscErrorCode root_err);

/* The value given for an option on the command line (or "" if none), for messages. */
const char *ErrorsOptionValue(const char *option);

/* Call `call` (which reads `option`); if it fails, raise a user-input error that names the
 * option and the value given before the underlying message. */
#define GlassyCallNamed(comm, option, call) \
  do { \
    PetscErrorCode glassy_e_ = (call); \
    if (PetscUnlikely(glassy_e_)) SETERRQ(comm, GLASSY_ERR_INPUT, "%s %s: %s", option, ErrorsOptionValue(option), ErrorsLastMessage()); \
  } while (0)

#endif
