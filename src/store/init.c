/* src/store/init.c - library-wide HDF5 set-up. */
#include <hdf5.h>
#include "arena/store.h"

void ar_store_init(void) {
    /* No library shutdown at exit. HDF5 1.10 frees a file whose close failed
     * (a write refused: disk full, file size limit) but keeps its id, and
     * the shutdown then closes that id again and crashes, after the error
     * was reported and the temporary file removed. Every file is closed
     * explicitly, so the shutdown has nothing else to do. Must come before
     * any other HDF5 call. */
    H5dont_atexit();
    ar_store_thread_init();
}

void ar_store_thread_init(void) {
    /* Errors are reported through ar_errbuf with the file named; HDF5's own
     * stack dump would only add noise on stderr. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}
