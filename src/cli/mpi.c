/* src/cli/mpi.c - the little `arena run` needs from MPI: start-up when the
 * process was launched by mpirun/srun, rank and size, one reduction (which
 * is also the barrier before rank 0 merges the shards), finalize.
 *
 * Compiled twice: plainly into `arena`, and with ARENA_MPI (CMake option
 * ARENA_MPI) into `arena-mpi`, the only executable that links libmpi; the
 * rest of the CLI is the same objects. MPI is touched only in arena-mpi and
 * only when the environment says an MPI launcher started us, so a plain
 * `arena-mpi run` never calls MPI_Init (but needs the MPI runtime libraries
 * installed). `arena` has no MPI dependency and refuses to run under a
 * multi-process launch (every process would run the whole tournament into
 * the same file). */
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#ifdef ARENA_MPI
#include <mpi.h>
static int mpi_on;
#endif

static int env_set(const char *k) {
    const char *v = getenv(k);
    return v != NULL && v[0] != '\0';
}

int ar_mpi_launched(void) {
    return env_set("OMPI_COMM_WORLD_SIZE") || env_set("PMIX_RANK") || env_set("PMI_RANK") || env_set("PMI_SIZE");
}

int ar_mpi_built(void) {
#ifdef ARENA_MPI
    return 1;
#else
    return 0;
#endif
}

int ar_mpi_launch_size(void) {
    const char *keys[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (env_set(keys[i])) return atoi(getenv(keys[i]));
    return 1;
}

int ar_mpi_init(int *rank, int *size) {
    *rank = 0;
    *size = 1;
#ifdef ARENA_MPI
    int argc = 0;
    char **argv = NULL;
    if (MPI_Init(&argc, &argv) != MPI_SUCCESS) return -1;
    mpi_on = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    return 0;
#else
    return -1;
#endif
}

int ar_mpi_max(int v) {
#ifdef ARENA_MPI
    if (mpi_on) {
        int r = v;
        if (MPI_Allreduce(&v, &r, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD) != MPI_SUCCESS) return v ? v : 1;
        return r;
    }
#endif
    return v;
}

void ar_mpi_finalize(void) {
#ifdef ARENA_MPI
    if (mpi_on) MPI_Finalize();
    mpi_on = 0;
#endif
}
