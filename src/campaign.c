/* The campaign scheduler (doc/campaigns.md).
 *
 * Rank 0 of the job's communicator keeps the task list, in schedule order: largest expected wall
 * time (attempts per rank of its group) first.  Idle ranks wait for an assignment; rank 0 gives
 * the next task to the lowest idle ranks as soon as there are as many as the task's group needs,
 * the group's ranks make a communicator of their own (MPI_Comm_create_group, which involves only
 * them) and run the task as an ordinary run on it.  The group's leader (its lowest rank) reports
 * progress now and then and the end of the task.  Rank 0 computes too: while it runs a task of
 * its own, the run calls the scheduler at every sweep boundary (SweepHook), so other groups are
 * never kept waiting longer than one of its sweeps.  Waiting ranks sleep between polls: no core
 * spins.
 *
 * Stopping: a stop signal on any rank stops that rank's task at its next sweep boundary with a
 * checkpoint; its leader reports it interrupted; rank 0 then assigns nothing more, asks the
 * other running groups to stop the same way, and when every group has reported, every rank
 * returns with GLASSY_EXIT_INTERRUPTED.  -restart continues from the files on disk. */
#include "campaign.h"
#include "checkpoint.h"
#include "errors.h"
#include "signals.h"
#include "simulation.h"
#include "sk.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { TAG_ASSIGN = 11, TAG_DONE = 12, TAG_PROGRESS = 13, TAG_STOP = 14, TAG_SIGNAL = 15 };

typedef struct {
  CampaignSpec *spec;
  MPI_Comm      msg, make; /* duplicates of the job's communicator: messages; making groups */
  int           rank, size;
  int           ntasks;
  CampaignTask *task;
  int          *order;        /* this part's tasks in schedule order */
  int           norder, next; /* next position in order to hand out */
  /* rank 0 */
  int          *idle; /* [size] */
  int           nidle, running, stopping;
  double        start, next_progress, next_index, last_index;
  int           index_dirty;
  /* the task this rank works on */
  int           current;
  int           stop_requested;
  double        next_report;
} Campaign;

/* Sleep between polls: a waiting rank leaves its core to others. */
static void Nap(void)
{
  struct timespec ts = {0, 2000000};
  nanosleep(&ts, NULL);
}

static void TaskName(const Campaign *c, int i, char *buf, size_t len)
{
  const CampaignTask *t = &c->task[i];
  snprintf(buf, len, "%s=%" PetscInt_FMT " samples %" PetscInt_FMT "-%" PetscInt_FMT, c->spec->model == MODEL_SK ? "N" : "L", c->spec->size[t->s], t->first, t->first + t->count - 1);
}

static void FormatSeconds(double s, char *buf, size_t len)
{
  if (!(s < 1e9)) snprintf(buf, len, "?");
  else if (s < 120) snprintf(buf, len, "%.0f s", s);
  else if (s < 7200) snprintf(buf, len, "%.1f min", s / 60);
  else snprintf(buf, len, "%.1f h", s / 3600);
}

/* Attempts done by this job so far, and attempts left in this part. */
static void Work(const Campaign *c, double *done, double *left)
{
  *done = *left = 0;
  for (int k = 0; k < c->norder; k++) {
    const CampaignTask *t = &c->task[c->order[k]];
    *done += t->cost * PetscMax(0.0, t->progress - t->progress0);
    *left += t->cost * (1 - t->progress);
  }
}

