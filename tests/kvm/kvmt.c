/* kvmt.c: reading a KVM host and waiting for its status, for the kvm suite (kvmt.h). */
#include <stdio.h>
#include <string.h>

#include "kvmt.h"

int
kvmt_get(inv *t, const char *uuid, Zs__Kvm__V1__KvmHostInfo **out)
{
	Zs__Kvm__V1__GetKvmHostRequest req = ZS__KVM__V1__GET_KVM_HOST_REQUEST__INIT;
	req.uuid = (char *) uuid;
	return inv_call(t, t->admin, "zs.kvm.v1.Kvm/GetKvmHost", &req,
	    &zs__kvm__v1__kvm_host_info__descriptor, out);
}

bool
kvmt_wait_status(inv *t, const char *uuid, const char *want, int ms, char *why, size_t len)
{
	int64_t until = zst_now_ms() + ms;
	do {
		Zs__Kvm__V1__KvmHostInfo *h = NULL;
		bool ok = kvmt_get(t, uuid, &h) == 0 && strcmp(h->status, want) == 0;
		if (h != NULL && why != NULL)
			snprintf(why, len, "%s", h->status_reason);
		zs_reply_free(h);
		if (ok)
			return true;
		zst_sleep_ms(50);
	} while (zst_now_ms() < until);
	return false;
}
