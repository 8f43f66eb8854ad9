/*
 * pbstr_test.c: zs_pbstr_check finds a NUL inside any string field of an encoded message
 * (top level, nested, repeated, map keys and values) and names the field; clean
 * messages, bytes fields holding NULs and unknown fields pass. The NUL is put into the
 * packed bytes in place of a marker character, as protobuf-c cannot pack one itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/test/v1/types.pb-c.h"
#include "zs_pbstr.h"
#include "zst_check.h"

typedef Zs__Test__V1__Types Types;

#define MARK '#'

/* Packs m, turns every MARK into NUL, checks; the error (or "") into err. */
static int
check_marked(const ProtobufCMessage *m, char *err, size_t errlen)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(n ? n : 1);
	ZST_REQUIRE(buf != NULL, "memory");
	protobuf_c_message_pack(m, buf);
	for (size_t i = 0; i < n; i++)
		if (buf[i] == MARK)
			buf[i] = 0;
	err[0] = '\0';
	int rv = zs_pbstr_check(m->descriptor, buf, n, err, errlen);
	free(buf);
	return rv;
}

static void
expect_nul(const ProtobufCMessage *m, const char *path, const char *label)
{
	char err[300], want[200];
	snprintf(want, sizeof want, "string field %s holds a NUL", path);
	int rv = check_marked(m, err, sizeof err);
	ZST_CHECK(rv == -1 && strstr(err, want) != NULL, "%s: refused naming %s (got %d, \"%s\")",
	    label, path, rv, err);
}

int
main(void)
{
	zst_check_init("pbstr");
	char err[300];

	Types t = ZS__TEST__V1__TYPES__INIT;
	t.f_string = "plain";
	ZST_CHECK(check_marked(&t.base, err, sizeof err) == 0, "a clean message passes (%s)", err);

	/* bytes may hold NULs */
	uint8_t raw[] = { 'a', MARK, 'b' };
	t.f_bytes.data = raw;
	t.f_bytes.len = sizeof raw;
	ZST_CHECK(check_marked(&t.base, err, sizeof err) == 0, "a bytes field with a NUL passes (%s)",
	    err);
	t.f_bytes.len = 0;
	t.f_bytes.data = NULL;

	t.f_string = "a#b";
	expect_nul(&t.base, "f_string", "top level");
	t.f_string = "#";
	expect_nul(&t.base, "f_string", "a string of only a NUL");
	t.f_string = "ok";

	Zs__Test__V1__Types__Inner inner = ZS__TEST__V1__TYPES__INNER__INIT;
	char *tags[] = { "one", "two#junk" };
	inner.tags = tags;
	inner.n_tags = 2;
	t.inner = &inner;
	expect_nul(&t.base, "inner.tags", "nested, repeated, second element");
	tags[1] = "two";
	ZST_CHECK(check_marked(&t.base, err, sizeof err) == 0, "the nested message clean passes");

	char *rs[] = { "x", "y#" };
	t.r_string = rs;
	t.n_r_string = 2;
	expect_nul(&t.base, "r_string", "repeated string");
	t.n_r_string = 0;

	Zs__Test__V1__Item item = ZS__TEST__V1__ITEM__INIT;
	Zs__Test__V1__Item *items[] = { &item };
	item.name = "it#em";
	t.items = items;
	t.n_items = 1;
	expect_nul(&t.base, "items.name", "repeated message");
	t.n_items = 0;

	Zs__Test__V1__Types__CountsEntry ce = ZS__TEST__V1__TYPES__COUNTS_ENTRY__INIT;
	Zs__Test__V1__Types__CountsEntry *counts[] = { &ce };
	ce.key = "k#";
	ce.value = 1;
	t.counts = counts;
	t.n_counts = 1;
	expect_nul(&t.base, "counts.key", "map key");
	t.n_counts = 0;

	Zs__Test__V1__Types__FlagsEntry fe = ZS__TEST__V1__TYPES__FLAGS_ENTRY__INIT;
	Zs__Test__V1__Types__FlagsEntry *flags[] = { &fe };
	fe.key = 1;
	fe.value = "v#";
	t.flags = flags;
	t.n_flags = 1;
	expect_nul(&t.base, "flags.value", "map value");
	t.n_flags = 0;

	/* a field the type does not know is skipped (unpack judges those) */
	uint8_t unknown[] = { 0xba, 0x3e, 0x03, 'a', 0, 'b' };   /* field 999, length 3 */
	ZST_CHECK(zs_pbstr_check(&zs__test__v1__types__descriptor, unknown, sizeof unknown, err,
	    sizeof err) == 0, "an unknown field is skipped (%s)", err);
	return zst_check_summary();
}
