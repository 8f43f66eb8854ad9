/*
 * fuzz_cli_args.c: fuzzes zsctl's command-line parsers (clients/zsctl/zsctl_kv.c and
 * zsctl_query.c): the input's lines are the arguments; its first byte picks the query
 * syntax (a QueryRequest input) or key=value against a typed message of every kind.
 * What a parse accepts is a JSON object; a query's conditions use only the wire's
 * operators, named by non-empty field names; a refusal says why.
 */
#include <stdlib.h>
#include <string.h>

#include "zs_fuzz.h"
#include "zsctl_kv.h"

static const char *const fuzz_ops[] = {
	"=", "!=", ">", ">=", "<", "<=", "in", "not in", "like", "not like", "is null",
	"is not null", NULL,
};

static json_t *
fuzz_message(int query)
{
	if (query)
		return json_pack("{s:s, s:[]}", "name", ZSCTL_QUERY_TYPE, "fields");
	return json_pack("{s:s, s:[{s:s,s:s,s:s}, {s:s,s:s,s:s}, {s:s,s:s,s:s}, {s:s,s:s,s:s},"
	                 "{s:s,s:s,s:s}, {s:s,s:s,s:s}, {s:s,s:s,s:s}, {s:s,s:s,s:s}]}",
	    "name", "zs.fuzz.Req", "fields",
	    "name", "name", "type", "string", "label", "",
	    "name", "cpu_num", "type", "uint32", "label", "",
	    "name", "size", "type", "int64", "label", "",
	    "name", "on", "type", "bool", "label", "",
	    "name", "state", "type", "zs.fuzz.State", "label", "",
	    "name", "tags", "type", "int32", "label", "repeated",
	    "name", "ratio", "type", "float", "label", "",
	    "name", "spec", "type", "zs.fuzz.Spec", "label", "");
}

static int
fuzz_known_op(const char *op)
{
	for (size_t i = 0; fuzz_ops[i] != NULL; i++)
		if (strcmp(op, fuzz_ops[i]) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	int query = data[0] & 1;
	char *text = zs_fuzz_strndup(data + 1, size - 1);
	if (text == NULL)
		return 0;
	char *argv[64];
	int argc = 0;
	for (char *p = text, *line = text; argc < 64; p++) {
		if (*p == '\n' || *p == '\0') {
			int end = *p == '\0';
			*p = '\0';
			argv[argc++] = line;
			line = p + 1;
			if (end)
				break;
		}
	}
	json_t *msg = fuzz_message(query), *body = NULL;
	char err[512] = "";
	if (zsctl_kv_build(msg, argc, argv, &body, err, sizeof err) == 0) {
		ZS_FUZZ_ASSERT(json_is_object(body), "accepted arguments made no object");
		char *dump = json_dumps(body, JSON_COMPACT);
		ZS_FUZZ_ASSERT(dump != NULL, "the body does not encode as JSON");
		free(dump);
		size_t i;
		const json_t *c;
		json_array_foreach(json_object_get(body, "conditions"), i, c) {
			const char *name = json_string_value(json_object_get(c, "name"));
			const char *op = json_string_value(json_object_get(c, "op"));
			ZS_FUZZ_ASSERT(query && name != NULL && name[0] != '\0', "a condition without a name");
			ZS_FUZZ_ASSERT(op != NULL && fuzz_known_op(op), "operator \"%s\"", op ? op : "(none)");
		}
	} else {
		ZS_FUZZ_ASSERT(body == NULL && err[0] != '\0', "a refusal without a reason");
	}
	json_decref(body);
	json_decref(msg);
	free(text);
	return 0;
}
