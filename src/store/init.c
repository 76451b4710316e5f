/* src/store/init.c - library-wide HDF5 set-up. */
#include <hdf5.h>
#include "arena/store.h"
#include "store/store_int.h"

/* Transfers that convert records (a struct with padding to its packed file
 * record, or another writer's layout) through a small buffer. By default
 * HDF5 allocates a 1 MiB conversion buffer and a background buffer of at
 * least 1 MiB for every such H5Dread or H5Dwrite, and zeroes the latter:
 * about 0.5 ms a call, which was half of `arena table` on a tournament's
 * file (a few small logs per agent) and most of a live file's append.
 * 64 KiB holds a few hundred records per strip. H5P_DEFAULT until
 * ar_store_init has run. */
static hid_t xfer = H5P_DEFAULT;

hid_t ar__xfer(void) { return xfer; }

void ar_store_init(void) {
    /* No library shutdown at exit. HDF5 1.10 frees a file whose close failed
     * (a write refused: disk full, file size limit) but keeps its id, and
     * the shutdown then closes that id again and crashes, after the error
     * was reported and the temporary file removed. Every file is closed
     * explicitly, so the shutdown has nothing else to do. Must come before
     * any other HDF5 call. */
    H5dont_atexit();
    ar_store_thread_init();
    hid_t p = H5Pcreate(H5P_DATASET_XFER);
    if (p >= 0 && H5Pset_buffer(p, (size_t)64 << 10, NULL, NULL) >= 0) xfer = p;
    else if (p >= 0) H5Pclose(p);
}

void ar_store_thread_init(void) {
    /* Errors are reported through ar_errbuf with the file named; HDF5's own
     * stack dump would only add noise on stderr. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}
