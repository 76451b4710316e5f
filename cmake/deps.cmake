# cmake/deps.cmake - how arena links its libraries, as INTERFACE targets the
# modules in CMakeLists.txt link instead of the pkg-config/FindHDF5 results:
#
#   arena_dep_hdf5 arena_dep_gsl arena_dep_jansson arena_dep_zlib
#       ARENA_STATIC_DEPS=ON: the static archives (libhdf5.a + libsz.a +
#       libaec.a + libz.a, libgsl.a + libgslcblas.a, libjansson.a), found next
#       to the shared libraries that find_package(HDF5) and pkg-config found;
#       OFF: those shared libraries, as found (the usual way). The option is ON
#       by default when every archive is there and a test program links with
#       them; setting it ON without them is an error.
#   arena_dep_curl_h arena_dep_lws_h
#       only the include directories and flags of libcurl and libwebsockets:
#       nothing links them, src/dl opens them on first use (include/arena/dl.h)
#       by the sonames ARENA_CURL_SONAME / ARENA_LWS_SONAME (cache variables,
#       read from the shared libraries found: libcurl.so.4, libwebsockets.so.17).
#   ARENA_DL_LIBS  what dlopen needs at link time (nothing with glibc >= 2.34).
#
# Why: start-up. Linked dynamically, Debian's libhdf5_serial brings libcurl
# (its read-only S3 driver, which arena does not use) with gnutls, krb5, ldap,
# ssh2, rtmp, ...: 51 shared libraries to map and relocate, ~18 ms of every
# command before main. The static archive's S3 driver is only linked when
# called, so static HDF5 needs no curl at all.
#
# Include after the pkg_check_modules / find_package(HDF5) calls.
include_guard(GLOBAL)
include(CheckCSourceCompiles)
include(CheckSymbolExists)

# ---- static archives --------------------------------------------------------
set(_arena_missing "")
set(_arena_sys m dl pthread rt c)

