/* Error handler: records the first message of an error instead of printing a traceback. */
#include "errors.h"

#include <string.h>

static char           last_message[1024];
static PetscErrorCode last_code;

static PetscErrorCode Handler(MPI_Comm comm, int line, const char *func, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  if (p == PETSC_ERROR_INITIAL) {
    char        copy[sizeof last_message];
    const char *text = mess;
    if (!text || !text[0]) { /* errors raised by PETSc without text: name the code */
      const char *generic = NULL;
      PetscErrorMessage(n, &generic, NULL);
      text = generic ? generic : "unknown error";
    }
    /* mess may point into last_message (GlassyCallNamed): copy first. */
    snprintf(copy, sizeof copy, "%s", text);
    for (char *c = copy; *c; c++)
      if (*c == '\n') *c = ' ';
    memcpy(last_message, copy, sizeof copy);
    last_code = n;
    (void)line; (void)func; (void)file;
  }
  return n;
}

PetscErrorCode ErrorsInstall(void)
{
  PetscFunctionBeginUser;
  PetscCall(PetscPushErrorHandler(Handler, NULL));
  PetscFunctionReturn(0);
}

const char *ErrorsLastMessage(void) { return last_message; }
PetscErrorCode ErrorsLastCode(void) { return last_code; }

PetscErrorCode ErrorsShare(MPI_Comm comm, int root, PetscErrorCode root_err)
{
  int  rank, flag = root_err != 0;
  char msg[sizeof last_message];

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Bcast(&flag, 1, MPI_INT, root, comm));
  if (!flag) PetscFunctionReturn(0);
  if (rank == root) memcpy(msg, last_message, sizeof msg);
  PetscCallMPI(MPI_Bcast(msg, (int)sizeof msg, MPI_CHAR, root, comm));
  SETERRQ(comm, GLASSY_ERR_INPUT, "%s", msg);
}

const char *ErrorsOptionValue(const char *option)
{
  static char value[256];
  PetscBool   set = PETSC_FALSE;
  value[0]        = '\0';
  if (PetscOptionsGetString(NULL, NULL, option, value, sizeof value, &set) || !set) value[0] = '\0';
  return value;
}
