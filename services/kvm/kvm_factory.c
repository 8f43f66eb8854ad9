/*
 * kvm_factory.c: the kvm plugin's zs.HypervisorFactory for type KVM (zs/hypervisor.h). The
 * host service's AddHost on a KVM cluster, and so AddKvmHost, which calls it over the bus,
 * runs through it: validate checks the parameters ("username", "sshPort"), create
 * records the kvm_hosts row as Connecting in AddHost's transaction, connect connects the
 * host to its agent (kvm_connect.c) and remove drops the host's kvm rows in DeleteHost's
 * transaction (its fact tags and reservations go with its resource; the ping tracker
 * reads its hosts from the database each round, so a deleted host is pinged no more).
 * reserve and release hold and give back a VM's CPUs and memory (kvm_alloc.c).
 *
 * Credentials: nothing is deployed over SSH (the agent must already run), so a plain
 * AddHost with no parameters connects the host as AddKvmHost does; it records no SSH user
 * (""). AddKvmHost is the form with credentials, kept for when deploying is done.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm.h"
#include "zs/check.h"
#include "zs/hypervisor.h"
#include "zs/service.h"

#define KVM_USER_MAX 255

/* The parameters kvm understands, read from h. */
typedef struct kvm_params {
	const char *username;
	long ssh_port;
} kvm_params;

/* Reads h's parameters into out: 0, or INVALID_ARGUMENT with *st naming the bad one. */
static int
kvm_factory_params(const zs_hypervisor_host *h, kvm_params *out, zs_status **st)
{
	out->username = "";
	out->ssh_port = 22;
	for (size_t i = 0; i < h->n_params; i++) {
		const char *k = h->param_keys[i], *v = h->param_values[i];
		if (strcmp(k, "username") == 0) {
			if (strlen(v) > KVM_USER_MAX || strpbrk(v, " \t\r\n") != NULL) {
				*st = zs_status_new(ZS_INVALID_ARGUMENT, NULL, "parameters.username: \"%.64s\" "
				    "is not a user name (at most %d bytes, no spaces)", v, KVM_USER_MAX);
				return ZS_INVALID_ARGUMENT;
			}
			out->username = v;
		} else if (strcmp(k, "sshPort") == 0) {
			char *end;
			long n = strtol(v, &end, 10);
			if (*v == '\0' || *end != '\0' || n < 1 || n > 65535) {
				*st = zs_status_new(ZS_INVALID_ARGUMENT, NULL,
				    "parameters.sshPort: \"%.32s\" is not a port (1 to 65535)", v);
				return ZS_INVALID_ARGUMENT;
			}
			out->ssh_port = n;
		} else {
			*st = zs_status_new(ZS_INVALID_ARGUMENT, NULL, "parameters: \"%.64s\" is not a "
			    "parameter of KVM hosts (username, sshPort)", k);
			return ZS_INVALID_ARGUMENT;
		}
	}
	return 0;
}

static int
kvm_factory_validate(void *data, const zs_call *call, const zs_hypervisor_host *h,
    zs_status **st)
{
	(void) call;
	if (data == NULL) {
		*st = zs_status_new(ZS_UNAVAILABLE, NULL, "the kvm plugin is not running");
		return ZS_UNAVAILABLE;
	}
	kvm_params p;
	return kvm_factory_params(h, &p, st);
}

static int
kvm_factory_create(void *data, zs_call *call, zs_db_conn *c, const zs_hypervisor_host *h,
    zs_status **st)
{
	(void) call;
	kvm_params p;
	int rv = kvm_factory_params(h, &p, st);
	if (rv == 0)
		rv = kvm_store_new(data, c, h->uuid, p.username, (int) p.ssh_port, st);
	return rv;
}

/* A connect on its way: what AddHost wants told. */
typedef struct kvm_factory_conn {
	zs_hypervisor_done_fn done;
	void *arg;
	char uuid[64], ip[64];
} kvm_factory_conn;

/* On a worker: a failure becomes KVM.1001, the agent's error in its message and cause. */
static void
kvm_factory_connected(int code, zs_status *st, void *arg)
{
	kvm_factory_conn *f = arg;
	zs_status *why = NULL;
	if (code != 0) {
		char text[1024];
		/* the cause names host, path and what went wrong; st's own line repeats the host */
		zs_status_text(st != NULL && st->cause != NULL ? st->cause : st, text, sizeof text);
		why = zs_status_new(code, "KVM.1001", "host %s (%s) could not be connected and was not "
		    "added: %s", f->uuid, f->ip, text);
		if (why != NULL && st != NULL)
			zs_status_set_cause(why, st);
		else
			zs_status_free(st);
	}
	f->done(code, why, f->arg);
	free(f);
}

static void
kvm_factory_connect(void *data, zs_call *call, const zs_hypervisor_host *h,
    zs_hypervisor_done_fn done, void *arg)
{
	kvm_factory_conn *f = calloc(1, sizeof *f);
	if (f == NULL) {
		done(ZS_RESOURCE_EXHAUSTED, zs_status_new(ZS_RESOURCE_EXHAUSTED, NULL, "out of memory"),
		    arg);
		return;
	}
	f->done = done;
	f->arg = arg;
	snprintf(f->uuid, sizeof f->uuid, "%s", h->uuid);
	snprintf(f->ip, sizeof f->ip, "%s", h->management_ip);
	kvm_connect(data, h->uuid, h->management_ip, call, kvm_factory_connected, f);
}

static int
kvm_factory_remove(void *data, zs_call *call, zs_db_conn *c, const char *uuid, zs_status **st)
{
	(void) data;
	(void) call;
	return kvm_store_remove(c, uuid, st);
}

ZS_EXPORT const zs_hypervisor_factory kvm_factory = {
	.type = "KVM",
	.validate = kvm_factory_validate,
	.create = kvm_factory_create,
	.connect = kvm_factory_connect,
	.remove = kvm_factory_remove,
	.reserve = kvm_alloc_reserve,
	.release = kvm_alloc_release,
};
