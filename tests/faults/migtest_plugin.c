/*
 * migtest_plugin.c: the migration test's plugin. It has no API: it exists for its
 * descriptor's <migration> files, which the node runs at start. Its start and stop only
 * say that it was started, so the test can tell a start that got past the migrations.
 */
#include <stddef.h>

#include "zs/log.h"
#include "zs/service.h"


ZS_EXPORT int
migtest_start(zs_service *svc, char *err, size_t errlen)
{
	(void) err;
	(void) errlen;
	zs_log(ZS_LOG_INFO, "migtest", "%s started", zs_service_id(svc));
	return 0;
}

ZS_EXPORT void
migtest_stop(zs_service *svc)
{
	(void) svc;
}
