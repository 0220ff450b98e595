#ifndef GFMC_CZEROMQ_SHIM_H
#define GFMC_CZEROMQ_SHIM_H
#include <zmq.h>
#endif
