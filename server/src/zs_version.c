/* zs_version.c: libzscore's version, the one source of the shared library itself (the
 * layers come in whole from their static libraries). */
#include "zs/api.h"

const char *
zs_version(void)
{
	return ZS_VERSION;
}
