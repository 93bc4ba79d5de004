/*
 * enumerate.c - exact enumeration reference for the glassy Monte Carlo tests.
 *
 * Usage: enumerate FILE N T1 [T2 ...]
 *
 * FILE lists the bonds of an Ising model H(s) = - sum_b J_b s_i s_j, one bond
 * "i j J" per line (0-based sites, '#' starts a comment, blank lines allowed).
 * Every line is a separate bond: a pair listed twice contributes twice, as on
 * a periodic L=2 lattice.  For each temperature T one line is printed:
 *
 *   T  e=<H>/N  e2=<(H/N)^2>  abs_m=<|M|/N>  q2=<q^2>  q4=<q^4>  q_link
 *
 * where q = (1/N) sum_i s_i t_i is the overlap of two independent replicas
 * and q_link = (1/Nb) sum_b <s_i s_j>^2 is the average link overlap
 * (printed as nan when the file lists no bond).
 *
 * Method.  A configuration is an N-bit mask s; bit i set means s_i = -1.
 *
 *  1. Energies are enumerated block by block: the low B bits run through a
 *     Gray code (one spin flip per step, dH from per-site neighbour lists),
 *     and the energy of each block's first state is recomputed from scratch,
 *     so rounding cannot accumulate over more than 2^B steps (and the
 *     running energy is long double, so it does not accumulate visibly).
 *  2. Weights w(s) = exp(-(H(s) - Hmin)/T) never overflow (w <= 1); e, e2,
 *     abs_m and Z are accumulated while w is filled in.  All sums over 2^N
 *     states use compensated (Neumaier) summation in long double: plain
 *     summation of millions of tiny, identical terms into a large total
 *     is biased and loses ~1e-13 relative accuracy at N = 26.
 *  3. The Walsh-Hadamard transform W(k) = sum_s w(s) (-1)^popcount(s&k)
 *     equals Z <prod_{i in k} s_i>, so <s_i s_j> = W(2^i + 2^j) / Z gives
 *     q_link directly.
 *  4. The overlap only depends on u = s XOR t: q(u) = 1 - 2 popcount(u)/N.
 *     The pair weight C(u) = sum_s w(s) w(s XOR u) is the XOR
 *     autocorrelation of w, so C = WHT^{-1}(W^2) = WHT(W^2) / 2^N, and
 *     <q^n> = sum_u C(u) q(u)^n / Z^2.
 *
 * Cost: O((Nb/2^B + deg) 2^N) per energy pass and O(N 2^N) per transform;
 * memory: one array of 2^N doubles (512 MiB at N = 26).
 *
 * Plain C99 + libm, no MPI:
 *   gcc -O2 -std=c99 -Wall -Wextra -o enumerate tests/enumerate.c -lm
 */

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SPINS 26
#define GRAY_BITS 12 /* Gray-code block size is 2^GRAY_BITS states */

typedef struct {
    int i, j;
    double J;
} Bond;

typedef struct {
    int n;          /* number of spins */
    size_t nb;      /* number of bonds */
    Bond *bonds;    /* the bonds as listed */
    /* neighbours of site k (one entry per bond end, CSR layout): entries
     * start[k] .. start[k+1]-1 of nbr_site[] and nbr_J[] */
    size_t *start;
    int *nbr_site;
    double *nbr_J;
} Model;

typedef struct {
    double T, e, e2, abs_m, q2, q4, q_link;
    double pq[MAX_SPINS + 1]; /* P(q) at q = -1 + 2k/N, k = 0..N */
} Result;

typedef struct {
    long double sum, comp; /* running sum and its rounding compensation */
} Acc;

static const char *prog = "enumerate";

/* ------------------------------------------------------------------ */
/* small helpers                                                       */
/* ------------------------------------------------------------------ */

static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        die("out of memory (requested %lu bytes)", (unsigned long)size);
    return p;
}

static int popcount32(uint32_t x)
{
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0fu;
    return (int)((x * 0x01010101u) >> 24);
}

/* index of the lowest set bit of x (x != 0) */
static int lowest_bit(uint32_t x)
{
    int k = 0;
    while (!(x & 1u)) {
        x >>= 1;
        k++;
    }
    return k;
}

/* Neumaier compensated summation */
static void acc_add(Acc *a, long double x)
{
    long double t = a->sum + x;

    if (fabsl(a->sum) >= fabsl(x))
        a->comp += (a->sum - t) + x;
    else
        a->comp += (x - t) + a->sum;
    a->sum = t;
}

static long double acc_value(const Acc *a)
{
    return a->sum + a->comp;
}

/* spin value of site i in configuration s: bit set means -1 */
static int spin(uint32_t s, int i)
{
    return ((s >> i) & 1u) ? -1 : 1;
}

