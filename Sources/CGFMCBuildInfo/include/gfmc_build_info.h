/* The commit gfmc was built from. tools/install.sh passes it as a compiler define
 * (-Xcc -DGFMC_BUILD_COMMIT=<hex>[-dirty]); any other build reports "unknown". */
#ifndef GFMC_BUILD_INFO_H
#define GFMC_BUILD_INFO_H

/** The source commit as text ("unknown" when the build did not define it); never NULL. */
const char *gfmc_build_commit(void);

#endif