static PetscErrorCode PrintProgress(Campaign *c, PetscBool final)
{
  char   line[4096], el[32], eta[32];
  size_t at = 0;
  int    ndone = 0, nrun = 0;
  double done, left, now = MPI_Wtime(), rate;
  PetscFunctionBeginUser;
  Work(c, &done, &left);
  rate = done / (now - c->start);
  for (int k = 0; k < c->norder; k++) {
    ndone += c->task[c->order[k]].state == TASK_DONE;
    nrun += c->task[c->order[k]].state == TASK_RUNNING;
  }
  at += (size_t)snprintf(line + at, sizeof line - at, "glassy: campaign %d/%d tasks done (", ndone, c->norder);
  for (int s = 0; s < c->spec->nsizes && at < sizeof line - 64; s++) {
    int n = 0, d = 0;
    for (int k = 0; k < c->norder; k++)
      if (c->task[c->order[k]].s == s) n++, d += c->task[c->order[k]].state == TASK_DONE;
    at += (size_t)snprintf(line + at, sizeof line - at, "%s%s%" PetscInt_FMT " %d/%d", s ? ", " : "", c->spec->model == MODEL_SK ? "N" : "L", c->spec->size[s], d, n);
  }
  FormatSeconds(now - c->start, el, sizeof el);
  FormatSeconds(rate > 0 ? left / rate : 1e99, eta, sizeof eta);
  if (final) snprintf(line + at, sizeof line - at, "), %.3g attempts/s, %s elapsed\n", rate, el);
  else snprintf(line + at, sizeof line - at, "), %d running, %.3g attempts/s, %s elapsed, about %s left\n", nrun, rate, el, eta);
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s", line));
  PetscFunctionReturn(0);
}

/* rank 0: ask every other running group to checkpoint and stop. */
static PetscErrorCode BeginStop(Campaign *c)
{
  int one = 1;
  PetscFunctionBeginUser;
  if (c->stopping) PetscFunctionReturn(0);
  c->stopping = 1;
  for (int k = 0; k < c->norder; k++) {
    const CampaignTask *t = &c->task[c->order[k]];
    if (t->state == TASK_RUNNING && t->leader != 0) PetscCallMPI(MPI_Send(&one, 1, MPI_INT, t->leader, TAG_STOP, c->msg));
  }
  if (!c->spec->quiet) PetscCall(PetscPrintf(PETSC_COMM_SELF, "glassy: campaign stopping: running tasks write checkpoints; continue with -restart\n"));
  PetscFunctionReturn(0);
}

/* rank 0: the end of task i (reported by its leader, or rank 0's own). */
static PetscErrorCode Finished(Campaign *c, int i, int interrupted, double seconds, double progress, double progress0)
{
  CampaignTask *t = &c->task[i];
  PetscFunctionBeginUser;
  t->state     = interrupted ? TASK_INTERRUPTED : TASK_DONE;
  t->seconds  += seconds;
  t->progress  = interrupted ? progress : 1;
  t->progress0 = progress0;
  for (int m = 0; m < t->ranks; m++) c->idle[t->members[m]] = 1;
  c->nidle += t->ranks;
  c->running--;
  c->index_dirty = 1;
  PetscCall(PetscFree(t->members));
  if (interrupted) PetscCall(BeginStop(c));
  PetscFunctionReturn(0);
}

static PetscErrorCode Receive(Campaign *c)
{
  PetscFunctionBeginUser;
  for (;;) {
    int        flag;
    MPI_Status st;
    double     m[5];
    PetscCallMPI(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, c->msg, &flag, &st));
    if (!flag) break;
    PetscCheck(st.MPI_TAG == TAG_DONE || st.MPI_TAG == TAG_PROGRESS || st.MPI_TAG == TAG_SIGNAL, PETSC_COMM_SELF, PETSC_ERR_PLIB, "campaign: unexpected message with tag %d from rank %d", st.MPI_TAG, st.MPI_SOURCE);
    PetscCallMPI(MPI_Recv(m, 5, MPI_DOUBLE, st.MPI_SOURCE, st.MPI_TAG, c->msg, MPI_STATUS_IGNORE));
    if (st.MPI_TAG == TAG_SIGNAL) { /* an idle rank was signalled */
      PetscCall(BeginStop(c));
      continue;
    }
    {
      const int i = (int)m[0];
      PetscCheck(i >= 0 && i < c->ntasks && c->task[i].state == TASK_RUNNING, PETSC_COMM_SELF, PETSC_ERR_PLIB, "campaign: rank %d reported task %d, which is not running", st.MPI_SOURCE, i);
      if (st.MPI_TAG == TAG_PROGRESS) {
        c->task[i].progress  = m[1];
        c->task[i].progress0 = m[2];
      } else PetscCall(Finished(c, i, (int)m[3], m[4], m[1], m[2]));
    }
  }
  PetscFunctionReturn(0);
}

/* rank 0: hand out tasks to idle ranks (rank 0 included only if allow_self); *self receives a
 * task that rank 0 takes part in, which it must start at once. */
