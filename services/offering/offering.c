/*
 * offering.c: the instance offering service (zs.offering.v1.InstanceOffering): the CPUs
 * and memory of a VM, named once, as ZStack has them. The resource kit
 * (zs/resource_kit.h) runs its methods from the table below; the size is checked here
 * (and by the table's CHECKs) so that no offering holds a size no VM could have.
 */
#include <string.h>

#include "zs/offering/v1/offering.pb-c.h"
#include "zs/resource_kit.h"

#define OFFERING_TABLE "offering_instance_offerings"
#define OFFERING_COLUMNS "uuid, name, description, cpu_num, memory_size, " \
	"allocator_strategy, type, owner_uuid, " ZS_RKIT_SQL_TIMES
#define OFFERING_CPU_MAX 1024u
#define OFFERING_MEMORY_MIN (16ull << 20)
#define OFFERING_MEMORY_MAX (16ull << 40)
#define OFFERING_STRATEGY "LeastVmPreferredHostAllocatorStrategy"

/* cpu_num and memory_size in range; the strategy ("" means the only one) to extra[0]. */
static bool
offering_create_check(zs_call *call, const ProtobufCMessage *in, const char **extra)
{
	const Zs__Offering__V1__CreateInstanceOfferingRequest *r =
	    (const Zs__Offering__V1__CreateInstanceOfferingRequest *) in;
	if (r->cpu_num < 1 || r->cpu_num > OFFERING_CPU_MAX) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, "OFFERING.1002",
		    "cpu_num must be 1..%u, not %u", OFFERING_CPU_MAX, r->cpu_num);
		return false;
	}
	if (r->memory_size < OFFERING_MEMORY_MIN || r->memory_size > OFFERING_MEMORY_MAX) {
		zs_call_fail(call, ZS_INVALID_ARGUMENT, "OFFERING.1002",
		    "memory_size must be 16 MiB..16 TiB in bytes (16777216..17592186044416), "
		    "not %llu", (unsigned long long) r->memory_size);
		return false;
	}
	extra[0] = r->allocator_strategy[0] == '\0' ? OFFERING_STRATEGY : r->allocator_strategy;
	if (strcmp(extra[0], OFFERING_STRATEGY) == 0)
		return true;
	zs_call_fail(call, ZS_INVALID_ARGUMENT, "OFFERING.1002",
	    "allocator_strategy \"%s\" is not known (" OFFERING_STRATEGY " is)",
	    r->allocator_strategy);
	return false;
}

static const char *const offering_create_fields[] = { "cpu_num", "memory_size", NULL };

static const zs_rkit_conflict offering_conflicts[] = {
	{ "offering_instance_offerings_owner_name_key", "OFFERING.1001", "name",
	  "an instance offering named \"", "\" already exists" },
	{ NULL, NULL, NULL, NULL, NULL },
};

/* QueryInstanceOffering: its own fields and its tags'. */
static const zs_query_field offering_query_fields[] = {
	{ "uuid", "t.uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "name", "t.name", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "description", "t.description", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "cpu_num", "t.cpu_num", ZS_QUERY_INT, NULL, NULL, NULL },
	{ "memory_size", "t.memory_size", ZS_QUERY_INT, NULL, NULL, NULL },
	{ "allocator_strategy", "t.allocator_strategy", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "type", "t.type", ZS_QUERY_TEXT, NULL, NULL, NULL },
	{ "owner_uuid", "t.owner_uuid", ZS_QUERY_UUID, NULL, NULL, NULL },
	{ "create_date", "t.created_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "last_op_date", "t.updated_at", ZS_QUERY_TIME, NULL, NULL, NULL },
	{ "tags.tag", "r.tag", ZS_QUERY_TEXT, NULL,
	  "SELECT 1 FROM zs_tags r WHERE r.resource_uuid = t.uuid", NULL },
};

static const zs_query_table offering_query = {
	"instance offering", OFFERING_TABLE " t", "t.owner_uuid", "t.created_at", "t.uuid",
	offering_query_fields, sizeof offering_query_fields / sizeof offering_query_fields[0], NULL,
};

static const zs_rkit_def offering_def = {
	.type = "InstanceOffering", .what = "instance offering", .name_max = 255,
	.description_max = 2048,
	.sql_get = ZS_RKIT_SQL_GET(OFFERING_TABLE, OFFERING_COLUMNS),
	.sql_list = ZS_RKIT_SQL_LIST(OFFERING_TABLE, OFFERING_COLUMNS),
	.sql_insert = ZS_RKIT_SQL_INSERT(OFFERING_TABLE,
	    ", cpu_num, memory_size, allocator_strategy", ", $5, $6, $7", OFFERING_COLUMNS),
	.sql_update = ZS_RKIT_SQL_UPDATE(OFFERING_TABLE, OFFERING_COLUMNS),
	.create_fields = offering_create_fields,
	.create_check = offering_create_check, .n_extra = 1,
	.info = &zs__offering__v1__instance_offering_info__descriptor,
	.query = &offering_query, .conflicts = offering_conflicts, .ops = zs_rkit_crud, .n_ops = ZS_RKIT_CRUD_N,
};

ZS_EXPORT zs_rkit_service offering_service =
    ZS_RKIT_SERVICE(&zs__offering__v1__instance_offering__descriptor, &offering_def);
