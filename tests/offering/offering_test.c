/*
 * offering_test.c: the instance offering service against a real zsnode: an offering is
 * made with its size, read back, listed, renamed and deleted; a size out of range, an
 * unknown allocator strategy and a second offering of one name are refused with what was
 * wrong, and leave nothing; a second account sees none of the admin's offerings and
 * cannot change them. Arguments: zsnode, the plugins folder.
 */
#include <stdio.h>
#include <string.h>

#include "inv.h"
#include "zs/offering/v1/offering.pb-c.h"

#define SVC "zs.offering.v1.InstanceOffering/"
#define GIB (1ull << 30)

static int
create(inv *t, const char *s, const char *name, uint32_t cpus, uint64_t mem,
    const char *strategy, char uuid[INV_UUID])
{
	Zs__Offering__V1__CreateInstanceOfferingRequest req =
	    ZS__OFFERING__V1__CREATE_INSTANCE_OFFERING_REQUEST__INIT;
	req.name = (char *) name;
	req.cpu_num = cpus;
	req.memory_size = mem;
	if (strategy != NULL)
		req.allocator_strategy = (char *) strategy;
	Zs__Offering__V1__InstanceOfferingInfo *info = NULL;
	int code = inv_call(t, s, SVC "CreateInstanceOffering", &req,
	    &zs__offering__v1__instance_offering_info__descriptor, &info);
	uuid[0] = '\0';
	if (info != NULL) {
		snprintf(uuid, INV_UUID, "%s", info->uuid);
		ZST_CHECK(info->cpu_num == cpus && info->memory_size == mem &&
		    strcmp(info->type, "UserVm") == 0 &&
		    strcmp(info->allocator_strategy, "LeastVmPreferredHostAllocatorStrategy") == 0,
		    "the new offering %s has %u CPUs, %llu bytes, type UserVm", name, cpus,
		    (unsigned long long) mem);
		protobuf_c_message_free_unpacked(&info->base, NULL);
	}
	return code;
}

/* inv_call whose reply is dropped. */
static int
drop(inv *t, const char *s, const char *method, const void *req,
    const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *r = NULL;
	int code = inv_call(t, s, method, req, d, &r);
	if (r != NULL)
		protobuf_c_message_free_unpacked(r, NULL);
	return code;
}

static int
get(inv *t, const char *s, const char *uuid, Zs__Offering__V1__InstanceOfferingInfo **out)
{
	Zs__Offering__V1__GetInstanceOfferingRequest req =
	    ZS__OFFERING__V1__GET_INSTANCE_OFFERING_REQUEST__INIT;
	req.uuid = (char *) uuid;
	if (out == NULL)
		return drop(t, s, SVC "GetInstanceOffering", &req,
		    &zs__offering__v1__instance_offering_info__descriptor);
	return inv_call(t, s, SVC "GetInstanceOffering", &req,
	    &zs__offering__v1__instance_offering_info__descriptor, out);
}

/* How many offerings s sees, or -1. */
static int
count(inv *t, const char *s)
{
	Zs__Offering__V1__ListInstanceOfferingsRequest req =
	    ZS__OFFERING__V1__LIST_INSTANCE_OFFERINGS_REQUEST__INIT;
	Zs__Offering__V1__ListInstanceOfferingsResponse *r = NULL;
	if (inv_call(t, s, SVC "ListInstanceOfferings", &req,
	    &zs__offering__v1__list_instance_offerings_response__descriptor, &r) != INV_OK)
		return -1;
	int n = (int) r->n_instance_offerings;
	protobuf_c_message_free_unpacked(&r->base, NULL);
	return n;
}

static int
rename_to(inv *t, const char *s, const char *uuid, const char *name)
{
	Zs__Offering__V1__UpdateInstanceOfferingRequest req =
	    ZS__OFFERING__V1__UPDATE_INSTANCE_OFFERING_REQUEST__INIT;
	req.uuid = (char *) uuid;
	req._name_case = ZS__OFFERING__V1__UPDATE_INSTANCE_OFFERING_REQUEST___NAME_NAME;
	req.name = (char *) name;
	return drop(t, s, SVC "UpdateInstanceOffering", &req,
	    &zs__offering__v1__instance_offering_info__descriptor);
}

