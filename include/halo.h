/* Halo exchange of the bit-packed configurations between checkerboard half-sweeps.
 *
 * Created once per simulation: face site lists per colour, send and receive buffers, and
 * persistent MPI requests.  Message for face (k, side) carries, for every face site of one colour
 * (in padded-index order), the site's W words of every configuration slot (the padding slots of
 * the spin layout are not sent).  Tags: 2k for
 * data moving towards lower coordinates, 2k+1 towards higher ones, so two neighbours that are the
 * same rank (a grid of extent 2) or the rank itself (extent 1) are told apart.
 *
 * A face whose neighbour is the rank itself (a grid of extent 1 along its dimension) sends no
 * message: HaloCopySelf copies its sites into the opposite halo layer directly, once the whole
 * colour is updated (such faces are not boundary sites, see lattice.h, so the sites go in cache
 * order).
 *
 * Use per half-sweep of colour c: HaloPostReceives(c); update the boundary sites of colour c;
 * HaloSend(c); update the interior sites (overlapping the messages), calling HaloProgress(c)
 * between pieces of it so that MPI moves the messages meanwhile; HaloEnd(c); HaloCopySelf(c). */
#ifndef GLASSY_HALO_H
#define GLASSY_HALO_H

#include "lattice.h"

typedef struct {
  const Lattice *lat;
  int            nslots, slot_stride, W, nfaces;
  uint64_t      *spins; /* [npadded][W][slot_stride] */
  int64_t       *send_sites[2][2 * GLASSY_MAX_DIM], *recv_sites[2][2 * GLASSY_MAX_DIM];
  int64_t        nsend[2][2 * GLASSY_MAX_DIM], nrecv[2][2 * GLASSY_MAX_DIM];
  uint64_t      *send_buf[2][2 * GLASSY_MAX_DIM], *recv_buf[2][2 * GLASSY_MAX_DIM];
  int            self[2 * GLASSY_MAX_DIM]; /* face f wraps around onto this rank (grid extent 1): copied in place */
  int            nreq;                     /* faces with messages; their requests come first, in face order */
  MPI_Request    send_req[2][2 * GLASSY_MAX_DIM], recv_req[2][2 * GLASSY_MAX_DIM];
} Halo;

PetscErrorCode HaloCreate(const Lattice *lat, int nslots, int slot_stride, int W, uint64_t *spins, Halo **halo);
PetscErrorCode HaloDestroy(Halo **halo);
PetscErrorCode HaloPostReceives(Halo *h, int colour);
PetscErrorCode HaloSend(Halo *h, int colour);
PetscErrorCode HaloProgress(Halo *h, int colour);
PetscErrorCode HaloEnd(Halo *h, int colour);
PetscErrorCode HaloCopySelf(Halo *h, int colour);
/* A complete exchange of both colours (after initialisation). */
PetscErrorCode HaloExchangeAll(Halo *h);

#endif
