/*
 * args_test.c: zsctl's command-line parsers without a node (zsctl_kv.h, the code zsctl
 * runs): key=value into a typed input (numbers, booleans, enums, repeated, nested, JSON
 * names), and every query token into the QueryRequest a Query method gets.
 */
#include <stdio.h>
#include <string.h>

#include "zst_check.h"
#include "zsctl_kv.h"

/* The message a QueryZone's reflection describes, and a typed one. */
static json_t *
query_message(void)
{
	return json_pack("{s:s, s:[]}", "name", ZSCTL_QUERY_TYPE, "fields");
}

static json_t *
typed_message(void)
{
	return json_pack("{s:s, s:["
	                 "{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s},"
	                 "{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}]}",
	    "name", "zs.test.v1.Req", "fields",
	    "name", "name", "type", "string", "label", "",
	    "name", "cpu_num", "type", "uint32", "label", "",
	    "name", "memory_bytes", "type", "int64", "label", "",
	    "name", "enabled", "type", "bool", "label", "",
	    "name", "state", "type", "zs.test.v1.State", "label", "",
	    "name", "tags", "type", "string", "label", "repeated",
	    "name", "ratio", "type", "double", "label", "",
	    "name", "spec", "type", "zs.test.v1.Spec", "label", "");
}

/* argv of one string split at '|', into the compact JSON of the body (or "ERR: why"). */
static void
build(const json_t *msg, const char *args, char *out, size_t len)
{
	char copy[1024], *argv[32], *save = NULL;
	int argc = 0;
	snprintf(copy, sizeof copy, "%s", args);
	for (char *a = strtok_r(copy, "|", &save); a != NULL && argc < 32; a = strtok_r(NULL, "|", &save))
		argv[argc++] = a;
	json_t *body = NULL;
	char err[1024];
	if (zsctl_kv_build(msg, argc, argv, &body, err, sizeof err) != 0) {
		snprintf(out, len, "ERR: %s", err);
		return;
	}
	char *text = json_dumps(body, JSON_COMPACT);
	snprintf(out, len, "%s", text ? text : "?");
	free(text);
	json_decref(body);
}

static void
expect(const json_t *msg, const char *args, const char *want)
{
	char got[2048];
	build(msg, args, got, sizeof got);
	ZST_CHECK(strcmp(got, want) == 0, "%s\n   got  %s\n   want %s", args, got, want);
}

static void
expect_err(const json_t *msg, const char *args, const char *part)
{
	char got[2048];
	build(msg, args, got, sizeof got);
	ZST_CHECK(strncmp(got, "ERR: ", 5) == 0 && strstr(got, part) != NULL,
	    "%s is refused saying \"%s\": %s", args, part, got);
}

static void
test_query(void)
{
	json_t *q = query_message();
	expect(q, "name=zone1", "{\"conditions\":[{\"name\":\"name\",\"op\":\"=\",\"value\":\"zone1\"}]}");
	const struct { const char *arg, *op, *value; } ops[] = {
		{ "cpu!=4", "!=", "4" }, { "cpu>4", ">", "4" }, { "cpu>=4", ">=", "4" },
		{ "cpu<4", "<", "4" }, { "cpu<=4", "<=", "4" }, { "cpu?=1,2", "in", "1,2" },
		{ "cpu!?=1,2", "not in", "1,2" }, { "cpu~=web%", "like", "web%" },
		{ "cpu!~=web%", "not like", "web%" }, { "cpu=", "=", "" },
		{ "cpu=a=b", "=", "a=b" }, { "cpu>=>", ">=", ">" },
	};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		char want[256];
		snprintf(want, sizeof want, "{\"conditions\":[{\"name\":\"cpu\",\"op\":\"%s\",\"value\":\"%s\"}]}",
		    ops[i].op, ops[i].value);
		expect(q, ops[i].arg, want);
	}
	expect(q, "createDate>2026-01-01T00:00:00Z", "{\"conditions\":[{\"name\":\"create_date\",\"op\":\">\",\"value\":\"2026-01-01T00:00:00Z\"}]}");
	expect(q, "lastOpDate<=2026-01-01T08:00:00.5+08:00", "{\"conditions\":[{\"name\":\"last_op_date\",\"op\":\"<=\",\"value\":\"2026-01-01T08:00:00.5+08:00\"}]}");
	expect(q, "cluster.zoneUuid=z", "{\"conditions\":[{\"name\":\"cluster.zone_uuid\",\"op\":\"=\",\"value\":\"z\"}]}");
	/* is null, not null: one argument or the words apart */
	expect(q, "description is null", "{\"conditions\":[{\"name\":\"description\",\"op\":\"is null\"}]}");
	expect(q, "description not null", "{\"conditions\":[{\"name\":\"description\",\"op\":\"is not null\"}]}");
	expect(q, "description is not null", "{\"conditions\":[{\"name\":\"description\",\"op\":\"is not null\"}]}");
	expect(q, "description|is|null", "{\"conditions\":[{\"name\":\"description\",\"op\":\"is null\"}]}");
	expect(q, "description|not|null|name=a", "{\"conditions\":[{\"name\":\"description\",\"op\":\"is not null\"},"
	    "{\"name\":\"name\",\"op\":\"=\",\"value\":\"a\"}]}");
	expect(q, "description|is|not|null", "{\"conditions\":[{\"name\":\"description\",\"op\":\"is not null\"}]}");
	expect(q, "name=a is null", "{\"conditions\":[{\"name\":\"name\",\"op\":\"=\",\"value\":\"a is null\"}]}");
	/* the reserved keys */
	expect(q, "limit=10|start=5", "{\"limit\":10,\"start\":5}");
	expect(q, "sort=-createDate", "{\"sortBy\":\"create_date\",\"sortDirection\":\"desc\"}");
	expect(q, "sort=+name", "{\"sortBy\":\"name\",\"sortDirection\":\"asc\"}");
	expect(q, "sort=name", "{\"sortBy\":\"name\",\"sortDirection\":\"asc\"}");
	expect(q, "fields=uuid,name", "{\"fields\":[\"uuid\",\"name\"]}");
	expect(q, "groupBy=state", "{\"groupBy\":\"state\"}");
	expect(q, "groupBy=clusterUuid|state=Enabled", "{\"groupBy\":\"cluster_uuid\",\"conditions\":[{\"name\":\"state\",\"op\":\"=\",\"value\":\"Enabled\"}]}");
	expect(q, "count=true", "{\"count\":true}");
	expect(q, "replyWithCount=true", "{\"replyWithCount\":true}");
	expect(q, "limit=0", "{\"limit\":0}");
	expect(q, "name~=web%|state=Running|sort=-createDate|limit=10|start=0|fields=uuid,name|count=true",
	    "{\"conditions\":[{\"name\":\"name\",\"op\":\"like\",\"value\":\"web%\"},"
	    "{\"name\":\"state\",\"op\":\"=\",\"value\":\"Running\"}],\"sortBy\":\"create_date\","
	    "\"sortDirection\":\"desc\",\"limit\":10,\"start\":0,\"fields\":[\"uuid\",\"name\"],\"count\":true}");
	expect(q, "", "{}");
	/* mistakes */
	expect_err(q, "limit=-1", "limit takes a number");
	expect_err(q, "limit=ten", "limit takes a number");
	expect_err(q, "limit=4294967296", "limit takes a number");
	expect_err(q, "count=maybe", "count takes true or false");
	expect_err(q, "sort=-", "sort=");
	expect_err(q, "fields=", "name at least one field");
	expect_err(q, "name", "is not a condition");
	expect_err(q, "=x", "needs a field name");
	expect_err(q, "a..b=x", "a dot joins two names");
	expect_err(q, "na-me=x", "is not a condition");
	json_decref(q);
}

