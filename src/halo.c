/* Halo exchange with persistent requests, created once (see halo.h for the message layout). */
#include "halo.h"
#include <string.h>

/* Face f = 2k + side: side 0 is the face at local coordinate 1 (sent to the lower neighbour),
 * side 1 the face at nloc (sent to the upper one).  The matching halo layer on the receiving
 * rank is nloc+1 (data coming from above, face 2k) or 0 (from below, face 2k+1). */
static PetscErrorCode FaceLists(const Lattice *lat, int f, int colour, int64_t **send, int64_t **recv, int64_t *nsend, int64_t *nrecv)
{
  const int k = f / 2, side = f % 2, d = lat->dim;
  int64_t   ns = 0, nr = 0, cap = lat->nlocal;
  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(cap, send));
  PetscCall(PetscMalloc1(cap, recv));
  for (int64_t p = 0; p < lat->npadded; p++) {
    int64_t rest = p;
    int     x[GLASSY_MAX_DIM], others_inside = 1, parity = 0;
    for (int j = 0; j < d; j++) {
      x[j] = (int)(rest % (lat->nloc[j] + 2));
      rest /= lat->nloc[j] + 2;
      if (j != k && (x[j] < 1 || x[j] > lat->nloc[j])) others_inside = 0;
    }
    if (!others_inside) continue;
    {
      int xg[GLASSY_MAX_DIM];
      LatticeGlobalCoords(d, lat->L, lat->global[p], xg);
      for (int j = 0; j < d; j++) parity += xg[j];
    }
    if ((parity & 1) != colour) continue;
    if (x[k] == (side == 0 ? 1 : lat->nloc[k])) (*send)[ns++] = p;
    if (x[k] == (side == 0 ? lat->nloc[k] + 1 : 0)) (*recv)[nr++] = p;
  }
  *nsend = ns;
  *nrecv = nr;
  PetscFunctionReturn(0);
}

PetscErrorCode HaloCreate(const Lattice *lat, int nslots, int slot_stride, int W, uint64_t *spins, Halo **out)
{
  Halo *h;
  PetscFunctionBeginUser;
  PetscCall(PetscNew(&h));
  h->lat    = lat;
  h->nslots = nslots;
  h->slot_stride = slot_stride;
  h->W      = W;
  h->spins  = spins;
  h->nfaces = 2 * lat->dim;
  for (int f = 0; f < h->nfaces; f++) h->self[f] = lat->nbr_lo[f / 2] == lat->rank && lat->nbr_hi[f / 2] == lat->rank;
  for (int c = 0; c < 2; c++) {
    int r = 0;
    for (int f = 0; f < h->nfaces; f++) {
      const int k = f / 2, side = f % 2;
      int64_t   scount, rcount;
      PetscCall(FaceLists(lat, f, c, &h->send_sites[c][f], &h->recv_sites[c][f], &h->nsend[c][f], &h->nrecv[c][f]));
      PetscCheck(!h->self[f] || h->nsend[c][f] == h->nrecv[c][f], PETSC_COMM_SELF, PETSC_ERR_PLIB, "halo face %d of colour %d wraps onto this rank with %" PetscInt64_FMT " face sites and %" PetscInt64_FMT " halo sites", f, c, (PetscInt64)h->nsend[c][f], (PetscInt64)h->nrecv[c][f]);
      if (h->self[f]) continue; /* copied in place by HaloSend */
      scount = h->nsend[c][f] * nslots * W;
      rcount = h->nrecv[c][f] * nslots * W;
      PetscCheck(scount < INT32_MAX && rcount < INT32_MAX, PETSC_COMM_SELF, PETSC_ERR_SUP, "halo message of %" PetscInt64_FMT " words is too large for one MPI message", (PetscInt64)scount);
      PetscCall(PetscMalloc1(scount > 0 ? scount : 1, &h->send_buf[c][f]));
      PetscCall(PetscMalloc1(rcount > 0 ? rcount : 1, &h->recv_buf[c][f]));
      /* Face 2k (side 0) goes down with tag 2k; we receive tag 2k from above into the upper halo. */
      const int dest = side == 0 ? lat->nbr_lo[k] : lat->nbr_hi[k];
      const int src  = side == 0 ? lat->nbr_hi[k] : lat->nbr_lo[k];
      PetscCallMPI(MPI_Send_init(h->send_buf[c][f], (int)scount, MPI_UINT64_T, dest, f, lat->comm, &h->send_req[c][r]));
      PetscCallMPI(MPI_Recv_init(h->recv_buf[c][f], (int)rcount, MPI_UINT64_T, src, f, lat->comm, &h->recv_req[c][r]));
      r++;
    }
    h->nreq = r;
  }
  *out = h;
  PetscFunctionReturn(0);
}

