/* sweep_mpi.c — `mpirun -np N herd sweep SWEEP.yaml`: the same sweep split across MPI
 * ranks (docs/sweeps.md). Compiled only when CMake finds MPI (HERD_MPI); Open MPI does the
 * launching, the transport and the signals, herd adds no protocol of its own.
 *
 * Every rank loads and validates the same plan (the sweep file and the scenario on a
 * shared file system, or the same copies on every node). Rank 0 opens the journal and
 * broadcasts the sorted list of runs not yet done; rank r takes every size-th of them from
 * r (static round-robin: runs of one cell are spread over the ranks, so a slow cell does
 * not pin one rank). Every rank runs its share in-process (no fork under MPI); the others
 * send each row to rank 0 as it finishes, and rank 0 appends every row, its own and
 * theirs, to the journal as it comes. So a job that dies keeps what finished, and the next
 * mpirun, or a local `herd sweep`, continues it. The outputs are written by rank 0 from the
 * journal sorted by (cell, seed): the same bytes as the local mode's. */
#define _POSIX_C_SOURCE 200809L
#include "sweep.h"

#include "exitcode.h"

#include <inttypes.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

enum { TAG_ROW = 1, TAG_ERROR = 2 };

bool herd_sweep_mpi_launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

int herd_sweep_mpi_init(int *rank, int *size)
{
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS) {
        fprintf(stderr, "herd sweep: MPI_Init failed\n");
        return HERD_EXIT_SOFTWARE;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    return 0;
}

int herd_sweep_mpi_agree(int rc)
{
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return rc;
}

void herd_sweep_mpi_finalize(void)
{
    MPI_Finalize();
}

/* Rank 0: take every message waiting (block: wait for one at least). */
static int receive(const herd_sweep_plan *p, herd_sweep_journal *j, bool block, uint64_t *got, herd_sweep_progress *pr)
{
    static char buf[HERD_SWEEP_ROW_MAX];
    int rc = 0;
    for (;;) {
        int flag = 0;
        MPI_Status st;
        if (block) {
            MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
            flag = 1;
            block = false;
        } else {
            MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        }
        if (!flag) return rc;
        int n = 0;
        MPI_Get_count(&st, MPI_CHAR, &n);
        if (n < 1 || n > (int)sizeof buf) n = (int)sizeof buf;
        MPI_Recv(buf, n, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        buf[sizeof buf - 1] = '\0';
        (*got)++;
        if (st.MPI_TAG == TAG_ERROR) {
            fprintf(stderr, "herd sweep: rank %d: %s\n", st.MPI_SOURCE, buf);
            rc = HERD_EXIT_SOFTWARE;
            continue;
        }
        int e = herd_sweep_journal_append(j, p, buf);
        if (e != 0 && rc == 0) rc = e;
        if (e == 0) {
            pr->done++;
            if (!strstr(buf, "\"verdict\":\"pass\"")) pr->failed++;
            herd_sweep_progress_tick(pr, false);
        }
    }
}

/* The runs not done, in order, from rank 0 to all: *todo (malloc'd) and *n. */
static int share_todo(const herd_sweep_journal *j, const herd_sweep_plan *p, int rank, uint64_t **todo, uint64_t *n)
{
    uint64_t count = 0;
    if (rank == 0)
        for (uint64_t r = 0; r < p->nruns; r++) count += !j->done[r];
    MPI_Bcast(&count, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    *todo = malloc((count ? count : 1) * sizeof **todo);
    int ok = *todo != NULL;
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (!ok) return HERD_EXIT_SOFTWARE;
    if (rank == 0)
        for (uint64_t r = 0, k = 0; r < p->nruns; r++)
            if (!j->done[r]) (*todo)[k++] = r;
    for (uint64_t off = 0; off < count; off += 1u << 20) { /* MPI counts are ints */
        int len = (int)(count - off < (1u << 20) ? count - off : (1u << 20));
        MPI_Bcast(*todo + off, len, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    }
    *n = count;
    return 0;
}

int herd_sweep_mpi_run(const herd_sweep_plan *p, const char *dir, int progress, uint64_t *ran, char *err,
                       size_t err_len)
{
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    err[0] = '\0';
    *ran = 0;
    herd_sweep_journal j = {.fd = -1};
    int rc = 0;
    if (rank == 0) {
        rc = herd_sweep_journal_open(&j, p, dir, err, err_len);
        if (rc == 0 && j.torn)
            fprintf(stderr, "herd sweep: %s: cut off a torn last line (%" PRIu64 " bytes)\n", j.path, j.torn);
    }
    rc = herd_sweep_mpi_agree(rc);
    uint64_t *todo = NULL, n = 0;
    if (rc == 0) rc = share_todo(&j, p, rank, &todo, &n);
    if (rc != 0) {
        free(todo);
        herd_sweep_journal_close(&j);
        return rc;
    }
    herd_sweep_progress pr = {.mode = progress, .total = p->nruns, .done = j.ndone, .start_us = herd_sweep_wall_us()};
    pr.last_us = pr.start_us;
    static char line[HERD_SWEEP_ROW_MAX];
    uint64_t got = 0, mine = 0;
    for (uint64_t i = (uint64_t)rank; i < n; i += (uint64_t)size) {
        uint64_t r = todo[i];
        int e = herd_sweep_run_one(p, (uint32_t)(r / p->nseeds), p->seed_from + r % p->nseeds, line, sizeof line);
        mine++;
        if (rank != 0) {
            MPI_Send(line, (int)strlen(line) + 1, MPI_CHAR, 0, e == 0 ? TAG_ROW : TAG_ERROR, MPI_COMM_WORLD);
            continue;
        }
        if (e != 0) {
            fprintf(stderr, "herd sweep: rank 0: %s\n", line);
            if (rc == 0) rc = e;
        } else {
            int a = herd_sweep_journal_append(&j, p, line);
            if (a != 0 && rc == 0) rc = a;
            if (a == 0) {
                pr.done++;
                if (!strstr(line, "\"verdict\":\"pass\"")) pr.failed++;
            }
        }
        int e2 = receive(p, &j, false, &got, &pr);
        if (e2 != 0 && rc == 0) rc = e2;
        herd_sweep_progress_tick(&pr, false);
    }
    if (rank == 0) {
        while (got + mine < n) {
            int e2 = receive(p, &j, true, &got, &pr);
            if (e2 != 0 && rc == 0) rc = e2;
        }
        herd_sweep_progress_end(&pr);
        *ran = n;
    }
    free(todo);
    herd_sweep_journal_close(&j);
    return herd_sweep_mpi_agree(rc);
}