static PetscErrorCode Assign(Campaign *c, PetscBool allow_self, int *self)
{
  PetscFunctionBeginUser;
  if (self) *self = -1;
  while (!c->stopping && c->next < c->norder) {
    const int     i = c->order[c->next];
    CampaignTask *t = &c->task[i];
    int           avail = c->nidle - (c->idle[0] && !allow_self), g = 0, *buf;
    if (t->state == TASK_DONE) { /* found done on disk */
      c->next++;
      continue;
    }
    if (t->ranks > avail) break;
    PetscCall(PetscMalloc1(t->ranks, &t->members));
    for (int r = allow_self ? 0 : 1; r < c->size && g < t->ranks; r++)
      if (c->idle[r]) t->members[g++] = r;
    PetscCall(PetscMalloc1(2 + g, &buf));
    buf[0] = i;
    buf[1] = g;
    memcpy(buf + 2, t->members, (size_t)g * sizeof(int));
    for (int m = 0; m < g; m++) {
      c->idle[t->members[m]] = 0;
      if (t->members[m]) PetscCallMPI(MPI_Send(buf, 2 + g, MPI_INT, t->members[m], TAG_ASSIGN, c->msg));
    }
    PetscCall(PetscFree(buf));
    c->nidle -= g;
    c->running++;
    c->next++;
    t->state       = TASK_RUNNING;
    t->leader      = t->members[0];
    c->index_dirty = 1;
    if (t->members[0] == 0) {
      *self = i;
      break;
    }
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode Service(Campaign *c, PetscBool allow_self, int *self)
{
  double now;
  PetscFunctionBeginUser;
  PetscCall(Receive(c));
  if (SignalsCaught()) PetscCall(BeginStop(c));
  PetscCall(Assign(c, allow_self, self));
  now = MPI_Wtime();
  if (!c->spec->quiet && now >= c->next_progress) {
    PetscCall(PrintProgress(c, PETSC_FALSE));
    c->next_progress = now + c->spec->progress_interval;
  }
  if (c->index_dirty && now >= c->last_index + 5) {
    PetscCall(CampaignWriteIndex(c->spec, c->task, c->ntasks, now - c->start));
    c->index_dirty = 0;
    c->last_index  = now;
  }
  PetscFunctionReturn(0);
}

/* The progress of the task this rank leads, from its run's sweep count. */
static CampaignTask *TrackProgress(Campaign *c, int64_t sweep, int64_t total)
{
  CampaignTask *t = &c->task[c->current];
  if (t->progress0 < 0) t->progress0 = (double)(sweep - 1) / (double)total;
  t->progress = (double)sweep / (double)total;
  return t;
}

/* The hook of rank 0's own task. */
static PetscErrorCode HookRoot(void *ctx, int64_t sweep, int64_t total, int *stop)
{
  Campaign *c = ctx;
  PetscFunctionBeginUser;
  TrackProgress(c, sweep, total);
  PetscCall(Service(c, PETSC_FALSE, NULL));
  *stop = c->stopping;
  PetscFunctionReturn(0);
}

/* The hook of the leader of any other group: progress reports, and rank 0's stop request. */
static PetscErrorCode HookLeader(void *ctx, int64_t sweep, int64_t total, int *stop)
{
  Campaign     *c = ctx;
  CampaignTask *t = TrackProgress(c, sweep, total);
  int           flag;
  double        now = MPI_Wtime();
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Iprobe(0, TAG_STOP, c->msg, &flag, MPI_STATUS_IGNORE));
  if (flag) {
    int one;
    PetscCallMPI(MPI_Recv(&one, 1, MPI_INT, 0, TAG_STOP, c->msg, MPI_STATUS_IGNORE));
    c->stop_requested = 1;
  }
  if (now >= c->next_report) {
    double m[5] = {(double)c->current, t->progress, t->progress0, 0, 0};
    PetscCallMPI(MPI_Send(m, 5, MPI_DOUBLE, 0, TAG_PROGRESS, c->msg));
    c->next_report = now + PetscMin(5.0, c->spec->progress_interval / 2);
  }
  *stop = c->stop_requested;
  PetscFunctionReturn(0);
}

static int Exists(const char *dir, const char *name)
{
  char        path[2 * PETSC_MAX_PATH_LEN + 128];
  struct stat st;
  snprintf(path, sizeof path, name[0] ? "%s/%s" : "%s%s", dir, name);
  return stat(path, &st) == 0;
}

/* Run task i on the group communicator g. */
static PetscErrorCode TaskRun(Campaign *c, MPI_Comm g, int i, int *interrupted)
{
  const CampaignSpec *spec = c->spec;
  CampaignTask       *t    = &c->task[i];
  char                out[PETSC_MAX_PATH_LEN + 64], ckpt[PETSC_MAX_PATH_LEN + 64];
  GlassyOptions       opt;
  PetscBool           restored;
  SweepHook           hook = {NULL, NULL};
  int                 grank;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(g, &grank));
  if (!grank) {
    hook.fn  = c->rank ? HookLeader : HookRoot;
    hook.ctx = c;
  }
  CampaignTaskPaths(spec, t, out, ckpt, sizeof out);
  PetscCall(OptionsCampaignTask(g, spec, t->s, t->first, t->count, out, ckpt, &opt));
  { /* A task that never wrote a checkpoint starts quietly (the restore would say so). */
    char prev[sizeof ckpt + 8];
    int  has = 0;
    snprintf(prev, sizeof prev, "%s.prev", ckpt);
    if (!grank) has = Exists(ckpt, "") || Exists(prev, "");
    PetscCallMPI(MPI_Bcast(&has, 1, MPI_INT, 0, g));
    if (!has) opt.restart = PETSC_FALSE;
  }
  if (opt.model == MODEL_SK) {
    SK *sk;
    PetscCall(SKCreate(g, &opt, &sk));
    if (opt.restart) PetscCall(SKRestore(sk, &restored));
    sk->hook = hook;
    PetscCall(SKRun(sk));
    *interrupted = sk->interrupted;
    if (!*interrupted) PetscCall(SKWrite(sk));
    PetscCall(SKDestroy(&sk));
  } else {
    Simulation *sim;
    PetscCall(SimulationCreate(g, &opt, &sim));
    if (opt.restart) PetscCall(CheckpointRestore(sim, &restored));
    sim->hook = hook;
    PetscCall(SimulationRun(sim));
    *interrupted = sim->interrupted;
    if (!*interrupted) PetscCall(OutputWrite(sim));
    PetscCall(SimulationDestroy(&sim));
  }
  if (!*interrupted && !grank) { /* the results are in place: the checkpoints are not needed */
    char prev[sizeof ckpt + 8];
    snprintf(prev, sizeof prev, "%s.prev", ckpt);
    PetscCheck(!CampaignSync(out), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot flush %s to disk", out);
    unlink(ckpt);
    unlink(prev);
  }
  PetscCall(OptionsDestroy(&opt));
  PetscFunctionReturn(0);
}

/* Make the group of task i from its member list, run the task and report its end (leader). */
static PetscErrorCode TaskGroup(Campaign *c, int i, const int *members, int g, int *interrupted, double *seconds)
{
  MPI_Group      world, group;
  MPI_Comm       comm;
  PetscErrorCode e;
  double         t0 = MPI_Wtime();
  PetscFunctionBeginUser;
  c->current              = i; /* stop_requested stays set: rank 0 assigns nothing after a stop */
  c->next_report          = t0 + PetscMin(5.0, c->spec->progress_interval / 2);
  c->task[i].progress0    = -1;
  PetscCallMPI(MPI_Comm_group(c->make, &world));
  PetscCallMPI(MPI_Group_incl(world, g, members, &group));
  PetscCallMPI(MPI_Comm_create_group(c->make, group, 0, &comm));
  PetscCallMPI(MPI_Group_free(&group));
  PetscCallMPI(MPI_Group_free(&world));
  e = TaskRun(c, comm, i, interrupted);
  if (e) {
    /* Finished tasks and checkpoints stay on disk; the whole job stops (-restart continues). */
    char name[128];
    TaskName(c, i, name, sizeof name);
    fprintf(stderr, "glassy: error in campaign task %s on rank %d: %s\n", name, c->rank, ErrorsLastMessage());
    fflush(stderr);
    MPI_Abort(c->msg, 1);
  }
  PetscCallMPI(MPI_Comm_free(&comm));
  *seconds = MPI_Wtime() - t0;
  if (c->task[i].progress0 < 0) c->task[i].progress0 = 0;
  PetscFunctionReturn(0);
}

static PetscErrorCode Worker(Campaign *c)
{
  int *buf, signalled = 0;
  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(2 + c->size, &buf));
  for (;;) {
    MPI_Request req;
    int         done = 0, interrupted = 0;
    double      seconds;
    PetscCallMPI(MPI_Irecv(buf, 2 + c->size, MPI_INT, 0, TAG_ASSIGN, c->msg, &req));
    for (;;) {
      int flag;
      PetscCallMPI(MPI_Test(&req, &done, MPI_STATUS_IGNORE));
      if (done) break;
      PetscCallMPI(MPI_Iprobe(0, TAG_STOP, c->msg, &flag, MPI_STATUS_IGNORE));
      if (flag) {
        /* A stop request that crossed the end of our last task, or that came with an assignment
         * still on its way: rank 0 assigns nothing after a stop, so keep it for the next task. */
        int one;
        PetscCallMPI(MPI_Recv(&one, 1, MPI_INT, 0, TAG_STOP, c->msg, MPI_STATUS_IGNORE));
        c->stop_requested = 1;
      }
      if (SignalsCaught() && !signalled) { /* tell rank 0, which stops the campaign */
        double m[5] = {-1, 0, 0, 0, 0};
        PetscCallMPI(MPI_Send(m, 5, MPI_DOUBLE, 0, TAG_SIGNAL, c->msg));
        signalled = 1;
      }
      Nap();
    }
    if (buf[0] < 0) break;
    PetscCall(TaskGroup(c, buf[0], buf + 2, buf[1], &interrupted, &seconds));
    if (buf[2] == c->rank) {
      const CampaignTask *t    = &c->task[buf[0]];
      double              m[5] = {(double)buf[0], t->progress, t->progress0, (double)interrupted, seconds};
      PetscCallMPI(MPI_Send(m, 5, MPI_DOUBLE, 0, TAG_DONE, c->msg));
    }
  }
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(0);
}

