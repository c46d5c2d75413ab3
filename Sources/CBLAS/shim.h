#ifndef ONERING_CBLAS_SHIM_H
#define ONERING_CBLAS_SHIM_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>

// The CBLAS and LAPACKE declarations, used for their types only: VectorMath
// resolves the functions at run time (dlopen) so that it can choose the
// OpenBLAS kernel before the library initialises. See docs/DESIGN.md.
#include <cblas.h>
#include <lapacke.h>

typedef __typeof__(cblas_sgemm) *onering_sgemm_fn;
typedef __typeof__(cblas_sgemv) *onering_sgemv_fn;
typedef __typeof__(LAPACKE_ssyevd) *onering_ssyevd_fn;
typedef __typeof__(LAPACKE_sgesdd) *onering_sgesdd_fn;

typedef lapack_int onering_lapack_int;

/// The path of the shared library that defines `symbol`, or NULL (dladdr is a
/// GNU extension that Swift's Glibc module does not expose).
static inline const char *onering_library_path(const void *symbol) {
    Dl_info info;
    return dladdr(symbol, &info) != 0 ? info.dli_fname : 0;
}

// OpenBLAS extensions; absent from other BLAS libraries.
typedef char *(*onering_openblas_string_fn)(void);
typedef void (*onering_openblas_set_threads_fn)(int);
typedef int (*onering_openblas_get_int_fn)(void);
typedef void (*onering_openblas_void_fn)(void);

#endif
