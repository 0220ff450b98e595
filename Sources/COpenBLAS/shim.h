#ifndef GFMC_COPENBLAS_SHIM_H
#define GFMC_COPENBLAS_SHIM_H
#include <cblas.h>
#include <lapacke.h>
#endif