static PetscErrorCode Root(Campaign *c)
{
  PetscFunctionBeginUser;
  for (;;) {
    int self;
    PetscCall(Service(c, PETSC_TRUE, &self));
    if (self >= 0) {
      int           interrupted;
      double        seconds;
      CampaignTask *t = &c->task[self];
      PetscCall(TaskGroup(c, self, t->members, t->ranks, &interrupted, &seconds));
      PetscCall(Finished(c, self, interrupted, seconds, t->progress, t->progress0));
      continue;
    }
    if (c->running == 0 && (c->stopping || c->next >= c->norder)) break;
    Nap();
  }
  {
    int stop[2] = {-1, 0};
    for (int r = 1; r < c->size; r++) PetscCallMPI(MPI_Send(stop, 2, MPI_INT, r, TAG_ASSIGN, c->msg));
  }
  PetscFunctionReturn(0);
}

/* Wait, asleep, until every rank of comm is here (while rank 0 alone scans or merges files). */
static PetscErrorCode SleepyBarrier(MPI_Comm comm)
{
  MPI_Request r;
  int         done = 0;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Ibarrier(comm, &r));
  for (;;) {
    PetscCallMPI(MPI_Test(&r, &done, MPI_STATUS_IGNORE));
    if (done) break;
    Nap();
  }
  PetscFunctionReturn(0);
}

