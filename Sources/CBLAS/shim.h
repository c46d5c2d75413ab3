#ifndef ONERING_CBLAS_SHIM_H
#define ONERING_CBLAS_SHIM_H

// The CBLAS and LAPACKE declarations, used for their types only: VectorMath
// resolves the functions at run time (dlopen) so that it can choose the
// OpenBLAS kernel before the library initialises. See docs/DESIGN.md.
#include <cblas.h>
#include <lapacke.h>

typedef __typeof__(cblas_sgemm) *onering_sgemm_fn;
typedef __typeof__(cblas_sgemv) *onering_sgemv_fn;
typedef __typeof__(LAPACKE_ssyevd) *onering_ssyevd_fn;

// OpenBLAS extensions; absent from other BLAS libraries.
typedef char *(*onering_openblas_string_fn)(void);
typedef void (*onering_openblas_set_threads_fn)(int);
typedef void (*onering_openblas_void_fn)(void);

#endif