PetscErrorCode HaloDestroy(Halo **h)
{
  PetscFunctionBeginUser;
  if (!*h) PetscFunctionReturn(0);
  for (int c = 0; c < 2; c++) {
    for (int r = 0; r < (*h)->nreq; r++) {
      PetscCallMPI(MPI_Request_free(&(*h)->send_req[c][r]));
      PetscCallMPI(MPI_Request_free(&(*h)->recv_req[c][r]));
    }
    for (int f = 0; f < (*h)->nfaces; f++) {
      PetscCall(PetscFree((*h)->send_sites[c][f]));
      PetscCall(PetscFree((*h)->recv_sites[c][f]));
      PetscCall(PetscFree((*h)->send_buf[c][f]));
      PetscCall(PetscFree((*h)->recv_buf[c][f]));
    }
  }
  PetscCall(PetscFree(*h));
  PetscFunctionReturn(0);
}

PetscErrorCode HaloPostReceives(Halo *h, int colour)
{
  PetscFunctionBeginUser;
  if (h->nreq) PetscCallMPI(MPI_Startall(h->nreq, h->recv_req[colour]));
  PetscFunctionReturn(0);
}

PetscErrorCode HaloSend(Halo *h, int colour)
{
  const int W = h->W, S = h->slot_stride, ns = h->nslots;
  PetscFunctionBeginUser;
  for (int f = 0; f < h->nfaces; f++) {
    uint64_t      *buf = h->send_buf[colour][f];
    const int64_t *ss  = h->send_sites[colour][f], n = h->nsend[colour][f];
    if (h->self[f]) continue;
    for (int64_t i = 0; i < n; i++)
      for (int w = 0; w < W; w++, buf += ns) memcpy(buf, h->spins + (ss[i] * W + w) * S, sizeof *buf * ns);
  }
  if (h->nreq) PetscCallMPI(MPI_Startall(h->nreq, h->send_req[colour]));
  PetscFunctionReturn(0);
}

PetscErrorCode HaloProgress(Halo *h, int colour)
{
  int done;
  PetscFunctionBeginUser;
  if (h->nreq) {
    PetscCallMPI(MPI_Testall(h->nreq, h->recv_req[colour], &done, MPI_STATUSES_IGNORE));
    PetscCallMPI(MPI_Testall(h->nreq, h->send_req[colour], &done, MPI_STATUSES_IGNORE));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode HaloEnd(Halo *h, int colour)
{
  const int W = h->W, S = h->slot_stride, ns = h->nslots;
  PetscFunctionBeginUser;
  if (h->nreq) PetscCallMPI(MPI_Waitall(h->nreq, h->recv_req[colour], MPI_STATUSES_IGNORE));
  for (int f = 0; f < h->nfaces; f++) {
    const uint64_t *buf = h->recv_buf[colour][f];
    const int64_t  *rs  = h->recv_sites[colour][f], n = h->nrecv[colour][f];
    if (h->self[f]) continue;
    for (int64_t i = 0; i < n; i++)
      for (int w = 0; w < W; w++, buf += ns) memcpy(h->spins + (rs[i] * W + w) * S, buf, sizeof *buf * ns);
  }
  if (h->nreq) PetscCallMPI(MPI_Waitall(h->nreq, h->send_req[colour], MPI_STATUSES_IGNORE));
  PetscFunctionReturn(0);
}

PetscErrorCode HaloCopySelf(Halo *h, int colour)
{
  const int W = h->W, S = h->slot_stride, ns = h->nslots;
  PetscFunctionBeginUser;
  /* The i-th face site and the i-th halo site are the same lattice site. */
  for (int f = 0; f < h->nfaces; f++) {
    const int64_t *ss = h->send_sites[colour][f], *rs = h->recv_sites[colour][f], n = h->nsend[colour][f];
    if (!h->self[f]) continue;
    for (int64_t i = 0; i < n; i++) memcpy(h->spins + rs[i] * W * S, h->spins + ss[i] * W * S, sizeof *h->spins * ((int64_t)(W - 1) * S + ns));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode HaloExchangeAll(Halo *h)
{
  PetscFunctionBeginUser;
  for (int c = 0; c < 2; c++) {
    PetscCall(HaloPostReceives(h, c));
    PetscCall(HaloSend(h, c));
    PetscCall(HaloEnd(h, c));
    PetscCall(HaloCopySelf(h, c));
  }
  PetscFunctionReturn(0);
}