/* ------------------------------------------------------------------ */
/* command line                                                        */
/* ------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr,
            "usage: %s FILE N T1 [T2 ...]\n"
            "  FILE  bond list, one 'i j J' per line (0-based, '#' comments)\n"
            "  N     number of spins, 1 <= N <= %d\n"
            "  T     temperatures > 0\n",
            prog, MAX_SPINS);
    exit(1);
}

static int parse_nspins(const char *arg)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(arg, &end, 10);
    if (end == arg || *end != '\0' || errno == ERANGE)
        die("N must be an integer, got '%s'", arg);
    if (n < 1)
        die("N must be at least 1, got %ld", n);
    if (n > MAX_SPINS)
        die("N = %ld is too large: exact enumeration of 2^N states is "
            "limited to N <= %d", n, MAX_SPINS);
    return (int)n;
}

static double parse_temperature(const char *arg)
{
    char *end;
    double T;

    T = strtod(arg, &end); /* overflow gives inf, underflow is harmless */
    if (end == arg || *end != '\0' || !isfinite(T))
        die("temperature must be a finite number, got '%s'", arg);
    if (!(T > 0.0))
        die("temperature must be positive, got '%s'", arg);
    return T;
}

/* ------------------------------------------------------------------ */
/* bond file                                                           */
/* ------------------------------------------------------------------ */

/* Read one line of any length into *buf (without the newline).
 * Returns 0 at end of file, 1 otherwise. */
static int read_line(FILE *fp, char **buf, size_t *cap)
{
    size_t len = 0;
    int c;

    while ((c = fgetc(fp)) != EOF && c != '\n') {
        if (len + 1 >= *cap) {
            *cap = *cap ? 2 * *cap : 128;
            *buf = realloc(*buf, *cap);
            if (!*buf)
                die("out of memory while reading the bond file");
        }
        (*buf)[len++] = (char)c;
    }
    if (c == EOF && len == 0)
        return 0;
    if (*cap == 0) {
        *cap = 128;
        *buf = xmalloc(*cap);
    }
    (*buf)[len] = '\0';
    return 1;
}

static int parse_site(const char *tok, int n, int *site)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(tok, &end, 10);
    if (end == tok || *end != '\0' || errno == ERANGE)
        return 0;
    if (v < 0 || v >= n)
        return -1;
    *site = (int)v;
    return 1;
}

/* Parse one line into *b.  Returns 1 for a bond, 0 for a blank/comment
 * line; on error writes a description to msg and returns -1. */
static int parse_bond_line(char *line, int n, Bond *b, char *msg, size_t len)
{
    static const char *ws = " \t\r\n\v\f";
    char *tok[3], *t, *hash, *end;
    int ntok = 0, k, r;

    hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    for (t = strtok(line, ws); t; t = strtok(NULL, ws)) {
        if (ntok < 3)
            tok[ntok] = t;
        ntok++;
    }
    if (ntok == 0)
        return 0;
    if (ntok != 3) {
        snprintf(msg, len, "expected 3 fields 'i j J', found %d", ntok);
        return -1;
    }
    for (k = 0; k < 2; k++) {
        r = parse_site(tok[k], n, k ? &b->j : &b->i);
        if (r == 0) {
            snprintf(msg, len, "site index '%s' is not an integer", tok[k]);
            return -1;
        }
        if (r < 0) {
            snprintf(msg, len, "site index %s out of range [0, %d)",
                     tok[k], n);
            return -1;
        }
    }
    if (b->i == b->j) {
        snprintf(msg, len, "bond connects site %d to itself", b->i);
        return -1;
    }
    b->J = strtod(tok[2], &end);
    if (end == tok[2] || *end != '\0' || !isfinite(b->J)) {
        snprintf(msg, len, "coupling '%s' is not a finite number", tok[2]);
        return -1;
    }
    return 1;
}

static void read_bonds(const char *path, Model *m)
{
    FILE *fp = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, alloc = 0;
    long lineno = 0;
    char msg[256];
    Bond b;
    int r;

    if (!fp)
        die("cannot open %s: %s", path, strerror(errno));
    m->nb = 0;
    m->bonds = NULL;
    while (read_line(fp, &line, &cap)) {
        lineno++;
        r = parse_bond_line(line, m->n, &b, msg, sizeof msg);
        if (r < 0)
            die("%s:%ld: %s", path, lineno, msg);
        if (r == 0)
            continue;
        if (m->nb == alloc) {
            alloc = alloc ? 2 * alloc : 64;
            m->bonds = realloc(m->bonds, alloc * sizeof *m->bonds);
            if (!m->bonds)
                die("out of memory while reading %s", path);
        }
        m->bonds[m->nb++] = b;
    }
    if (ferror(fp))
        die("%s:%ld: read error", path, lineno + 1);
    fclose(fp);
    free(line);
}