/* Schedule order: the longest expected wall time (attempts per rank) first; ties in file order. */
static const CampaignTask *sort_tasks;
static int CompareTasks(const void *a, const void *b)
{
  const CampaignTask *x = &sort_tasks[*(const int *)a], *y = &sort_tasks[*(const int *)b];
  double              wx = x->cost / x->ranks, wy = y->cost / y->ranks;
  if (wx != wy) return wx > wy ? -1 : 1;
  if (x->s != y->s) return x->s - y->s;
  return x->first < y->first ? -1 : x->first > y->first;
}


/* Whether any task of this part (or its index) has left a file. */
static int PartStarted(const Campaign *c)
{
  char out[PETSC_MAX_PATH_LEN + 64], ckpt[PETSC_MAX_PATH_LEN + 64], name[64];
  snprintf(name, sizeof name, "index-part%" PetscInt_FMT "of%" PetscInt_FMT ".h5", c->spec->part, c->spec->parts);
  if (c->spec->parts > 1 && Exists(c->spec->dir, name)) return 1;
  for (int k = 0; k < c->norder; k++) {
    CampaignTaskPaths(c->spec, &c->task[c->order[k]], out, ckpt, sizeof out);
    if (Exists(out, "") || Exists(ckpt, "")) return 1;
  }
  return 0;
}

