/*
 * kvmt.h: what the kvm suite's programs share: reading a KVM host and waiting for its
 * status (kvmt.c), on the inventory suite's node and calls (inv.h).
 */
#ifndef KVMT_H
#define KVMT_H

#include <stdbool.h>
#include <stddef.h>

#include "inv.h"
#include "zs/kvm/v1/kvm.pb-c.h"

/* GetKvmHost uuid as the admin: the code; *out (caller zs_reply_free()s) on OK. */
int kvmt_get(inv *t, const char *uuid, Zs__Kvm__V1__KvmHostInfo **out);
/* Waits up to ms for uuid's status to be want; true when it was. why (may be NULL) gets
 * the last status reason. */
bool kvmt_wait_status(inv *t, const char *uuid, const char *want, int ms, char *why,
    size_t len);

#endif