/* Build per-site neighbour lists (each bond appears once at each end). */
static void build_neighbours(Model *m)
{
    size_t *fill = xmalloc((size_t)m->n * sizeof *fill);
    size_t b;
    int k;

    m->start = xmalloc(((size_t)m->n + 1) * sizeof *m->start);
    m->nbr_site = xmalloc(2 * m->nb * sizeof *m->nbr_site);
    m->nbr_J = xmalloc(2 * m->nb * sizeof *m->nbr_J);
    for (k = 0; k <= m->n; k++)
        m->start[k] = 0;
    for (b = 0; b < m->nb; b++) {
        m->start[m->bonds[b].i + 1]++;
        m->start[m->bonds[b].j + 1]++;
    }
    for (k = 0; k < m->n; k++) {
        m->start[k + 1] += m->start[k];
        fill[k] = m->start[k];
    }
    for (b = 0; b < m->nb; b++) {
        const Bond *bd = &m->bonds[b];
        m->nbr_site[fill[bd->i]] = bd->j;
        m->nbr_J[fill[bd->i]++] = bd->J;
        m->nbr_site[fill[bd->j]] = bd->i;
        m->nbr_J[fill[bd->j]++] = bd->J;
    }
    free(fill);
}

/* ------------------------------------------------------------------ */
/* energy enumeration                                                  */
/* ------------------------------------------------------------------ */

static long double energy_direct(const Model *m, uint32_t s)
{
    long double h = 0;
    size_t b;

    for (b = 0; b < m->nb; b++) {
        const Bond *bd = &m->bonds[b];
        h -= (long double)bd->J * spin(s, bd->i) * spin(s, bd->j);
    }
    return h;
}

/* local field h_k = sum over neighbours of J * s_nbr */
static long double local_field(const Model *m, uint32_t s, int k)
{
    long double f = 0;
    size_t a;

    for (a = m->start[k]; a < m->start[k + 1]; a++)
        f += (long double)m->nbr_J[a] * spin(s, m->nbr_site[a]);
    return f;
}

/* Fill ebuf[low] = H(base | low) for all low < 2^bits by a Gray code walk
 * (flipping s_k changes H by 2 s_k h_k, s_k taken before the flip).
 * base must have its low `bits` bits clear.  The running energy is kept in
 * long double so that its drift stays far below double precision. */
static void block_energies(const Model *m, uint32_t base, int bits,
                           double *ebuf)
{
    uint32_t g, s = base;
    long double h = energy_direct(m, base);

    ebuf[0] = (double)h;
    for (g = 1; g < (1u << bits); g++) {
        int k = lowest_bit(g);
        h += 2 * spin(s, k) * local_field(m, s, k);
        s ^= 1u << k;
        ebuf[s - base] = (double)h;
    }
}

static int block_bits(const Model *m)
{
    return m->n < GRAY_BITS ? m->n : GRAY_BITS;
}

static double min_energy(const Model *m, double *ebuf)
{
    int bits = block_bits(m);
    uint32_t base, low, nstates = 1u << m->n;
    double hmin = HUGE_VAL;

    for (base = 0; base < nstates; base += 1u << bits) {
        block_energies(m, base, bits, ebuf);
        for (low = 0; low < (1u << bits); low++)
            if (ebuf[low] < hmin)
                hmin = ebuf[low];
    }
    return hmin;
}

/* Fill w[s] = exp(-(H(s) - hmin)/T) and the single-replica averages.
 * Returns Z = sum_s w(s). */
static long double fill_weights(const Model *m, double T, double hmin,
                                double *ebuf, double *w, Result *r)
{
    int bits = block_bits(m), n = m->n;
    uint32_t base, low, nstates = 1u << n;
    Acc z = {0, 0}, se = {0, 0}, se2 = {0, 0}, sm = {0, 0};
    long double zv;

    for (base = 0; base < nstates; base += 1u << bits) {
        block_energies(m, base, bits, ebuf);
        for (low = 0; low < (1u << bits); low++) {
            uint32_t s = base | low;
            double h = ebuf[low];
            double x = exp(-(h - hmin) / T);
            w[s] = x;
            acc_add(&z, x);
            acc_add(&se, (long double)x * h);
            acc_add(&se2, (long double)x * h * h);
            acc_add(&sm, (long double)x * abs(n - 2 * popcount32(s)));
        }
    }
    zv = acc_value(&z);
    r->e = (double)(acc_value(&se) / zv / n);
    r->e2 = (double)(acc_value(&se2) / zv / ((long double)n * n));
    r->abs_m = (double)(acc_value(&sm) / zv / n);
    return zv;
}

