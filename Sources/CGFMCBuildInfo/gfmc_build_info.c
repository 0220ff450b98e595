#include "gfmc_build_info.h"

#define GFMC_STRINGIFY_(x) #x
#define GFMC_STRINGIFY(x) GFMC_STRINGIFY_(x)

const char *gfmc_build_commit(void) {
#ifdef GFMC_BUILD_COMMIT
    return GFMC_STRINGIFY(GFMC_BUILD_COMMIT);
#else
    return "unknown";
#endif
}
