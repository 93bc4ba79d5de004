/* Finite-size-scaling campaigns (doc/campaigns.md): many disorder samples at several sizes, cut
 * into tasks (one size, one batch of samples), run by worker groups of ranks that rank 0 of the
 * job's communicator forms and feeds as they finish.
 *
 * A task is an ordinary run (EA or SK) on its group's communicator, with its own results file
 * and checkpoint in the campaign directory, so every task can be interrupted and continued, and
 * its results do not depend on which ranks ran it.  The state of the campaign is the set of
 * files on disk: a task is done when its results file exists (results files appear atomically),
 * interrupted when it has a checkpoint, pending otherwise.  The index file records that state
 * for people; the merged results file is assembled from the task files when all are done. */
#ifndef GLASSY_CAMPAIGN_H
#define GLASSY_CAMPAIGN_H

#include "options.h"

#define CAMPAIGN_MAX_SIZES 32
#define CAMPAIGN_MAX_KEYS  64
#define CAMPAIGN_MAX_TASKS 1000000

typedef struct {
  char        file[PETSC_MAX_PATH_LEN]; /* -campaign */
  char        dir[PETSC_MAX_PATH_LEN];  /* output_dir (relative paths: relative to the working directory) */
  GlassyModel model;
  int         nsizes;
  PetscInt    size[CAMPAIGN_MAX_SIZES];    /* L (EA) or N (SK), as listed */
  PetscInt    samples[CAMPAIGN_MAX_SIZES]; /* samples per size */
  PetscInt    batch[CAMPAIGN_MAX_SIZES];   /* samples per task (the lanes of one run) */
  PetscInt    ranks[CAMPAIGN_MAX_SIZES];   /* ranks per worker group */
  uint32_t    seed[CAMPAIGN_MAX_SIZES];    /* the -seed of this size's tasks (mixed from the campaign seed and the size) */
  double      cost[CAMPAIGN_MAX_SIZES];    /* spin-flip attempts per sample */
  /* The run options of each size (every key of the campaign file that is not a campaign key,
   * with per-size lists resolved), in the order of the file. */
  int         nkeys[CAMPAIGN_MAX_SIZES];
  char       *keys[CAMPAIGN_MAX_SIZES][CAMPAIGN_MAX_KEYS], *values[CAMPAIGN_MAX_SIZES][CAMPAIGN_MAX_KEYS];
  char       *text;                        /* the campaign file as read, for provenance */
  /* From the command line. */
  PetscBool   restart, quiet, merge;
  PetscInt    part, parts;                 /* job-array part (0-based) and number of parts */
  PetscReal   progress_interval;
} CampaignSpec;

/* options.c: read the command line of a campaign run and the campaign file (collective on comm);
 * every size's run options are validated through OptionsProcess. */
PetscErrorCode OptionsCampaign(MPI_Comm comm, CampaignSpec *spec);
/* The run options of one task: size index s, samples first .. first+count-1, with its results
 * file and checkpoint (collective on comm). */
PetscErrorCode OptionsCampaignTask(MPI_Comm comm, const CampaignSpec *spec, int s, PetscInt first, PetscInt count, const char *output, const char *checkpoint, GlassyOptions *opt);
PetscErrorCode OptionsCampaignDestroy(CampaignSpec *spec);

/* campaign.c: run (or merge) the campaign; *status is 0, or GLASSY_EXIT_INTERRUPTED when it was
 * stopped before every task finished.  Collective on comm. */
PetscErrorCode CampaignRun(MPI_Comm comm, CampaignSpec *spec, int *status);

#endif

/* ----------------------------------------------------------- internal (campaign_files.c) */
typedef enum { TASK_PENDING, TASK_RUNNING, TASK_INTERRUPTED, TASK_DONE } CampaignTaskState;
extern const char *const CampaignTaskStateNames[];

typedef struct {
  int      s;            /* size index */
  PetscInt first, count; /* samples first .. first+count-1 */
  int      ranks;        /* ranks of its worker group */
  int      part;         /* the job-array part it belongs to */
  double   cost;         /* spin-flip attempts of the whole task */
  int      state;        /* CampaignTaskState */
  double   progress;     /* fraction of its sweeps done, as last known */
  double   progress0;    /* ... when this process started it */
  double   seconds;      /* wall seconds spent on it by this process */
  int      leader;       /* rank of its group's leader while it runs */
  int     *members;      /* the group's ranks while it runs */
} CampaignTask;

/* The task's results file and checkpoint. */
void           CampaignTaskPaths(const CampaignSpec *spec, const CampaignTask *t, char *output, char *checkpoint, size_t len);
/* Rank 0: the state of every task from the files on disk (done tasks checked against the
 * campaign: a results file from different options is an error naming it). */
PetscErrorCode CampaignScan(const CampaignSpec *spec, CampaignTask *task, int ntasks);
/* Rank 0: write the index file (atomically). */
PetscErrorCode CampaignWriteIndex(const CampaignSpec *spec, const CampaignTask *task, int ntasks, double elapsed);
/* Rank 0: the merged results file from the results of every task (atomically). */
PetscErrorCode CampaignMerge(const CampaignSpec *spec, const CampaignTask *task, int ntasks);
/* fsync a file; non-zero on failure. */
int            CampaignSync(const char *path);
/* Rank 0: create output_dir and its task directories. */
PetscErrorCode CampaignMakeDirs(const CampaignSpec *spec);
