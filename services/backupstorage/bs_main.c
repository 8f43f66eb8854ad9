/*
 * bs_main.c: the backup storage service's lifecycle: reads its properties (the agent's
 * port, the tracker's interval and timeout, the connect timeout), checks them so that a
 * bad value stops the start, and starts and stops the ping tracker. Also agent URLs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs.h"
#include "zs/service.h"


int
bs_url(const bs_state *bs, const char *hostname, const char *path, char *buf, size_t len)
{
	bool v6 = strchr(hostname, ':') != NULL;
	int n = snprintf(buf, len, "http://%s%s%s:%ld%s", v6 ? "[" : "", hostname, v6 ? "]" : "",
	    bs->port, path);
	return n < 0 || (size_t) n >= len ? -1 : 0;
}

ZS_EXPORT int
backupstorage_start(zs_service *svc, char *err, size_t errlen)
{
	zs_node *node = zs_service_node(svc);
	bs_state *bs = calloc(1, sizeof *bs);
	if (bs == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	bs->node = node;
	long interval, timeout, connect;
	if (zs_node_property_long(node, "SftpBackupStorage.port", 7171, 1, 65535, &bs->port, err, errlen) != 0 ||
	    zs_node_property_long(node, "backupstorage.ping.interval", 60000, 10, 86400000, &interval, err,
	    errlen) != 0 ||
	    zs_node_property_long(node, "backupstorage.ping.timeout", 10000, 10, 600000, &timeout, err,
	    errlen) != 0 ||
	    zs_node_property_long(node, "backupstorage.connect.timeout", 30000, 10, 600000, &connect, err,
	    errlen) != 0) {
		free(bs);
		return -1;
	}
	bs->ping_interval_ms = interval;
	bs->ping_timeout_ms = timeout;
	bs->connect_timeout_ms = connect;
	if (bs_tracker_start(bs) != 0) {
		snprintf(err, errlen, "cannot start the ping tracker: out of memory");
		free(bs);
		return -1;
	}
	zs_service_set_data(svc, bs);
	return 0;
}

ZS_EXPORT void
backupstorage_stop(zs_service *svc)
{
	bs_state *bs = zs_service_data(svc);
	if (bs == NULL)
		return;
	bs_tracker_stop(bs);
	zs_service_set_data(svc, NULL);
	if (bs->tracker == NULL)   /* else what still runs uses bs: leave it */
		free(bs);
}
