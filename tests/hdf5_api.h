/* tests/hdf5_api.h - the HDF5 C API for tests that write or edit files
 * with it directly (test_run_h5, test_market_h5). The store keeps HDF5's
 * include directory private, so the header is looked for where Debian
 * (hdf5/serial) or a plain install puts it; HAVE_HDF5_H says it was found
 * (without it those tests skip the parts that need it). */
#ifndef ARENA_TESTS_HDF5_API_H
#define ARENA_TESTS_HDF5_API_H
#if defined(__has_include)
#if __has_include(<hdf5.h>)
#include <hdf5.h>
#define HAVE_HDF5_H 1
#elif __has_include(<hdf5/serial/hdf5.h>)
#include <hdf5/serial/hdf5.h>
#define HAVE_HDF5_H 1
#endif
#endif
#endif