static int
delete(inv *t, const char *s, const char *uuid)
{
	Zs__Offering__V1__DeleteInstanceOfferingRequest req =
	    ZS__OFFERING__V1__DELETE_INSTANCE_OFFERING_REQUEST__INIT;
	req.uuid = (char *) uuid;
	return drop(t, s, SVC "DeleteInstanceOffering", &req,
	    &zs__offering__v1__delete_instance_offering_response__descriptor);
}

/* How many offerings QueryInstanceOffering finds for one condition, as s; -1 on failure. */
static int
query(inv *t, const char *s, const char *name, const char *op, const char *value)
{
	Zs__Resource__V1__QueryCondition c = ZS__RESOURCE__V1__QUERY_CONDITION__INIT;
	Zs__Resource__V1__QueryCondition *cs[1] = { &c };
	c.name = (char *) name;
	c.op = (char *) op;
	c.value = (char *) value;
	Zs__Resource__V1__QueryRequest req = ZS__RESOURCE__V1__QUERY_REQUEST__INIT;
	req.n_conditions = 1;
	req.conditions = cs;
	req.reply_with_count = 1;
	Zs__Offering__V1__QueryInstanceOfferingResponse *r = NULL;
	if (inv_call(t, s, SVC "QueryInstanceOffering", &req,
	    &zs__offering__v1__query_instance_offering_response__descriptor, &r) != INV_OK)
		return -1;
	int n = (int) r->n_inventories;
	ZST_CHECK(r->total == (uint64_t) n, "the count (%llu) matches the rows (%d)",
	    (unsigned long long) r->total, n);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	return n;
}

static void
test_sizes(inv *t)
{
	const char *a = t->admin;
	char u[INV_UUID];
	ZST_CHECK(create(t, a, "c0", 0, GIB, NULL, u) == INV_INVALID_ARGUMENT &&
	    strstr(t->msg, "cpu_num must be 1..1024, not 0") != NULL, "0 CPUs refused: %s", t->msg);
	ZST_CHECK(create(t, a, "c2k", 2048, GIB, NULL, u) == INV_INVALID_ARGUMENT &&
	    strstr(t->msg, "not 2048") != NULL, "2048 CPUs refused: %s", t->msg);
	ZST_CHECK(create(t, a, "m1", 1, 1024, NULL, u) == INV_INVALID_ARGUMENT &&
	    strstr(t->msg, "memory_size") != NULL && strcmp(t->error_code, "OFFERING.1002") == 0,
	    "1 KiB of memory refused with OFFERING.1002: %s", t->msg);
	ZST_CHECK(create(t, a, "m2", 1, 32ull << 40, NULL, u) == INV_INVALID_ARGUMENT,
	    "32 TiB of memory refused: %s", t->msg);
	ZST_CHECK(create(t, a, "st", 1, GIB, "Fastest", u) == INV_INVALID_ARGUMENT &&
	    strstr(t->msg, "\"Fastest\" is not known") != NULL, "an unknown strategy refused: %s",
	    t->msg);
	ZST_CHECK(create(t, a, "", 1, GIB, NULL, u) == INV_INVALID_ARGUMENT,
	    "an empty name refused: %s", t->msg);
	ZST_CHECK(count(t, a) == 0, "nothing refused was made");
	ZST_CHECK(create(t, a, "edge", 1024, 16ull << 20, NULL, u) == INV_OK,
	    "1024 CPUs and 16 MiB, the edges, are taken: %s", t->msg);
	ZST_CHECK(delete(t, a, u) == INV_OK, "and deleted: %s", t->msg);
}

