/*
 * kvm_main.c: the kvm plugin's lifecycle: reads its properties (the agent's port, URL
 * scheme and root path; the ping tracker's interval, timeout and failures), checks them
 * so that a bad value stops the start, and starts and stops the ping tracker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm.h"
#include "zs/service.h"


int
kvm_url(const kvm_state *ks, const char *ip, const char *path, char *buf, size_t len)
{
	return zs_agent_url(&ks->agent, ip, path, buf, len);
}

ZS_EXPORT int
kvm_start(zs_service *svc, char *err, size_t errlen)
{
	zs_node *node = zs_service_node(svc);
	kvm_state *ks = calloc(1, sizeof *ks);
	if (ks == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&ks->maint_lock, NULL);   /* plain memory: nothing to destroy */
	ks->node = node;
	long interval, timeout, connect;
	if (zs_agent_addr_read(node, &ks->agent, err, errlen) != 0 ||
	    zs_node_property_long(node, "host.ping.interval", 60000, 10, 86400000, &interval, err, errlen) != 0 ||
	    zs_node_property_long(node, "host.ping.timeout", 10000, 10, 600000, &timeout, err, errlen) != 0 ||
	    zs_node_property_long(node, "host.ping.maxFailure", 3, 1, 1000, &ks->max_failure, err, errlen) != 0 ||
	    zs_node_property_long(node, "host.connect.timeout", 30000, 10, 600000, &connect, err, errlen) != 0) {
		free(ks);
		return -1;
	}
	ks->ping_interval_ms = interval;
	ks->ping_timeout_ms = timeout;
	ks->connect_timeout_ms = connect;
	long async = 1;
	if (zs_node_property_long(node, "host.ping.async", 1, 0, 1, &async, err, errlen) != 0) {
		free(ks);
		return -1;
	}
	ks->ping_async = async != 0;
	if (kvm_tracker_start(ks) != 0) {
		snprintf(err, errlen, "cannot start the ping tracker: out of memory");
		free(ks);
		return -1;
	}
	if (kvm_reserve_watch(ks) != 0) {
		kvm_tracker_stop(ks);
		snprintf(err, errlen, "cannot watch kvm.reservedMemory: out of memory");
		if (ks->tracker == NULL)
			free(ks);
		return -1;
	}
	zs_service_set_data(svc, ks);
	return 0;
}

ZS_EXPORT void
kvm_stop(zs_service *svc)
{
	kvm_state *ks = zs_service_data(svc);
	if (ks == NULL)
		return;
	kvm_tracker_stop(ks);
	zs_service_set_data(svc, NULL);
	if (ks->tracker == NULL)   /* else what still runs uses ks: leave it */
		free(ks);
}
