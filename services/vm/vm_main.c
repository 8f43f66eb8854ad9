/*
 * vm_main.c: the VM service's lifecycle: its properties, where the hosts' agents listen
 * (zs/agent.h), the reconcile at start and the sync with the hosts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"
#include "zs/service.h"

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
	pthread_mutex_init(&vs->bridges.lock, NULL);
	long stop;
	if (zs_agent_addr_read(node, &vs->agent, err, errlen) != 0 ||
	    zs_node_property_long(node, "vm.stop.timeout", VM_STOP_TIMEOUT_MS, 0, 3600000, &stop,
	    err, errlen) != 0) {
		free(vs);
		return -1;
	}
	vs->stop_timeout_ms = stop;
	zs_service_set_data(svc, vs);
	if (vm_reconcile_start(vs) != 0) {
		zs_service_set_data(svc, NULL);
		free(vs);
		snprintf(err, errlen, "cannot start the reconcile: out of memory");
		return -1;
	}
	if (vm_sync_start(vs, err, errlen) != 0) {
		zs_service_set_data(svc, NULL);
		if (vm_reconcile_stop(vs) == 0)
			free(vs);
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
	bool done = vm_sync_stop(vs) == 0;
	done = vm_reconcile_stop(vs) == 0 && done;
	zs_service_set_data(svc, NULL);
	if (done)
		free(vs);
}
