/* The run's configuration: one struct, filled in one place (OptionsProcess) from the PETSc
 * options database (command line, -options_file, YAML).  `glassy -help` lists every option. */
#ifndef GLASSY_OPTIONS_H
#define GLASSY_OPTIONS_H

#include "glassy.h"

typedef enum { MODEL_EA, MODEL_SK } GlassyModel;
typedef enum { COUPLINGS_GAUSSIAN, COUPLINGS_BIMODAL } GlassyCouplings;
typedef enum { UPDATE_METROPOLIS, UPDATE_HEATBATH } GlassyUpdate;
typedef enum { KERNEL_AUTO, KERNEL_MULTISPIN, KERNEL_REFERENCE } GlassyKernel;

extern const char *const GlassyModelNames[];
extern const char *const GlassyCouplingsNames[];
extern const char *const GlassyUpdateNames[];
extern const char *const GlassyKernelNames[];

#define GLASSY_MAX_TEMPS 1024
#define GLASSY_MAX_DIM 4
#define GLASSY_MAX_SAMPLES 65536
#define GLASSY_MAX_SK_N 65536

typedef struct {
  GlassyModel     model;
  PetscInt        dim, L; /* EA */
  PetscInt        N;      /* SK */
  GlassyCouplings couplings;
  char            couplings_file[PETSC_MAX_PATH_LEN];
  char            export_couplings[PETSC_MAX_PATH_LEN];
  PetscInt64      seed;
  PetscInt        samples, sample_offset;
  PetscInt        ntemps;
  PetscReal       temperatures[GLASSY_MAX_TEMPS];
  PetscInt        replicas;
  GlassyUpdate    update;
  GlassyKernel    kernel;
  PetscInt64      equilibration_sweeps, measurement_sweeps;
  PetscInt        measure_interval, pt_interval, bins;
  char            output[PETSC_MAX_PATH_LEN];
  PetscReal       progress_interval;
  PetscBool       quiet;
  PetscBool       structure_factor;
  char            checkpoint[PETSC_MAX_PATH_LEN];
  PetscReal       checkpoint_interval;
  PetscBool       restart;
  /* The command line as given, for provenance. */
  char           *command_line;
} GlassyOptions;

/* Read and validate every option; errors are collective on comm. */
PetscErrorCode OptionsProcess(MPI_Comm comm, GlassyOptions *opt);
PetscErrorCode OptionsDestroy(GlassyOptions *opt);

#endif
