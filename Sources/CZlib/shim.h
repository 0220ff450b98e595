#ifndef GFMC_CZLIB_SHIM_H
#define GFMC_CZLIB_SHIM_H
#include <zlib.h>
#endif
