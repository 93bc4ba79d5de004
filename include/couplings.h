/* Couplings of the EA model: J of the bond from each site to its neighbour in direction +k.
 *
 * Sample k's couplings are a pure function of (seed, k, global bond index g*dim + direction), so
 * every rank computes the couplings of its block (and of its halo) without communication and the
 * instance does not depend on the number of ranks.  With -couplings_file, every lane simulates
 * the loaded instance (independent copies, independent random numbers). */
#ifndef GLASSY_COUPLINGS_H
#define GLASSY_COUPLINGS_H

#include "glassy.h"
#include "lattice.h"
#include "options.h"

typedef struct {
  int      dim, W, lanes;
  PetscBool bimodal;   /* every J is +1 or -1: the bit representation is used */
  uint64_t *bits;      /* bimodal: [npadded][dim][W], bit set = antiferromagnetic bond (J = -1) */
  double   *J;         /* otherwise: [npadded][dim][lanes], quantised to 2^-32 */
  float    *Jf;        /* and J rounded to single precision, for the fast real-coupling kernel */
  double    field_bound; /* real couplings: max over owned sites and lanes of sum_k |J_up| + |J_dn| */
  int64_t   nbonds_file; /* bonds read from a file (0 when generated) */
  uint64_t  file_checksum; /* hash of the loaded couplings (0 when generated) */
} Couplings;

/* The coupling of one bond of one sample, quantised: a pure function of its arguments. */
double CouplingValue(GlassyCouplings kind, uint32_t seed, uint32_t sample, int64_t bond);

/* Generate (or load with -couplings_file) the couplings of every lane on the lattice block. */
PetscErrorCode CouplingsCreate(const GlassyOptions *opt, const Lattice *lat, Couplings **c);
PetscErrorCode CouplingsDestroy(Couplings **c);

/* Write every sample's instance to -export_couplings (rank 0 writes; collective). */
PetscErrorCode CouplingsExport(MPI_Comm comm, const GlassyOptions *opt);

#endif