static void
test_crud(inv *t, const char *other)
{
	const char *a = t->admin;
	char small[INV_UUID], large[INV_UUID], u[INV_UUID];
	ZST_CHECK(create(t, a, "small", 1, GIB, NULL, small) == INV_OK, "small made: %s", t->msg);
	ZST_CHECK(create(t, a, "large", 8, 16 * GIB, "LeastVmPreferredHostAllocatorStrategy",
	    large) == INV_OK, "large made with the strategy named: %s", t->msg);
	ZST_CHECK(create(t, a, "small", 2, GIB, NULL, u) == INV_ALREADY_EXISTS &&
	    strcmp(t->error_code, "OFFERING.1001") == 0 &&
	    strstr(t->msg, "\"small\" already exists") != NULL,
	    "a second \"small\" is ALREADY_EXISTS OFFERING.1001: %s", t->msg);
	ZST_CHECK(count(t, a) == 2, "the admin lists 2 offerings");

	ZST_CHECK(query(t, a, "cpuNum", ">=", "4") == 1 && query(t, a, "memory_size", "<", "2147483648") == 1 &&
	    query(t, a, "name", "like", "%a%") == 2, "QueryInstanceOffering finds by size and name");
	ZST_CHECK(query(t, a, "cpu", "=", "1") == -1 && strstr(t->msg, "cpu_num") != NULL,
	    "an unknown field lists the valid ones: %s", t->msg);
	ZST_CHECK(query(t, other, "name", "like", "%") == 0,
	    "the second account's query finds none of the admin's");

	Zs__Offering__V1__InstanceOfferingInfo *info = NULL;
	ZST_CHECK(get(t, a, large, &info) == INV_OK && info != NULL && info->cpu_num == 8 &&
	    info->memory_size == 16 * GIB && strcmp(info->name, "large") == 0,
	    "Get reads large back with its size");
	if (info != NULL)
		protobuf_c_message_free_unpacked(&info->base, NULL);

	/* another account: sees none, changes none, may have its own "small" */
	ZST_CHECK(count(t, other) == 0, "the second account lists none of the admin's");
	ZST_CHECK(get(t, other, small, NULL) == INV_NOT_FOUND, "nor gets one: %s", t->msg);
	ZST_CHECK(rename_to(t, other, small, "mine") == INV_NOT_FOUND, "nor renames one: %s",
	    t->msg);
	ZST_CHECK(delete(t, other, small) == INV_NOT_FOUND, "nor deletes one: %s", t->msg);
	ZST_CHECK(create(t, other, "small", 1, GIB, NULL, u) == INV_OK,
	    "names are per owner: it makes its own small: %s", t->msg);
	ZST_CHECK(count(t, a) == 3 && count(t, other) == 1,
	    "the admin sees all 3, the account its 1");

	ZST_CHECK(rename_to(t, a, small, "tiny") == INV_OK, "the admin renames small: %s", t->msg);
	info = NULL;
	ZST_CHECK(get(t, a, small, &info) == INV_OK && info != NULL &&
	    strcmp(info->name, "tiny") == 0 && info->cpu_num == 1, "renamed, same size");
	if (info != NULL)
		protobuf_c_message_free_unpacked(&info->base, NULL);
	ZST_CHECK(rename_to(t, a, small, "large") == INV_ALREADY_EXISTS,
	    "renaming onto large is ALREADY_EXISTS: %s", t->msg);
	ZST_CHECK(delete(t, a, small) == INV_OK && get(t, a, small, NULL) == INV_NOT_FOUND,
	    "deleted, it is NOT_FOUND");
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "offering", 110) != 0)
		return 1;
	static inv t;
	if (ZST_CHECK(inv_start(&t, NULL), "zsnode starts with the offering plugin")) {
		char other[INV_SESSION], other_uuid[INV_UUID];
		test_sizes(&t);
		if (ZST_CHECK(inv_account(&t, "carol", other, other_uuid), "a second account"))
			test_crud(&t, other);
		inv_stop(&t);
	}
	return zst_summary();
}
