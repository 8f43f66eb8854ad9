/*
 * vm_main.c: the VM service's lifecycle (its properties, the reconcile at start) and the
 * URLs of the hosts' agents. The agents are the KVM agents, so the kvm plugin's
 * KvmAgent.port, KvmAgent.agentUrlScheme and KvmAgent.agentUrlRootPath say where they are
 * (7070, http and none when it is not loaded), as for the primary storage service.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"
#include "zs/service.h"

int
vm_url(const vm_state *vs, const char *ip, const char *path, char *buf, size_t len)
{
	bool v6 = strchr(ip, ':') != NULL;
	int n = snprintf(buf, len, "%s://%s%s%s:%ld%s%s", vs->scheme, v6 ? "[" : "", ip,
	    v6 ? "]" : "", vs->port, vs->root, path);
	return n < 0 || (size_t) n >= len ? -1 : 0;
}

/* A property that is a number in [min, max] (def when unset); false after saying why. */
static bool
vm_prop_num(zs_node *node, const char *name, long long def, long long min, long long max,
    long long *out, char *err, size_t errlen)
{
	const char *v = zs_node_property(node, name);
	char *end = NULL;
	long long n = v != NULL && *v ? strtoll(v, &end, 10) : def;
	if ((end != NULL && *end != '\0') || n < min || n > max) {
		snprintf(err, errlen, "%s \"%s\" is not a number in [%lld, %lld]", name, v, min, max);
		return false;
	}
	*out = n;
	return true;
}

ZS_EXPORT int
vm_start(zs_service *svc, char *err, size_t errlen)
{
	zs_node *node = zs_service_node(svc);
	vm_state *vs = calloc(1, sizeof *vs);
	if (vs == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	vs->node = node;
	long long port, stop;
	if (!vm_prop_num(node, "KvmAgent.port", 7070, 1, 65535, &port, err, errlen) ||
	    !vm_prop_num(node, "vm.stop.timeout", VM_STOP_TIMEOUT_MS, 0, 3600000, &stop, err,
	    errlen)) {
		free(vs);
		return -1;
	}
	vs->port = (long) port;
	vs->stop_timeout_ms = stop;
	const char *scheme = zs_node_property(node, "KvmAgent.agentUrlScheme");
	snprintf(vs->scheme, sizeof vs->scheme, "%s", scheme != NULL && *scheme ? scheme : "http");
	const char *root = zs_node_property(node, "KvmAgent.agentUrlRootPath");
	snprintf(vs->root, sizeof vs->root, "%s", root != NULL && root[0] == '/' ? root : "");
	size_t rl = strlen(vs->root);
	if (rl > 0 && vs->root[rl - 1] == '/')
		vs->root[rl - 1] = '\0';
	zs_service_set_data(svc, vs);
	if (vm_reconcile_start(vs) != 0) {
		zs_service_set_data(svc, NULL);
		free(vs);
		snprintf(err, errlen, "cannot start the reconcile: out of memory");
		return -1;
	}
	return 0;
}

ZS_EXPORT void
vm_stop(zs_service *svc)
{
	vm_state *vs = zs_service_data(svc);
	if (vs == NULL)
		return;
	bool done = vm_reconcile_stop(vs) == 0;
	zs_service_set_data(svc, NULL);
	if (done)
		free(vs);
}
