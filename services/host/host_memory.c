/*
 * host_memory.c: kvm.reservedMemory in force for a host (ZStack's reservedMemory): the
 * host's system tag kvm::reservedMemory::{value}, else its cluster's, else its zone's,
 * else the global value; zs_config_for_resource walks that chain. The value is a size
 * ("512M", "1G", "4096"), also given in bytes. GetHost answers it (the kit's get_more).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "zs/node.h"
#include "host.h"
#include "zs/config.h"

/* kvm.reservedMemory in force for a host. */
typedef struct host_memory {
	char value[64];      /* "1G" */
	char source[16];     /* "Host", "Cluster", "Zone" or "global" */
	uint64_t bytes;
} host_memory;

/* "4096", "512M", "2g", "1TB" in bytes: a unit K, M, G, T or P (powers of 1024, either
 * case) and an optional B, as the config module reads sizes. -1 when it is not one or
 * does not fit. */
static int
host_size_bytes(const char *s, uint64_t *out)
{
	static const char units[] = "KMGTP";
	uint64_t n = 0;
	if (!isdigit((unsigned char) *s))
		return -1;
	for (; isdigit((unsigned char) *s); s++) {
		if (n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t) (*s - '0');
	}
	const char *u = *s != '\0' ? strchr(units, toupper((unsigned char) *s)) : NULL;
	if (u != NULL) {
		for (const char *k = units; k <= u; k++) {
			if (n > UINT64_MAX / 1024)
				return -1;
			n *= 1024;
		}
		s++;
	}
	if (*s == 'B' || *s == 'b')
		s++;
	if (*s != '\0')
		return -1;
	*out = n;
	return 0;
}

/* Fills out for host uuid. 0, or a canonical code with *st (caller frees). */
static int
host_memory_for(zs_node *node, zs_db_conn *c, const char *uuid, host_memory *out, zs_status **st)
{
	int rv = zs_config_for_resource(zs_node_config(node), c, "kvm", "reservedMemory", uuid, out->value,
	    sizeof out->value, out->source, sizeof out->source, st);
	if (rv != 0)
		return rv;
	if (host_size_bytes(out->value, &out->bytes) != 0) {
		*st = zs_status_new(ZS_INTERNAL, NULL, "kvm.reservedMemory \"%s\" is not a size",
		    out->value);
		return ZS_INTERNAL;
	}
	return 0;
}

int
host_memory_add(zs_call *call, zs_db_conn *c, ProtobufCMessage *info, void **owned,
    zs_status **st)
{
	Zs__Host__V1__HostInfo *h = (Zs__Host__V1__HostInfo *) info;
	host_memory *mem = malloc(sizeof *mem);
	*owned = mem;
	if (mem == NULL) {
		*st = zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return ZS_RESOURCE_EXHAUSTED;
	}
	int rv = host_memory_for(zs_call_node(call), c, h->uuid, mem, st);
	if (rv != 0)
		return rv;
	h->reserved_memory = mem->value;
	h->reserved_memory_bytes = mem->bytes;
	h->reserved_memory_source = mem->source;
	return 0;
}
