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


/* The property name as a number in [min, max] into *out; -1 with err otherwise. */
static int
kvm_prop_long(zs_node *node, const char *name, long def, long min, long max, long *out,
    char *err, size_t errlen)
{
	const char *v = zs_node_property(node, name);
	if (v == NULL || *v == '\0') {
		*out = def;
		return 0;
	}
	char *end;
	long n = strtol(v, &end, 10);
	if (*end != '\0' || n < min || n > max) {
		snprintf(err, errlen, "%s \"%s\" is not a number in [%ld, %ld]", name, v, min, max);
		return -1;
	}
	*out = n;
	return 0;
}

int
kvm_url(const kvm_state *ks, const char *ip, const char *path, char *buf, size_t len)
{
	bool v6 = strchr(ip, ':') != NULL;
	int n = snprintf(buf, len, "%s://%s%s%s:%ld%s%s", ks->scheme, v6 ? "[" : "", ip,
	    v6 ? "]" : "", ks->port, ks->root, path);
	return n < 0 || (size_t) n >= len ? -1 : 0;
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
	if (kvm_prop_long(node, "KvmAgent.port", 7070, 1, 65535, &ks->port, err, errlen) != 0 ||
	    kvm_prop_long(node, "host.ping.interval", 60000, 10, 86400000, &interval, err, errlen) != 0 ||
	    kvm_prop_long(node, "host.ping.timeout", 10000, 10, 600000, &timeout, err, errlen) != 0 ||
	    kvm_prop_long(node, "host.ping.maxFailure", 3, 1, 1000, &ks->max_failure, err, errlen) != 0 ||
	    kvm_prop_long(node, "host.connect.timeout", 30000, 10, 600000, &connect, err, errlen) != 0) {
		free(ks);
		return -1;
	}
	ks->ping_interval_ms = interval;
	ks->ping_timeout_ms = timeout;
	ks->connect_timeout_ms = connect;
	long async = 1;
	if (kvm_prop_long(node, "host.ping.async", 1, 0, 1, &async, err, errlen) != 0) {
		free(ks);
		return -1;
	}
	ks->ping_async = async != 0;
	const char *scheme = zs_node_property(node, "KvmAgent.agentUrlScheme");
	const char *root = zs_node_property(node, "KvmAgent.agentUrlRootPath");
	scheme = scheme != NULL && *scheme ? scheme : "http";
	root = root != NULL ? root : "";
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		snprintf(err, errlen, "KvmAgent.agentUrlScheme \"%s\" is neither http nor https", scheme);
		free(ks);
		return -1;
	}
	if ((root[0] != '\0' && root[0] != '/') || strlen(root) >= sizeof ks->root ||
	    strpbrk(root, " ?#") != NULL) {
		snprintf(err, errlen, "KvmAgent.agentUrlRootPath \"%s\" is not a path (\"/x\" or \"\")",
		    root);
		free(ks);
		return -1;
	}
	snprintf(ks->scheme, sizeof ks->scheme, "%s", scheme);
	snprintf(ks->root, sizeof ks->root, "%s", root);
	size_t rl = strlen(ks->root);
	if (rl > 0 && ks->root[rl - 1] == '/')
		ks->root[rl - 1] = '\0';
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