static void
test_typed(void)
{
	json_t *m = typed_message();
	expect(m, "name=a b|cpuNum=4|memory_bytes=-9007199254740993|enabled=yes|ratio=1.5",
	    "{\"name\":\"a b\",\"cpuNum\":4,\"memoryBytes\":\"-9007199254740993\",\"enabled\":true,\"ratio\":1.5}");
	expect(m, "state=RUNNING", "{\"state\":\"RUNNING\"}");
	expect(m, "state=2", "{\"state\":2}");
	expect(m, "tags=a,b,c", "{\"tags\":[\"a\",\"b\",\"c\"]}");
	expect(m, "tags=", "{\"tags\":[]}");
	expect(m, "tags=a|tags=b", "{\"tags\":[\"a\",\"b\"]}");
	expect(m, "tags=[\"x,y\"]", "{\"tags\":[\"x,y\"]}");
	expect(m, "spec.cpu=4|spec.host.name=h|spec.on=true",
	    "{\"spec\":{\"cpu\":\"4\",\"host\":{\"name\":\"h\"},\"on\":true}}");
	expect(m, "spec={\"cpu\":4}", "{\"spec\":{\"cpu\":4}}");
	expect(m, "name=", "{\"name\":\"\"}");
	expect_err(m, "cpuNum=-1", "is not of type uint32");
	expect_err(m, "cpuNum=4294967296", "is not of type uint32");
	expect_err(m, "cpuNum=4x", "is not of type uint32");
	expect_err(m, "memoryBytes=1e3", "is not of type int64");
	expect_err(m, "enabled=perhaps", "is not of type bool");
	expect_err(m, "ratio=fast", "is not of type double");
	expect_err(m, "nmae=x", "unknown field \"nmae\" for zs.test.v1.Req; its fields: name, cpu_num");
	expect_err(m, "name=a|name=b", "given twice");
	expect_err(m, "name.first=a", "has no fields");
	expect_err(m, "spec=1|spec.cpu=2", "both as a whole and by its fields");
	expect_err(m, "spec={oops", "not JSON");
	expect_err(m, "noequals", "is not KEY=VALUE");
	/* found by fuzzing: a key ending in a dot leaked its value; text that is not UTF-8
	 * was refused without a reason */
	expect_err(m, "spec.=x", "a dot joins two field names");
	expect_err(m, "spec.a..b=x", "a dot joins two field names");
	expect_err(m, "name=\x9dp", "argument 1 is not valid UTF-8");
	json_t *q = query_message();
	expect_err(q, "name=a|b=\xff", "argument 2 is not valid UTF-8");
	json_decref(q);
	json_decref(m);
}

static void
test_names(void)
{
	char buf[64];
	ZST_EXPECT_STR(zsctl_kv_camel("last_op_date", buf, sizeof buf), "lastOpDate");
	ZST_EXPECT_STR(zsctl_kv_snake("lastOpDate", buf, sizeof buf), "last_op_date");
	ZST_EXPECT_STR(zsctl_kv_snake("vmNics.ipAddress", buf, sizeof buf), "vm_nics.ip_address");
	ZST_EXPECT_INT(zsctl_kv_distance("CreatZone", "CreateZone"), 1);
	ZST_EXPECT_INT(zsctl_kv_distance("createzone", "CreateZone"), 0);
	ZST_EXPECT_INT(zsctl_kv_distance("", "abc"), 3);
	ZST_EXPECT_INT(zsctl_kv_distance("kitten", "sitting"), 3);
}

int
main(void)
{
	zst_check_init("cli_args");
	test_query();
	test_typed();
	test_names();
	return zst_check_summary();
}