# ARENA_A_<name>: lib<name>.a, looked for in the given directories first.
function(_arena_archive name out)
  find_library(ARENA_A_${name} NAMES lib${name}.a HINTS ${ARGN})
  mark_as_advanced(ARENA_A_${name})
  if(ARENA_A_${name})
    set(${out} ${ARENA_A_${name}} PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
    set(_arena_missing "${_arena_missing} lib${name}.a" PARENT_SCOPE)
  endif()
endfunction()

# <prefix>_ARCHIVES: the archives of a pkg-config module's --static library
# list, system libraries (libm, ...) kept as names.
function(_arena_pc_archives prefix)
  set(_libs "")
  foreach(n ${${prefix}_STATIC_LIBRARIES})
    if(n IN_LIST _arena_sys)
      list(APPEND _libs ${n})
    else()
      _arena_archive(${n} _a ${${prefix}_STATIC_LIBRARY_DIRS} ${${prefix}_LIBRARY_DIRS})
      list(APPEND _libs ${_a})
    endif()
  endforeach()
  set(${prefix}_ARCHIVES ${_libs} PARENT_SCOPE)
  set(_arena_missing "${_arena_missing}" PARENT_SCOPE)
endfunction()

_arena_pc_archives(GSL)
_arena_pc_archives(JANSSON)
_arena_pc_archives(ZLIB)

# HDF5: libhdf5.a in the directory of the libhdf5 FindHDF5 chose (Debian keeps
# serial and MPI flavours side by side), then each other library it listed.
# libcurl and libcrypto serve only the read-only S3 driver, which a static
# link leaves out; the link test below checks that.
set(HDF5_ARCHIVES "")
foreach(l ${HDF5_C_LIBRARIES})
  get_filename_component(_n ${l} NAME)
  string(REGEX REPLACE "^lib([^.]+)\\..*$" "\\1" _n "${_n}")
  if(_n MATCHES "^hdf5")
    get_filename_component(_d ${l} DIRECTORY)
    find_library(ARENA_A_hdf5 NAMES libhdf5.a libhdf5_serial.a HINTS ${_d} NO_DEFAULT_PATH)
    mark_as_advanced(ARENA_A_hdf5)
    if(ARENA_A_hdf5)
      list(APPEND HDF5_ARCHIVES ${ARENA_A_hdf5})
    else()
      string(APPEND _arena_missing " libhdf5.a (in ${_d})")
    endif()
  elseif(_n IN_LIST _arena_sys)
    list(APPEND HDF5_ARCHIVES ${_n})
  elseif(_n STREQUAL "curl" OR _n STREQUAL "crypto")
    # the S3 driver's
  elseif(_n STREQUAL "sz") # libaec's szip emulation
    _arena_archive(sz _a)
    _arena_archive(aec _b)
    list(APPEND HDF5_ARCHIVES ${_a} ${_b})
  else()
    _arena_archive(${_n} _a)
    list(APPEND HDF5_ARCHIVES ${_a})
  endif()
endforeach()
list(REMOVE_DUPLICATES HDF5_ARCHIVES)

set(_arena_static_ok OFF)
if(_arena_missing STREQUAL "")
  set(CMAKE_REQUIRED_QUIET ON)
  set(CMAKE_REQUIRED_INCLUDES ${HDF5_C_INCLUDE_DIRS} ${GSL_INCLUDE_DIRS} ${JANSSON_INCLUDE_DIRS} ${ZLIB_INCLUDE_DIRS})
  set(CMAKE_REQUIRED_DEFINITIONS ${HDF5_C_DEFINITIONS})
  set(CMAKE_REQUIRED_LIBRARIES ${HDF5_ARCHIVES} ${GSL_ARCHIVES} ${JANSSON_ARCHIVES} ${ZLIB_ARCHIVES}
                               Threads::Threads ${CMAKE_DL_LIBS} m)
  check_c_source_compiles([[
#include <hdf5.h>
#include <gsl/gsl_rng.h>
#include <jansson.h>
#include <zlib.h>
int main(void) {
    hid_t f = H5Fopen("x.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    json_t *j = json_object();
    json_decref(j);
    gsl_rng_free(r);
    return (int)f + zlibVersion()[0];
}]] ARENA_STATIC_DEPS_LINK)
  unset(CMAKE_REQUIRED_QUIET)
  unset(CMAKE_REQUIRED_INCLUDES)
  unset(CMAKE_REQUIRED_DEFINITIONS)
  unset(CMAKE_REQUIRED_LIBRARIES)
  if(ARENA_STATIC_DEPS_LINK)
    set(_arena_static_ok ON)
  else()
    set(_arena_missing " (the archives are there but a test program does not link with them)")
  endif()
endif()

option(ARENA_STATIC_DEPS "Link HDF5, GSL, jansson and zlib from their static archives (faster start-up)"
       ${_arena_static_ok})
if(ARENA_STATIC_DEPS AND NOT _arena_static_ok)
  message(FATAL_ERROR "ARENA_STATIC_DEPS=ON but not usable:${_arena_missing}; configure with -DARENA_STATIC_DEPS=OFF")
endif()
if(ARENA_STATIC_DEPS)
  message(STATUS "arena: HDF5, GSL, jansson, zlib linked statically (ARENA_STATIC_DEPS)")
else()
  message(STATUS "arena: HDF5, GSL, jansson, zlib linked as shared libraries${_arena_missing}")
endif()

function(_arena_dep name prefix imported)
  add_library(arena_dep_${name} INTERFACE)
  if(ARENA_STATIC_DEPS)
    target_include_directories(arena_dep_${name} INTERFACE ${${prefix}_INCLUDE_DIRS})
    target_compile_options(arena_dep_${name} INTERFACE ${${prefix}_CFLAGS_OTHER})
    target_link_libraries(arena_dep_${name} INTERFACE ${${prefix}_ARCHIVES})
  else()
    target_link_libraries(arena_dep_${name} INTERFACE ${imported})
  endif()
endfunction()
_arena_dep(gsl GSL PkgConfig::GSL)
_arena_dep(jansson JANSSON PkgConfig::JANSSON)
_arena_dep(zlib ZLIB PkgConfig::ZLIB)

add_library(arena_dep_hdf5 INTERFACE)
target_include_directories(arena_dep_hdf5 INTERFACE ${HDF5_C_INCLUDE_DIRS})
target_compile_definitions(arena_dep_hdf5 INTERFACE ${HDF5_C_DEFINITIONS})
if(ARENA_STATIC_DEPS)
  target_link_libraries(arena_dep_hdf5 INTERFACE ${HDF5_ARCHIVES} Threads::Threads ${CMAKE_DL_LIBS})
else()
  target_link_libraries(arena_dep_hdf5 INTERFACE ${HDF5_C_LIBRARIES})
endif()

# ---- libraries opened on first use ------------------------------------------
# The soname of the shared library pkg-config found (objdump -p), else the
# usual one.
function(_arena_soname var prefix stem default)
  set(_so ${default})
  foreach(l ${${prefix}_LINK_LIBRARIES})
    get_filename_component(_n ${l} NAME)
    if(_n MATCHES "^lib${stem}\\.so" AND CMAKE_OBJDUMP)
      execute_process(COMMAND ${CMAKE_OBJDUMP} -p ${l} OUTPUT_VARIABLE _p ERROR_QUIET RESULT_VARIABLE _rc)
      if(_rc EQUAL 0 AND _p MATCHES "SONAME +([^ \n]+)")
        set(_so ${CMAKE_MATCH_1})
      endif()
    endif()
  endforeach()
  set(${var} ${_so} CACHE STRING "soname of lib${stem} for dlopen (src/dl)")
endfunction()
_arena_soname(ARENA_CURL_SONAME CURL curl libcurl.so.4)
_arena_soname(ARENA_LWS_SONAME LWS websockets libwebsockets.so.17)

add_library(arena_dep_curl_h INTERFACE)
target_include_directories(arena_dep_curl_h INTERFACE ${CURL_INCLUDE_DIRS})
target_compile_options(arena_dep_curl_h INTERFACE ${CURL_CFLAGS_OTHER})
add_library(arena_dep_lws_h INTERFACE)
target_include_directories(arena_dep_lws_h INTERFACE ${LWS_INCLUDE_DIRS})
target_compile_options(arena_dep_lws_h INTERFACE ${LWS_CFLAGS_OTHER})

check_symbol_exists(dlopen dlfcn.h ARENA_DLOPEN_IN_LIBC)
if(ARENA_DLOPEN_IN_LIBC)
  set(ARENA_DL_LIBS "")
else()
  set(ARENA_DL_LIBS ${CMAKE_DL_LIBS})
endif()
