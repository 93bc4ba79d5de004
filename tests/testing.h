/* Minimal test helpers: checks that print the values they compared and never compile out. */
#ifndef GLASSY_TESTING_H
#define GLASSY_TESTING_H

#include <petscsys.h>
#include <stdio.h>

static int testing_failures = 0;

#define CHECK(cond, ...) \
  do { \
    if (!(cond)) { \
      testing_failures++; \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__); \
      fprintf(stderr, "\n"); \
    } \
  } while (0)

#define CHECK_EQ_I64(a, b, what) CHECK((a) == (b), "%s: %lld != %lld", what, (long long)(a), (long long)(b))

/* Replace the options database with the given string (as if typed on the command line). */
static inline PetscErrorCode TestingSetOptions(const char *s)
{
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsClear(NULL));
  PetscCall(PetscOptionsInsertString(NULL, s));
  PetscFunctionReturn(0);
}

/* Sum the failures over comm; returns the exit code (0 if none anywhere). */
static inline int TestingFinish(MPI_Comm comm, const char *name)
{
  int total = 0, rank;
  MPI_Allreduce(&testing_failures, &total, 1, MPI_INT, MPI_SUM, comm);
  MPI_Comm_rank(comm, &rank);
  if (!rank) printf("%s: %s (%d failed checks)\n", name, total ? "FAIL" : "ok", total);
  return total ? 1 : 0;
}

#endif