/* ------------------------------------------------------------------ */
/* Walsh-Hadamard transform and overlaps                               */
/* ------------------------------------------------------------------ */

/* In-place unnormalised transform: a[k] <- sum_s a[s] (-1)^popcount(s&k). */
static void wht(double *a, int n)
{
    size_t len, i, j, size = (size_t)1 << n;

    for (len = 1; len < size; len <<= 1)
        for (i = 0; i < size; i += 2 * len)
            for (j = i; j < i + len; j++) {
                double x = a[j], y = a[j + len];
                a[j] = x + y;
                a[j + len] = x - y;
            }
}

/* q_link from the transformed weights W: <s_i s_j> = W(2^i + 2^j) / Z. */
static double link_overlap(const Model *m, const double *W, long double z)
{
    long double sum = 0;
    size_t b;

    if (m->nb == 0)
        return NAN;
    for (b = 0; b < m->nb; b++) {
        uint32_t mask = (1u << m->bonds[b].i) | (1u << m->bonds[b].j);
        long double c = W[mask] / z;
        sum += c * c;
    }
    return (double)(sum / m->nb);
}

/* Given W = WHT(w), compute <q^2>, <q^4> over two independent replicas.
 * Overwrites W with 2^N C(u), C being the XOR autocorrelation of w. */
static void spin_overlaps(double *W, int n, long double z, Result *r)
{
    size_t u, size = (size_t)1 << n;
    Acc q2 = {0, 0}, q4 = {0, 0}, pq[MAX_SPINS + 1];
    long double norm;
    double qsq[MAX_SPINS + 1];
    int k;

    for (k = 0; k <= n; k++) {
        double q = 1.0 - 2.0 * k / n;
        qsq[k] = q * q;
        pq[k].sum = pq[k].comp = 0;
    }
    for (u = 0; u < size; u++)
        W[u] *= W[u];
    wht(W, n); /* now W[u] = 2^N C(u) */
    for (u = 0; u < size; u++) {
        double c = W[u], q = qsq[popcount32((uint32_t)u)];
        acc_add(&q2, (long double)c * q);
        acc_add(&q4, (long double)c * q * q);
        acc_add(&pq[popcount32((uint32_t)u)], (long double)c);
    }
    norm = (long double)size * z * z;
    r->q2 = (double)(acc_value(&q2) / norm);
    r->q4 = (double)(acc_value(&q4) / norm);
    /* d = popcount(u) differing spins: q = 1 - 2d/N, index k = N - d */
    for (k = 0; k <= n; k++)
        r->pq[n - k] = (double)(acc_value(&pq[k]) / norm);
}

/* ------------------------------------------------------------------ */
/* driver                                                              */
/* ------------------------------------------------------------------ */

static void measure(const Model *m, double T, double hmin, double *ebuf,
                    double *w, Result *r)
{
    long double z;

    r->T = T;
    z = fill_weights(m, T, hmin, ebuf, w, r);
    wht(w, m->n);
    r->q_link = link_overlap(m, w, z);
    spin_overlaps(w, m->n, z, r);
}

static void print_result(const Result *r, int n)
{
    int k;
    printf("%.17g %.17g %.17g %.17g %.17g %.17g %.17g\n", r->T, r->e, r->e2,
           r->abs_m, r->q2, r->q4, r->q_link);
    /* The overlap distribution as a comment line: #pq T P(q_0) .. P(q_N), q_k = -1 + 2k/N */
    printf("#pq %.17g", r->T);
    for (k = 0; k <= n; k++)
        printf(" %.17g", r->pq[k]);
    printf("\n");
}

int main(int argc, char **argv)
{
    Model m;
    double *temps, *w, *ebuf, hmin;
    int k, ntemps;

    if (argc < 4)
        usage();
    m.n = parse_nspins(argv[2]);
    ntemps = argc - 3;
    temps = xmalloc((size_t)ntemps * sizeof *temps);
    for (k = 0; k < ntemps; k++)
        temps[k] = parse_temperature(argv[3 + k]);
    read_bonds(argv[1], &m);
    build_neighbours(&m);

    w = xmalloc(((size_t)1 << m.n) * sizeof *w);
    ebuf = xmalloc(((size_t)1 << block_bits(&m)) * sizeof *ebuf);
    hmin = min_energy(&m, ebuf);

    printf("# T e e2 abs_m q2 q4 q_link\n");
    for (k = 0; k < ntemps; k++) {
        Result r;
        measure(&m, temps[k], hmin, ebuf, w, &r);
        print_result(&r, m.n);
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        die("error writing to standard output");

    free(w);
    free(ebuf);
    free(temps);
    free(m.bonds);
    free(m.start);
    free(m.nbr_site);
    free(m.nbr_J);
    return 0;
}
