#ifndef GFMC_CSQLITE_SHIM_H
#define GFMC_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
