/* src/store/init.c - library-wide HDF5 set-up. */
#include <hdf5.h>
#include "arena/store.h"

void ar_store_init(void) {
    /* Errors are reported through ar_errbuf with the file named; HDF5's own
     * stack dump would only add noise on stderr. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}