PetscErrorCode CampaignRun(MPI_Comm comm, CampaignSpec *spec, int *status)
{
  Campaign       c;
  PetscErrorCode e = 0;
  int           *all;
  int            counts[4] = {0, 0, 0, 0}, complete;
  PetscFunctionBeginUser;
  *status = 0;
  PetscCall(PetscMemzero(&c, sizeof c));
  c.spec = spec;
  PetscCallMPI(MPI_Comm_rank(comm, &c.rank));
  PetscCallMPI(MPI_Comm_size(comm, &c.size));

  /* The tasks, identical on every rank. */
  for (int s = 0; s < spec->nsizes; s++) c.ntasks += (int)(((int64_t)spec->samples[s] + spec->batch[s] - 1) / spec->batch[s]); /* at most CAMPAIGN_MAX_TASKS */
  PetscCall(PetscCalloc1(c.ntasks, &c.task));
  PetscCall(PetscMalloc2(c.ntasks, &c.order, c.ntasks, &all));
  for (int s = 0, i = 0; s < spec->nsizes; s++)
    for (int64_t f = 0; f < spec->samples[s]; f += spec->batch[s], i++) {
      CampaignTask *t = &c.task[i];
      t->s            = s;
      t->first        = (PetscInt)f;
      t->count        = (PetscInt)PetscMin((int64_t)spec->batch[s], spec->samples[s] - f);
      t->ranks        = (int)spec->ranks[s];
      t->cost         = spec->cost[s] * (double)t->count;
      all[i]          = i;
    }
  sort_tasks = c.task;
  qsort(all, (size_t)c.ntasks, sizeof *all, CompareTasks);
  for (int k = 0; k < c.ntasks; k++) {
    c.task[all[k]].part = (int)(k % spec->parts); /* parts deal the schedule out in turn */
    if (c.task[all[k]].part == spec->part || spec->merge) c.order[c.norder++] = all[k];
  }

  /* The directory and the state on disk (rank 0), shared as one collective outcome. */
  if (!c.rank) {
    if (spec->merge) {
      if (!Exists(spec->dir, "tasks")) e = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, GLASSY_ERR_INPUT, PETSC_ERROR_INITIAL, "-campaign_merge: output_dir %s holds no campaign", spec->dir);
    } else if (!spec->restart && (Exists(spec->dir, "index.h5") || Exists(spec->dir, "results.h5") || PartStarted(&c)))
      e = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, GLASSY_ERR_INPUT, PETSC_ERROR_INITIAL, "-campaign %s: output_dir %s already holds %s of this campaign; add -restart to continue it, or choose another output_dir", spec->file, spec->dir, spec->parts > 1 ? "this part" : "a run");
    if (!e && !spec->merge) e = CampaignMakeDirs(spec);
    if (!e) e = CampaignScan(spec, c.task, c.ntasks);
  }
  PetscCall(SleepyBarrier(comm));
  PetscCall(ErrorsShare(comm, 0, e));
  if (!c.rank)
    for (int k = 0; k < c.norder; k++) counts[c.task[c.order[k]].state]++;
  PetscCallMPI(MPI_Bcast(counts, 4, MPI_INT, 0, comm));

  if (spec->merge) {
    if (!c.rank) {
      e = CampaignMerge(spec, c.task, c.ntasks);
      if (!e) e = CampaignWriteIndex(spec, c.task, c.ntasks, 0);
    }
    PetscCall(SleepyBarrier(comm));
    PetscCall(ErrorsShare(comm, 0, e));
    PetscCall(PetscPrintf(comm, "glassy: campaign %s: merged the %d tasks into %s/results.h5\n", spec->file, c.ntasks, spec->dir));
    goto done;
  }

  {
    char sizes[512];
    int  at = 0;
    for (int s = 0; s < spec->nsizes && at < (int)sizeof sizes - 32; s++) at += snprintf(sizes + at, sizeof sizes - (size_t)at, "%s%" PetscInt_FMT, s ? "," : "", spec->size[s]);
    PetscCall(PetscPrintf(comm, "glassy: campaign %s: %s, %s = %s; %d tasks%s (%d done, %d interrupted, %d to start) on %d ranks; files in %s\n", spec->file, spec->model == MODEL_SK ? "SK" : "EA", spec->model == MODEL_SK ? "N" : "L", sizes, c.norder, spec->parts > 1 ? " in this part" : "", counts[TASK_DONE], counts[TASK_INTERRUPTED], counts[TASK_PENDING], c.size, spec->dir));
    if (spec->parts > 1) PetscCall(PetscPrintf(comm, "glassy: this is part %" PetscInt_FMT " of %" PetscInt_FMT " (%d tasks in all)\n", spec->part, spec->parts, c.ntasks));
  }
  PetscCallMPI(MPI_Comm_dup(comm, &c.msg));
  PetscCallMPI(MPI_Comm_dup(comm, &c.make));
  c.start = c.last_index = MPI_Wtime();
  c.next_progress        = c.start + spec->progress_interval;
  if (!c.rank) {
    PetscCall(PetscMalloc1(c.size, &c.idle));
    for (int r = 0; r < c.size; r++) c.idle[r] = 1;
    c.nidle = c.size;
    for (int k = 0; k < c.norder; k++) c.task[c.order[k]].progress0 = c.task[c.order[k]].progress;
    e = CampaignWriteIndex(spec, c.task, c.ntasks, 0);
    if (!e) e = Root(&c);
    if (e) { /* on rank 0 alone, with the workers waiting: finished tasks and checkpoints stay */
      fprintf(stderr, "glassy: error in the campaign scheduler: %s\n", ErrorsLastMessage());
      fflush(stderr);
      MPI_Abort(c.msg, 1);
    }
  } else PetscCall(Worker(&c));
  PetscCallMPI(MPI_Comm_free(&c.msg));
  PetscCallMPI(MPI_Comm_free(&c.make));

  /* The end: index, merged results when every task is done, and the outcome on every rank. */
  complete = 1;
  if (!c.rank) {
    double done, left, wall = MPI_Wtime() - c.start;
    for (int k = 0; k < c.norder; k++) complete &= c.task[c.order[k]].state == TASK_DONE;
    e = CampaignWriteIndex(spec, c.task, c.ntasks, wall);
    if (!e && complete && spec->parts == 1) e = CampaignMerge(spec, c.task, c.ntasks);
    Work(&c, &done, &left);
    if (!e && !spec->quiet) e = PrintProgress(&c, PETSC_TRUE);
    if (!e && done > 0) e = PetscPrintf(PETSC_COMM_SELF, "glassy: %.6g spin-flip attempts in %.3f s on %d ranks: %.1f ps per attempt per core\n", done, wall, c.size, wall * c.size / done * 1e12);
  }
  PetscCall(SleepyBarrier(comm));
  PetscCall(ErrorsShare(comm, 0, e));
  PetscCallMPI(MPI_Bcast(&complete, 1, MPI_INT, 0, comm));
  if (!complete) {
    *status = GLASSY_EXIT_INTERRUPTED;
    PetscCall(PetscPrintf(comm, "glassy: campaign stopped before its end; run the same command with -restart to continue\n"));
  } else if (spec->parts > 1)
    PetscCall(PetscPrintf(comm, "glassy: part %" PetscInt_FMT " of %" PetscInt_FMT " is done; when every part is, merge with: glassy -campaign %s -campaign_merge\n", spec->part, spec->parts, spec->file));
  else PetscCall(PetscPrintf(comm, "glassy: campaign done; results in %s/results.h5 (analyse with tools/campaign_analysis.py %s)\n", spec->dir, spec->dir));
done:
  for (int i = 0; i < c.ntasks; i++) PetscCall(PetscFree(c.task[i].members));
  PetscCall(PetscFree(c.idle));
  PetscCall(PetscFree2(c.order, all));
  PetscCall(PetscFree(c.task));
  PetscFunctionReturn(0);
}
