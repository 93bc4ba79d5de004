/* glassy: common definitions shared by every unit.
 *
 * Error handling follows PETSc: every function that can fail returns a PetscErrorCode and is
 * called through PetscCall().  Errors caused by the user (an option value, a file) are raised
 * with GlassyCheck() on *every* rank of the communicator at once, so that all ranks return the
 * same error, print one line and exit non-zero together; main() is the one place that decides
 * how to exit. */
#ifndef GLASSY_H
#define GLASSY_H

#include <petscsys.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Error code for user-input errors detected collectively. */
#define GLASSY_ERR_INPUT PETSC_ERR_USER_INPUT

/* Raise a user-input error when cond is false.  Must be evaluated identically on every rank of
 * comm (the options are the same everywhere; file contents are broadcast first). */
#define GlassyCheck(cond, comm, ...) PetscCheck(cond, comm, GLASSY_ERR_INPUT, __VA_ARGS__)

/* A function called on rank 0 of a run's communicator at every sweep boundary, after the sweep's
 * measurement and tempering: the campaign scheduler uses it to hand out work and to collect
 * progress while rank 0 computes.  Setting *stop asks the run to checkpoint and stop, as a stop
 * signal does.  fn == NULL: no hook. */
typedef struct {
  PetscErrorCode (*fn)(void *ctx, int64_t sweep, int64_t total_sweeps, int *stop);
  void *ctx;
} SweepHook;

/* Signal number reported as the reason when a hook stops a run. */
#define GLASSY_STOP_BY_HOOK 15

/* Function multiversioning for the optimised kernels: the function is compiled for x86-64-v4
 * (AVX-512), x86-64-v3 (AVX2 and FMA) and the baseline, and the loader picks the best the CPU has.
 * The x86-64-vN names need GCC 12; older GCC gets the avx512f/avx2 pair.  Other compilers (clang
 * before 18 builds a wrong resolver) and other architectures get one portable version. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#define GLASSY_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#elif defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 6
#define GLASSY_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GLASSY_CLONES
#endif

/* Arrays that the kernels read with 512-bit vector loads (spins, couplings) start on a cache line:
 * PetscMalloc aligns to PETSC_MEMALIGN (16 bytes), and with the array 16 or 48 bytes off a line
 * every vector load splits two lines (the overlap counts took 2.3-3.3 ms a pass instead of 1.2 at
 * W1's size, depending on where the allocation happened to land).  Zeroed; release with
 * GlassyFreeAligned. */
#define GLASSY_ALIGN 64
static inline PetscErrorCode GlassyCallocAligned(size_t n, size_t size, const char *what, void *ptr)
{
  const size_t bytes = (n > 0 ? n : 1) * size, rounded = (bytes + GLASSY_ALIGN - 1) / GLASSY_ALIGN * GLASSY_ALIGN;
  void        *p;
  PetscFunctionBeginUser;
  PetscCheck(size == 0 || n <= SIZE_MAX / size, PETSC_COMM_SELF, PETSC_ERR_MEM, "%s: %zu elements of %zu bytes do not fit in memory", what, n, size);
  p = aligned_alloc(GLASSY_ALIGN, rounded);
  PetscCheck(p, PETSC_COMM_SELF, PETSC_ERR_MEM, "out of memory for %s (%zu bytes)", what, rounded);
  memset(p, 0, rounded);
  *(void **)ptr = p;
  PetscFunctionReturn(0);
}
static inline void GlassyFreeAligned(void *ptr)
{
  free(*(void **)ptr);
  *(void **)ptr = NULL;
}

/* Lanes per machine word: one sample per bit. */
#define GLASSY_LANES_PER_WORD 64

/* Energies are kept exactly in fixed point, in units of 2^-32, as 64-bit integers, so that sums
 * do not depend on the order of summation (and hence not on the number of ranks). Couplings are
 * quantised to this resolution when they are generated or read. */
#define GLASSY_FIX_SHIFT 32
#define GLASSY_FIX_ONE   4294967296.0

/* |E| <= sum over bonds of |J| must stay below this so that energies in units of 2^-32 fit in
 * 63 bits with room to spare; CouplingsCreate checks it for every sample. */
#define GLASSY_MAX_SUM_ABS_J 1073741824.0 /* 2^30 */

static inline double GlassyQuantise(double J)
{
  return nearbyint(J * GLASSY_FIX_ONE) / GLASSY_FIX_ONE;
}

/* Number of 64-bit words holding `lanes` samples. */
static inline int GlassyWords(PetscInt lanes)
{
  return (int)((lanes + GLASSY_LANES_PER_WORD - 1) / GLASSY_LANES_PER_WORD);
}

#endif
