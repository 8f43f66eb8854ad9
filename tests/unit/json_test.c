/* json_test.c: unit tests for the proto3 JSON mapping (server/src/zs_json.c),
 * run against the messages of tests/proto/zs/test/v1/types.proto.
 * Every decoded message is freed with protobuf_c_message_free_unpacked, so a
 * run under -fsanitize=address also proves the decoder allocates as unpack does.
 * Prints `json: N passed, M failed` and exits non-zero on any failure. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zst_check.h"
#include "zs/test/v1/types.pb-c.h"
#include "zs_json.h"

typedef Zs__Test__V1__Types Types;
typedef Zs__Test__V1__Item Item;
typedef Zs__Test__V1__Node Node;

#define TYPES_DESC (&zs__test__v1__types__descriptor)

/* Each test function is one case of the shared checks (zst_check.h). */
typedef zst_case T;

/* ---- helpers ---- */

static json_t *parse(T *t, const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);

    if (!j) {
        ZST_FAIL_IN(t, "bad test JSON (%s): %s", e.text, text);
    }
    return j;
}

/* Decode text as desc; NULL (with a failure recorded) if it does not decode. */
static ProtobufCMessage *decode_as(T *t, const ProtobufCMessageDescriptor *desc, const char *text)
{
    char err[256];
    json_t *j = parse(t, text);
    ProtobufCMessage *m = NULL;

    if (j && zs_json_decode(desc, j, &m, err, sizeof err) != 0) {
        ZST_FAIL_IN(t, "decode of %s: %s", text, err);
    }
    json_decref(j);
    return m;
}

static Types *decode_ok(T *t, const char *text)
{
    return (Types *)decode_as(t, TYPES_DESC, text);
}

/* Decoding text must fail with an error that contains want. */
static void decode_err(T *t, const char *text, const char *want)
{
    char err[256] = "";
    json_t *j = parse(t, text);
    ProtobufCMessage *m = NULL;

    if (!j)
        return;
    if (zs_json_decode(TYPES_DESC, j, &m, err, sizeof err) == 0) {
        ZST_FAIL_IN(t, "%s decoded, expected error \"%s\"", text, want);
        protobuf_c_message_free_unpacked(m, NULL);
    } else if (!strstr(err, want) || m != NULL) {
        ZST_FAIL_IN(t, "%s: error \"%s\", expected \"%s\"", text, err, want);
    }
    json_decref(j);
}

/* Encoding m must give exactly the JSON in want (compared as values). */
static void expect_encode(T *t, const ProtobufCMessage *m, const char *want)
{
    char err[256];
    json_t *got = NULL, *exp = parse(t, want);
    char *text;

    if (!m || !exp) {
        if (!m)
            ZST_FAIL_IN(t, "no message to encode (expected %s)", want);
        json_decref(exp);
        return;
    }
    if (zs_json_encode(m, &got, err, sizeof err) != 0) {
        ZST_FAIL_IN(t, "encode: %s", err);
    } else if (!json_equal(got, exp)) {
        text = json_dumps(got, JSON_COMPACT);
        ZST_FAIL_IN(t, "encoded %s, expected %s", text, want);
        free(text);
    }
    json_decref(got);
    json_decref(exp);
}

/* Through the wire format: pack m, unpack it, free the copy. */
static ProtobufCMessage *rewire(const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(n ? n : 1);
    ProtobufCMessage *copy;

    protobuf_c_message_pack(m, buf);
    copy = protobuf_c_message_unpack(m->descriptor, NULL, n, buf);
    free(buf);
    return copy;
}

/* text decodes, survives pack/unpack, and encodes back to canon. */
static void expect_roundtrip(T *t, const ProtobufCMessageDescriptor *desc, const char *text,
                             const char *canon)
{
    ProtobufCMessage *m = decode_as(t, desc, text), *copy;

    if (!m)
        return;
    expect_encode(t, m, canon);
    copy = rewire(m);
    ZST_EXPECT_IN(t, copy != NULL);
    if (copy)
        expect_encode(t, copy, canon);
    protobuf_c_message_free_unpacked(copy, NULL);
    protobuf_c_message_free_unpacked(m, NULL);
}

/* ---- tests ---- */

static void test_field_names(T *t)
{
    char buf[32], tiny[4];

    ZST_EXPECT_IN(t, strcmp(zs_json_field_name("f_int32", buf, sizeof buf), "fInt32") == 0);
    ZST_EXPECT_IN(t, strcmp(zs_json_field_name("items_by_id", buf, sizeof buf), "itemsById") == 0);
    ZST_EXPECT_IN(t, strcmp(zs_json_field_name("name", buf, sizeof buf), "name") == 0);
    ZST_EXPECT_IN(t, strcmp(zs_json_field_name("foo_bar_1", buf, sizeof buf), "fooBar1") == 0);
    ZST_EXPECT_IN(t, strcmp(zs_json_field_name("_opt_x", buf, sizeof buf), "OptX") == 0);
    ZST_EXPECT_IN(t, zs_json_field_name("items_by_id", tiny, sizeof tiny) == NULL);
    ZST_EXPECT_IN(t, strcmp(tiny, "ite") == 0);
}

static void test_scalars_encode(T *t)
{
    Types m = ZS__TEST__V1__TYPES__INIT;
    uint8_t raw[] = {0, 1, 2, 0xfb, 0xff};

    m.f_int32 = -42;
    m.f_int64 = -9000000000LL;
    m.f_uint32 = 4000000000U;
    m.f_uint64 = 18000000000000000000ULL;
    m.f_sint32 = -7;
    m.f_sint64 = INT64_MIN;
    m.f_fixed32 = 7;
    m.f_fixed64 = UINT64_MAX;
    m.f_sfixed32 = INT32_MIN;
    m.f_sfixed64 = INT64_MAX;
    m.f_float = 0.1f;
    m.f_double = 2.5;
    m.f_bool = 1;
    m.f_string = "h\xc3\xa9llo \"q\"";
    m.f_bytes.len = sizeof raw;
    m.f_bytes.data = raw;
    m.f_enum = ZS__TEST__V1__COLOR__COLOR_GREEN;
    expect_encode(t, &m.base,
                  "{\"fInt32\": -42, \"fInt64\": \"-9000000000\", \"fUint32\": 4000000000,"
                  " \"fUint64\": \"18000000000000000000\", \"fSint32\": -7,"
                  " \"fSint64\": \"-9223372036854775808\", \"fFixed32\": 7,"
                  " \"fFixed64\": \"18446744073709551615\", \"fSfixed32\": -2147483648,"
                  " \"fSfixed64\": \"9223372036854775807\", \"fFloat\": 0.1, \"fDouble\": 2.5,"
                  " \"fBool\": true, \"fString\": \"h\\u00e9llo \\\"q\\\"\", \"fBytes\": \"AAEC+/8=\","
                  " \"fEnum\": \"COLOR_GREEN\"}");
}

static void test_scalars_decode(T *t)
{
    Types *m = decode_ok(t,
                         "{\"fInt32\": -42, \"fInt64\": \"-9000000000\", \"fUint32\": 4000000000,"
                         " \"fUint64\": \"18446744073709551615\", \"fSint32\": -7, \"fSint64\": -5,"
                         " \"fFixed32\": \"7\", \"fFixed64\": 12, \"fSfixed32\": -2147483648,"
                         " \"fSfixed64\": \"-9223372036854775808\", \"fFloat\": 1.5,"
                         " \"fDouble\": -0.25, \"fBool\": true, \"fString\": \"h\\u00e9\","
                         " \"fBytes\": \"AAEC+/8=\", \"fEnum\": \"COLOR_BLUE\"}");

    if (!m)
        return;
    ZST_EXPECT_IN(t, m->f_int32 == -42);
    ZST_EXPECT_IN(t, m->f_int64 == -9000000000LL);
    ZST_EXPECT_IN(t, m->f_uint32 == 4000000000U);
    ZST_EXPECT_IN(t, m->f_uint64 == UINT64_MAX);
    ZST_EXPECT_IN(t, m->f_sint32 == -7);
    ZST_EXPECT_IN(t, m->f_sint64 == -5);
    ZST_EXPECT_IN(t, m->f_fixed32 == 7);
    ZST_EXPECT_IN(t, m->f_fixed64 == 12);
    ZST_EXPECT_IN(t, m->f_sfixed32 == INT32_MIN);
    ZST_EXPECT_IN(t, m->f_sfixed64 == INT64_MIN);
    ZST_EXPECT_IN(t, m->f_float == 1.5f);
    ZST_EXPECT_IN(t, m->f_double == -0.25);
    ZST_EXPECT_IN(t, m->f_bool == 1);
    ZST_EXPECT_IN(t, strcmp(m->f_string, "h\xc3\xa9") == 0);
    ZST_EXPECT_IN(t, m->f_bytes.len == 5 && memcmp(m->f_bytes.data, "\0\1\2\xfb\xff", 5) == 0);
    ZST_EXPECT_IN(t, m->f_enum == ZS__TEST__V1__COLOR__COLOR_BLUE);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void test_int_forms(T *t)
{
    Types *m = decode_ok(t,
                         "{\"fInt32\": \"123\", \"fUint32\": 7.0, \"fInt64\": 9007199254740993,"
                         " \"fSint32\": \"1e3\", \"fUint64\": \"0\", \"fSint64\": \"-0\","
                         " \"fFixed32\": -0.0, \"fSfixed64\": \"-1.5e2\"}");

    if (!m)
        return;
    ZST_EXPECT_IN(t, m->f_int32 == 123);
    ZST_EXPECT_IN(t, m->f_uint32 == 7);
    ZST_EXPECT_IN(t, m->f_int64 == 9007199254740993LL);
    ZST_EXPECT_IN(t, m->f_sint32 == 1000);
    ZST_EXPECT_IN(t, m->f_uint64 == 0 && m->f_sint64 == 0 && m->f_fixed32 == 0);
    ZST_EXPECT_IN(t, m->f_sfixed64 == -150);
    expect_encode(t, &m->base,
                  "{\"fInt32\": 123, \"fUint32\": 7, \"fInt64\": \"9007199254740993\","
                  " \"fSint32\": 1000, \"fSfixed64\": \"-150\"}");
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void test_range_errors(T *t)
{
    decode_err(t, "{\"fInt32\": 2147483648}", "fInt32: number 2147483648 is out of range for int32");
    decode_err(t, "{\"fInt32\": -2147483649}", "out of range for int32");
    decode_err(t, "{\"fSint32\": \"-2147483649\"}", "fSint32: string \"-2147483649\" is out of range for sint32");
    decode_err(t, "{\"fUint32\": -1}", "fUint32: number -1 is out of range for uint32");
    decode_err(t, "{\"fFixed32\": 4294967296}", "out of range for fixed32");
    decode_err(t, "{\"fUint64\": \"-1\"}", "out of range for uint64");
    decode_err(t, "{\"fUint64\": \"18446744073709551616\"}", "out of range for uint64");
    decode_err(t, "{\"fInt64\": \"9223372036854775808\"}", "out of range for int64");
    decode_err(t, "{\"fInt64\": 1e19}", "out of range for int64");
    decode_err(t, "{\"fFloat\": 1e39}", "fFloat: number 1e+39 is out of range for float");
    decode_err(t, "{\"fDouble\": \"1e999\"}", "out of range for double");
    decode_err(t, "{\"fEnum\": 2147483648}", "out of range for enum");
}

static void test_type_errors(T *t)
{
    decode_err(t, "{\"fInt32\": 1.5}", "fInt32: expected an integer, got number 1.5");
    decode_err(t, "{\"fInt32\": \"abc\"}", "fInt32: expected an integer, got string \"abc\"");
    decode_err(t, "{\"fInt64\": \" 12\"}", "expected an integer");
    decode_err(t, "{\"fInt64\": \"0x10\"}", "expected an integer");
    decode_err(t, "{\"fUint32\": true}", "fUint32: expected an integer, got true");
    decode_err(t, "{\"fString\": 5}", "fString: expected a string, got number 5");
    decode_err(t, "{\"fBool\": \"true\"}", "fBool: expected true or false, got string \"true\"");
    decode_err(t, "{\"fDouble\": \"nan\"}", "fDouble: expected a number");
    decode_err(t, "{\"fBytes\": 12}", "fBytes: expected a base64 string, got number 12");
    decode_err(t, "{\"item\": []}", "item: expected an object for zs.test.v1.Item, got an array");
    decode_err(t, "{\"rInt32\": {}}", "rInt32: expected an array, got an object");
    decode_err(t, "{\"rInt32\": [1, null]}", "rInt32[1]: expected an integer, got null");
    decode_err(t, "{\"counts\": [1]}", "counts: expected an object (map), got an array");
    decode_err(t, "{\"item\": {\"name\": \"a\\u0000b\"}}", "item.name: string contains a NUL");
    decode_err(t, "[]", "expected an object for zs.test.v1.Types, got an array");
}

static void test_float_special(T *t)
{
    Types m = ZS__TEST__V1__TYPES__INIT;
    Types *d;
    float fmax = 3.4028234663852886e38f;

    m.f_float = NAN;
    m.f_double = -INFINITY;
    m.n_r_double = 3;
    m.r_double = (double[]){INFINITY, NAN, 1e300};
    m.n_r_float = 3;
    m.r_float = (float[]){fmax, -1e-45f, 3.14159274f};
    expect_encode(t, &m.base,
                  "{\"fFloat\": \"NaN\", \"fDouble\": \"-Infinity\","
                  " \"rFloat\": [3.4028235e38, -1e-45, 3.1415927],"
                  " \"rDouble\": [\"Infinity\", \"NaN\", 1e300]}");
    d = decode_ok(t, "{\"fFloat\": \"Infinity\", \"fDouble\": \"NaN\","
                     " \"rFloat\": [3.4028235e38, \"-Infinity\", \"2.5\", 7],"
                     " \"rDouble\": [\"-Infinity\", 1e-300]}");
    if (!d)
        return;
    ZST_EXPECT_IN(t, isinf(d->f_float) && d->f_float > 0);
    ZST_EXPECT_IN(t, isnan(d->f_double));
    ZST_EXPECT_IN(t, d->n_r_float == 4 && d->r_float[0] == fmax && isinf(d->r_float[1]) && d->r_float[1] < 0);
    ZST_EXPECT_IN(t, d->r_float[2] == 2.5f && d->r_float[3] == 7.0f);
    ZST_EXPECT_IN(t, d->n_r_double == 2 && isinf(d->r_double[0]) && d->r_double[1] == 1e-300);
    protobuf_c_message_free_unpacked(&d->base, NULL);
}

static void test_enums(T *t)
{
    Types m = ZS__TEST__V1__TYPES__INIT;
    Zs__Test__V1__Types__Inner inner = ZS__TEST__V1__TYPES__INNER__INIT;
    Types *d;

    m.f_enum = (Zs__Test__V1__Color)42; /* not a known value: written as a number */
    m.inner = &inner;
    inner.level = ZS__TEST__V1__TYPES__INNER__LEVEL__LEVEL_HIGH;
    m.n_r_enum = 2;
    m.r_enum = (Zs__Test__V1__Color[]){ZS__TEST__V1__COLOR__COLOR_RED, (Zs__Test__V1__Color)-3};
    expect_encode(t, &m.base,
                  "{\"fEnum\": 42, \"inner\": {\"level\": \"LEVEL_HIGH\"},"
                  " \"rEnum\": [\"COLOR_RED\", -3]}");
    d = decode_ok(t, "{\"fEnum\": 2, \"rEnum\": [\"COLOR_BLUE\", 1, \"3\", 99],"
                     " \"inner\": {\"level\": \"LEVEL_LOW\"}}");
    if (d) {
        ZST_EXPECT_IN(t, d->f_enum == ZS__TEST__V1__COLOR__COLOR_GREEN);
        ZST_EXPECT_IN(t, d->n_r_enum == 4 && d->r_enum[0] == ZS__TEST__V1__COLOR__COLOR_BLUE &&
                     d->r_enum[1] == ZS__TEST__V1__COLOR__COLOR_RED &&
                     d->r_enum[2] == ZS__TEST__V1__COLOR__COLOR_BLUE && (int)d->r_enum[3] == 99);
        ZST_EXPECT_IN(t, d->inner && d->inner->level == ZS__TEST__V1__TYPES__INNER__LEVEL__LEVEL_LOW);
        protobuf_c_message_free_unpacked(&d->base, NULL);
    }
    decode_err(t, "{\"fEnum\": \"COLOR_PURPLE\"}",
               "fEnum: unknown value \"COLOR_PURPLE\" for enum zs.test.v1.Color");
    decode_err(t, "{\"inner\": {\"level\": \"COLOR_RED\"}}",
               "inner.level: unknown value \"COLOR_RED\" for enum zs.test.v1.Types.Inner.Level");
    decode_err(t, "{\"fEnum\": true}", "fEnum: expected a name or number of enum zs.test.v1.Color, got true");
    decode_err(t, "{\"fEnum\": 1.5}", "fEnum: expected an integer, got number 1.5");
}

static void test_bytes(T *t)
{
    Types *d = decode_ok(t, "{\"rBytes\": [\"+/8=\", \"+/8\", \"-_8=\", \"-_8\", \"\", \"aGVsbG8=\","
                            " \"aGVsbG8\", \"AA==\"]}");
    size_t i;

    if (d) {
        ZST_EXPECT_IN(t, d->n_r_bytes == 8);
        for (i = 0; i < 4 && d->n_r_bytes == 8; i++)
            ZST_EXPECT_IN(t, d->r_bytes[i].len == 2 && memcmp(d->r_bytes[i].data, "\xfb\xff", 2) == 0);
        if (d->n_r_bytes == 8) {
            ZST_EXPECT_IN(t, d->r_bytes[4].len == 0);
            ZST_EXPECT_IN(t, d->r_bytes[5].len == 5 && memcmp(d->r_bytes[5].data, "hello", 5) == 0);
            ZST_EXPECT_IN(t, d->r_bytes[6].len == 5 && memcmp(d->r_bytes[6].data, "hello", 5) == 0);
            ZST_EXPECT_IN(t, d->r_bytes[7].len == 1 && d->r_bytes[7].data[0] == 0);
        }
        expect_encode(t, &d->base, "{\"rBytes\": [\"+/8=\", \"+/8=\", \"+/8=\", \"+/8=\", \"\","
                                   " \"aGVsbG8=\", \"aGVsbG8=\", \"AA==\"]}");
        protobuf_c_message_free_unpacked(&d->base, NULL);
    }
    decode_err(t, "{\"fBytes\": \"a*b\"}", "fBytes: invalid base64 in string \"a*b\"");
    decode_err(t, "{\"fBytes\": \"+_8=\"}", "invalid base64");
    decode_err(t, "{\"fBytes\": \"A\"}", "invalid base64");
    expect_roundtrip(t, TYPES_DESC, "{\"fBytes\": \"AP8=\", \"choiceBytes\": \"\"}",
                     "{\"fBytes\": \"AP8=\", \"choiceBytes\": \"\"}");
}

static void test_strings(T *t)
{
    expect_roundtrip(t, TYPES_DESC,
                     "{\"fString\": \"tab\\t nl\\n \\u00fc \\ud83d\\ude00\", \"rString\": [\"\", \"x\"]}",
                     "{\"fString\": \"tab\\t nl\\n \\u00fc \\ud83d\\ude00\", \"rString\": [\"\", \"x\"]}");
    expect_roundtrip(t, TYPES_DESC, "{\"fString\": \"\"}", "{}");
}

static void test_nested(T *t)
{
    Types *d = decode_ok(t, "{\"item\": {\"name\": \"disk\", \"count\": 3, \"color\": \"COLOR_RED\"},"
                            " \"inner\": {\"tags\": [\"a\", \"b\"]}, \"optItem\": {}}");

    if (!d)
        return;
    ZST_EXPECT_IN(t, d->item && strcmp(d->item->name, "disk") == 0 && d->item->count == 3);
    ZST_EXPECT_IN(t, d->item && d->item->color == ZS__TEST__V1__COLOR__COLOR_RED);
    ZST_EXPECT_IN(t, d->inner && d->inner->n_tags == 2 && strcmp(d->inner->tags[1], "b") == 0);
    ZST_EXPECT_IN(t, d->_opt_item_case == ZS__TEST__V1__TYPES___OPT_ITEM_OPT_ITEM && d->opt_item);
    expect_encode(t, &d->base, "{\"item\": {\"name\": \"disk\", \"count\": 3, \"color\": \"COLOR_RED\"},"
                               " \"inner\": {\"tags\": [\"a\", \"b\"]}, \"optItem\": {}}");
    protobuf_c_message_free_unpacked(&d->base, NULL);
    /* A message field set to an empty message is present: written as {}. */
    expect_roundtrip(t, TYPES_DESC, "{\"item\": {}}", "{\"item\": {}}");
    decode_err(t, "{\"item\": {\"count\": \"many\"}}", "item.count: expected an integer, got string \"many\"");
}

static void test_repeated(T *t)
{
    Types *d = decode_ok(t, "{\"rInt32\": [1, -2, \"3\"], \"rInt64\": [\"-9223372036854775808\", 5],"
                            " \"rUint64\": [\"18446744073709551615\"], \"rBool\": [true, false],"
                            " \"items\": [{\"name\": \"a\"}, {}, {\"count\": 2}], \"rString\": []}");

    if (!d)
        return;
    ZST_EXPECT_IN(t, d->n_r_int32 == 3 && d->r_int32[0] == 1 && d->r_int32[1] == -2 && d->r_int32[2] == 3);
    ZST_EXPECT_IN(t, d->n_r_int64 == 2 && d->r_int64[0] == INT64_MIN && d->r_int64[1] == 5);
    ZST_EXPECT_IN(t, d->n_r_uint64 == 1 && d->r_uint64[0] == UINT64_MAX);
    ZST_EXPECT_IN(t, d->n_r_bool == 2 && d->r_bool[0] && !d->r_bool[1]);
    ZST_EXPECT_IN(t, d->n_items == 3 && strcmp(d->items[0]->name, "a") == 0 && d->items[2]->count == 2);
    ZST_EXPECT_IN(t, d->n_r_string == 0 && d->r_string == NULL);
    expect_encode(t, &d->base, "{\"rInt32\": [1, -2, 3], \"rInt64\": [\"-9223372036854775808\", \"5\"],"
                               " \"rUint64\": [\"18446744073709551615\"], \"rBool\": [true, false],"
                               " \"items\": [{\"name\": \"a\"}, {}, {\"count\": 2}]}");
    protobuf_c_message_free_unpacked(&d->base, NULL);
    decode_err(t, "{\"items\": [{}, {\"count\": 1}, {\"count\": \"abc\"}]}",
               "items[2].count: expected an integer, got string \"abc\"");
    decode_err(t, "{\"rString\": [\"a\", \"b\", 3]}", "rString[2]: expected a string, got number 3");
    decode_err(t, "{\"rBytes\": [\"AA==\", \"!\"]}", "rBytes[1]: invalid base64");
}

static void test_maps_string_key(T *t)
{
    Types *d = decode_ok(t, "{\"counts\": {\"a\": 1, \"b\": \"2\", \"\": 0}}");
    size_t i, sum = 0;

    if (!d)
        return;
    ZST_EXPECT_IN(t, d->n_counts == 3);
    for (i = 0; i < d->n_counts; i++)
        sum += (size_t)d->counts[i]->value;
    ZST_EXPECT_IN(t, sum == 3);
    ZST_EXPECT_IN(t, d->n_counts == 3 && strcmp(d->counts[1]->key, "b") == 0);
    expect_encode(t, &d->base, "{\"counts\": {\"a\": 1, \"b\": 2, \"\": 0}}");
    protobuf_c_message_free_unpacked(&d->base, NULL);
    expect_roundtrip(t, TYPES_DESC, "{\"counts\": {\"x\": -1, \"y\": 2147483647}}",
                     "{\"counts\": {\"x\": -1, \"y\": 2147483647}}");
    decode_err(t, "{\"counts\": {\"a\": 1, \"b\": null}}", "counts[\"b\"]: expected an integer, got null");
}

static void test_maps_other_keys(T *t)
{
    Types *d = decode_ok(t, "{\"itemsById\": {\"-5\": {\"name\": \"neg\"}, \"9223372036854775807\": {}},"
                            " \"flags\": {\"true\": \"yes\", \"false\": \"no\"},"
                            " \"colors\": {\"4294967295\": \"COLOR_RED\", \"0\": 2},"
                            " \"blobs\": {\"-1\": \"AQ==\"}}");

    if (!d)
        return;
    ZST_EXPECT_IN(t, d->n_items_by_id == 2 && d->items_by_id[0]->key == -5);
    ZST_EXPECT_IN(t, d->n_items_by_id == 2 && strcmp(d->items_by_id[0]->value->name, "neg") == 0);
    ZST_EXPECT_IN(t, d->n_items_by_id == 2 && d->items_by_id[1]->key == INT64_MAX && d->items_by_id[1]->value);
    ZST_EXPECT_IN(t, d->n_flags == 2 && d->flags[0]->key == 1 && d->flags[1]->key == 0);
    ZST_EXPECT_IN(t, d->n_colors == 2 && d->colors[0]->key == UINT32_MAX &&
                 d->colors[1]->value == ZS__TEST__V1__COLOR__COLOR_GREEN);
    ZST_EXPECT_IN(t, d->n_blobs == 1 && d->blobs[0]->key == -1 && d->blobs[0]->value.len == 1);
    protobuf_c_message_free_unpacked(&d->base, NULL);
    expect_roundtrip(t, TYPES_DESC,
                     "{\"itemsById\": {\"-5\": {\"name\": \"neg\"}, \"7\": {}},"
                     " \"flags\": {\"true\": \"yes\", \"false\": \"\"},"
                     " \"colors\": {\"4294967295\": \"COLOR_RED\", \"0\": 2}, \"blobs\": {\"-1\": \"AQ==\"}}",
                     "{\"itemsById\": {\"-5\": {\"name\": \"neg\"}, \"7\": {}},"
                     " \"flags\": {\"true\": \"yes\", \"false\": \"\"},"
                     " \"colors\": {\"4294967295\": \"COLOR_RED\", \"0\": \"COLOR_GREEN\"},"
                     " \"blobs\": {\"-1\": \"AQ==\"}}");
    decode_err(t, "{\"itemsById\": {\"1\": {}, \"x\": {}}}",
               "itemsById[\"x\"]: expected an integer, got map key \"x\"");
    decode_err(t, "{\"colors\": {\"-1\": 1}}", "colors[\"-1\"]: map key \"-1\" is out of range for uint32");
    decode_err(t, "{\"flags\": {\"yes\": \"x\"}}", "flags[\"yes\"]: expected map key true or false");
    decode_err(t, "{\"itemsById\": {\"1\": {\"count\": []}}}",
               "itemsById[\"1\"].count: expected an integer, got an array");
}

static void test_oneof(T *t)
{
    Types m = ZS__TEST__V1__TYPES__INIT;
    Types *d;

    m.choice_case = ZS__TEST__V1__TYPES__CHOICE_CHOICE_INT;
    m.choice_int = 0; /* set to its default, still written */
    expect_encode(t, &m.base, "{\"choiceInt\": \"0\"}");
    d = decode_ok(t, "{\"choiceStr\": \"\"}");
    if (d) {
        ZST_EXPECT_IN(t, d->choice_case == ZS__TEST__V1__TYPES__CHOICE_CHOICE_STR && d->choice_str[0] == 0);
        protobuf_c_message_free_unpacked(&d->base, NULL);
    }
    expect_roundtrip(t, TYPES_DESC, "{\"choiceStr\": \"\"}", "{\"choiceStr\": \"\"}");
    expect_roundtrip(t, TYPES_DESC, "{\"choiceInt\": 0}", "{\"choiceInt\": \"0\"}");
    expect_roundtrip(t, TYPES_DESC, "{\"choiceItem\": {\"count\": 4}}", "{\"choiceItem\": {\"count\": 4}}");
    expect_roundtrip(t, TYPES_DESC, "{\"choiceEnum\": \"COLOR_UNSPECIFIED\"}",
                     "{\"choiceEnum\": \"COLOR_UNSPECIFIED\"}");
    expect_roundtrip(t, TYPES_DESC, "{\"choiceStr\": null, \"choice_int\": \"5\"}", "{\"choiceInt\": \"5\"}");
    decode_err(t, "{\"choiceStr\": \"a\", \"choiceInt\": 1}",
               "choiceInt: only one field of a oneof may be set, and \"choiceStr\" is already set");
    decode_err(t, "{\"choiceItem\": {}, \"choiceBytes\": \"AA==\"}", "choiceBytes: only one field of a oneof");
    /* An error inside a oneof message must not leak it. */
    decode_err(t, "{\"choiceItem\": {\"name\": \"x\", \"count\": false}}",
               "choiceItem.count: expected an integer, got false");
}

static void test_optional_presence(T *t)
{
    Types *d = decode_ok(t, "{\"optInt32\": 0, \"optString\": \"\", \"optEnum\": 0,"
                            " \"optBool\": false, \"optDouble\": 0, \"optUint64\": \"0\"}");

    if (d) {
        ZST_EXPECT_IN(t, d->_opt_int32_case == ZS__TEST__V1__TYPES___OPT_INT32_OPT_INT32 && d->opt_int32 == 0);
        ZST_EXPECT_IN(t, d->_opt_string_case == ZS__TEST__V1__TYPES___OPT_STRING_OPT_STRING);
        ZST_EXPECT_IN(t, d->_opt_bool_case != 0 && d->_opt_enum_case != 0);
        ZST_EXPECT_IN(t, d->_opt_double_case != 0 && d->_opt_uint64_case != 0 && d->_opt_item_case == 0);
        protobuf_c_message_free_unpacked(&d->base, NULL);
    }
    expect_roundtrip(t, TYPES_DESC,
                     "{\"optInt32\": 0, \"optString\": \"\", \"optEnum\": 0,"
                     " \"optBool\": false, \"optDouble\": 0, \"optUint64\": \"0\"}",
                     "{\"optInt32\": 0, \"optString\": \"\","
                     " \"optEnum\": \"COLOR_UNSPECIFIED\", \"optBool\": false, \"optDouble\": 0.0,"
                     " \"optUint64\": \"0\"}");
    expect_roundtrip(t, TYPES_DESC, "{\"optInt32\": null, \"optItem\": null}", "{}");
}

/* A hand-built descriptor in the shape protoc-c gives proto2 `optional` (and
   proto3 `optional` in later protoc-c releases): has_xxx flags, and strings
   that are present when not NULL. */
typedef struct {
    ProtobufCMessage base;
    protobuf_c_boolean has_count;
    int32_t count;
    char *note;
    protobuf_c_boolean has_blob;
    ProtobufCBinaryData blob;
} HandOpt;

static void hand_opt_init(ProtobufCMessage *m);

static const ProtobufCFieldDescriptor hand_opt_fields[3] = {
    {"count", 1, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_INT32, offsetof(HandOpt, has_count),
     offsetof(HandOpt, count), NULL, NULL, 0, 0, NULL, NULL},
    {"note", 2, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_STRING, 0, offsetof(HandOpt, note), NULL,
     NULL, 0, 0, NULL, NULL},
    {"blob", 3, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_BYTES, offsetof(HandOpt, has_blob),
     offsetof(HandOpt, blob), NULL, NULL, 0, 0, NULL, NULL},
};
static const unsigned hand_opt_by_name[3] = {2, 0, 1};
static const ProtobufCIntRange hand_opt_ranges[2] = {{1, 0}, {0, 3}};
static const ProtobufCMessageDescriptor hand_opt_descriptor = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "zs.test.v1.HandOpt", "HandOpt", "HandOpt", "zs.test.v1",
    sizeof(HandOpt), 3, hand_opt_fields, hand_opt_by_name, 1, hand_opt_ranges, hand_opt_init,
    NULL, NULL, NULL};

static void hand_opt_init(ProtobufCMessage *m)
{
    static const HandOpt init = {PROTOBUF_C_MESSAGE_INIT(&hand_opt_descriptor), 0, 0, NULL, 0, {0, NULL}};
    *(HandOpt *)m = init;
}

static void test_label_optional(T *t)
{
    HandOpt *d = (HandOpt *)decode_as(t, &hand_opt_descriptor,
                                      "{\"count\": 0, \"note\": \"\", \"blob\": \"\"}");

    if (d) {
        ZST_EXPECT_IN(t, d->has_count && d->count == 0 && d->note && d->note[0] == 0 && d->has_blob);
        protobuf_c_message_free_unpacked(&d->base, NULL);
    }
    expect_roundtrip(t, &hand_opt_descriptor, "{\"count\": 0, \"note\": \"\", \"blob\": \"\"}",
                     "{\"count\": 0, \"note\": \"\", \"blob\": \"\"}");
    expect_roundtrip(t, &hand_opt_descriptor, "{\"count\": 9}", "{\"count\": 9}");
    expect_roundtrip(t, &hand_opt_descriptor, "{}", "{}");
}

static void test_default_omission(T *t)
{
    Types m = ZS__TEST__V1__TYPES__INIT;

    expect_encode(t, &m.base, "{}");
    expect_roundtrip(t, TYPES_DESC,
                     "{\"fInt32\": 0, \"fInt64\": \"0\", \"fUint64\": 0, \"fFloat\": 0.0, \"fDouble\": 0,"
                     " \"fBool\": false, \"fString\": \"\", \"fBytes\": \"\", \"fEnum\": \"COLOR_UNSPECIFIED\","
                     " \"rInt32\": [], \"counts\": {}, \"items\": []}",
                     "{}");
}

static void test_unknown_and_names(T *t)
{
    decode_err(t, "{\"foo\": 1}", "unknown field \"foo\" in zs.test.v1.Types");
    decode_err(t, "{\"item\": {\"bar\": 1}}", "item: unknown field \"bar\" in zs.test.v1.Item");
    decode_err(t, "{\"fint32\": 1}", "unknown field \"fint32\"");
    decode_err(t, "{\"fInt32\": 1, \"f_int32\": 2}", "field \"f_int32\" is given twice");
    expect_roundtrip(t, TYPES_DESC,
                     "{\"f_int32\": 1, \"items_by_id\": {\"3\": {\"name\": \"n\"}}, \"opt_string\": \"s\","
                     " \"r_enum\": [\"COLOR_RED\"]}",
                     "{\"fInt32\": 1, \"itemsById\": {\"3\": {\"name\": \"n\"}}, \"optString\": \"s\","
                     " \"rEnum\": [\"COLOR_RED\"]}");
}

static void test_nulls(T *t)
{
    expect_roundtrip(t, TYPES_DESC,
                     "{\"fInt32\": null, \"item\": null, \"rInt32\": null, \"counts\": null,"
                     " \"fString\": null, \"fBytes\": null, \"tree\": null, \"fEnum\": null}",
                     "{}");
}

/* JSON for a chain of depth Node messages: {"label":"1","child":{...}}. */
static char *node_chain(int depth)
{
    size_t cap = (size_t)depth * 40 + 16, len = 0;
    char *s = malloc(cap);
    int i;

    for (i = 1; i <= depth; i++)
        len += (size_t)snprintf(s + len, cap - len, "{\"label\": \"%d\"%s", i, i < depth ? ", \"child\": " : "");
    for (i = 0; i < depth; i++)
        s[len++] = '}';
    s[len] = '\0';
    return s;
}

static void test_recursive(T *t)
{
    char *ok = node_chain(ZS_JSON_MAX_DEPTH), *deep = node_chain(ZS_JSON_MAX_DEPTH + 1);
    char err[256] = "";
    json_t *j;
    ProtobufCMessage *m = NULL;
    Node *n;
    int levels = 0;

    expect_roundtrip(t, &zs__test__v1__node__descriptor, ok, ok);
    n = (Node *)decode_as(t, &zs__test__v1__node__descriptor, ok);
    for (Node *p = n; p; p = p->child)
        levels++;
    ZST_EXPECT_IN(t, levels == ZS_JSON_MAX_DEPTH);
    protobuf_c_message_free_unpacked(&n->base, NULL);
    j = json_loads(deep, 0, NULL);
    ZST_EXPECT_IN(t, j && zs_json_decode(&zs__test__v1__node__descriptor, j, &m, err, sizeof err) != 0);
    ZST_EXPECT_IN(t, m == NULL && strstr(err, "messages nested more than 100 deep"));
    if (!strstr(err, "messages nested more than 100 deep"))
        fprintf(stderr, "    got \"%s\"\n", err);
    ZST_EXPECT_IN(t, strncmp(err, "...", 3) == 0 && strstr(err, ".child.child: messages nested"));
    json_decref(j);
    free(ok);
    free(deep);
    expect_roundtrip(t, TYPES_DESC,
                     "{\"tree\": {\"label\": \"root\", \"children\": [{\"label\": \"a\", \"child\": {\"label\": \"b\"}},"
                     " {\"children\": [{}, {\"label\": \"c\"}]}]}}",
                     "{\"tree\": {\"label\": \"root\", \"children\": [{\"label\": \"a\", \"child\": {\"label\": \"b\"}},"
                     " {\"children\": [{}, {\"label\": \"c\"}]}]}}");
    decode_err(t, "{\"tree\": {\"children\": [{}, {\"child\": {\"label\": 5}}]}}",
               "tree.children[1].child.label: expected a string, got number 5");
}

static void test_full_roundtrip(T *t)
{
    const char *all =
        "{\"fInt32\": -1, \"fInt64\": \"-2\", \"fUint32\": 3, \"fUint64\": \"4\", \"fSint32\": -5,"
        " \"fSint64\": \"-6\", \"fFixed32\": 7, \"fFixed64\": \"8\", \"fSfixed32\": -9, \"fSfixed64\": \"-10\","
        " \"fFloat\": 1.25, \"fDouble\": 0.1, \"fBool\": true, \"fString\": \"s\", \"fBytes\": \"Ynl0ZXM=\","
        " \"fEnum\": \"COLOR_RED\", \"item\": {\"name\": \"i\", \"count\": 1, \"color\": \"COLOR_BLUE\"},"
        " \"inner\": {\"level\": \"LEVEL_LOW\", \"tags\": [\"t1\", \"t2\"]},"
        " \"rInt32\": [1, 2], \"rInt64\": [\"3\"], \"rUint64\": [\"18446744073709551615\"],"
        " \"rFloat\": [0.5, \"NaN\"], \"rDouble\": [\"-Infinity\", 2.0], \"rBool\": [false],"
        " \"rString\": [\"x\", \"\"], \"rBytes\": [\"\", \"AA==\"], \"rEnum\": [\"COLOR_GREEN\", 7],"
        " \"items\": [{}, {\"name\": \"j\"}], \"counts\": {\"k\": 5},"
        " \"itemsById\": {\"-1\": {\"count\": -1}}, \"flags\": {\"true\": \"t\"}, \"colors\": {\"2\": \"COLOR_BLUE\"},"
        " \"blobs\": {\"9\": \"AQI=\"}, \"choiceBytes\": \"AwQ=\", \"optInt32\": 0, \"optString\": \"o\","
        " \"optEnum\": \"COLOR_RED\", \"optBool\": false, \"optDouble\": -1.5,"
        " \"optItem\": {}, \"optUint64\": \"18446744073709551615\","
        " \"tree\": {\"label\": \"r\", \"child\": {\"label\": \"c\"}, \"children\": [{\"label\": \"d\"}]}}";

    expect_roundtrip(t, TYPES_DESC, all, all);
}

/* Errors deep inside partly built messages: ASan reports any leak. */
static void test_no_leak_on_error(T *t)
{
    decode_err(t, "{\"fString\": \"kept\", \"items\": [{\"name\": \"a\"}, {\"name\": \"b\"}, {\"name\": 1}]}",
               "items[2].name");
    decode_err(t, "{\"counts\": {\"a\": 1, \"b\": 2, \"c\": \"x\"}}", "counts[\"c\"]");
    decode_err(t, "{\"itemsById\": {\"1\": {\"name\": \"x\"}, \"2\": {\"name\": \"y\", \"zz\": 1}}}",
               "itemsById[\"2\"]: unknown field \"zz\"");
    decode_err(t, "{\"rBytes\": [\"AAAA\", \"BBBB\", 1]}", "rBytes[2]");
    decode_err(t, "{\"rString\": [\"a\", \"b\"], \"tree\": {\"children\": [{\"label\": \"x\"}, []]}}",
               "tree.children[1]: expected an object for zs.test.v1.Node");
    decode_err(t, "{\"optString\": \"s\", \"choiceStr\": \"c\", \"choiceItem\": {}}", "choiceItem");
}

static void test_bad_arguments(T *t)
{
    char err[128];
    json_t *j = json_object(), *out = (json_t *)1;
    ProtobufCMessage *m = (ProtobufCMessage *)1;

    ZST_EXPECT_IN(t, zs_json_decode(NULL, j, &m, err, sizeof err) == -1 && m == NULL && err[0]);
    ZST_EXPECT_IN(t, zs_json_decode(TYPES_DESC, NULL, &m, err, sizeof err) == -1);
    ZST_EXPECT_IN(t, zs_json_decode(TYPES_DESC, j, NULL, NULL, 0) == -1);
    ZST_EXPECT_IN(t, zs_json_encode(NULL, &out, err, sizeof err) == -1 && out == NULL);
    json_decref(j);
}

static void test_invalid_utf8_encode(T *t)
{
    Types m = ZS__TEST__V1__TYPES__INIT;
    json_t *out = NULL;
    char err[128] = "";

    m.n_r_string = 2;
    m.r_string = (char *[]){"ok", "bad \xff"};
    ZST_EXPECT_IN(t, zs_json_encode(&m.base, &out, err, sizeof err) == -1 && out == NULL);
    ZST_EXPECT_IN(t, strcmp(err, "rString[1]: string is not valid UTF-8") == 0);
}

/* google.protobuf.Timestamp is RFC 3339 text, in UTC on output, any offset on input. */
static void test_timestamp(T *t)
{
    Types *m = decode_ok(t, "{\"when\":\"2026-01-01T08:00:00.5+08:00\","
                            "\"whens\":[\"1970-01-01T00:00:00Z\",\"9999-12-31t23:59:59.999999999z\","
                            "\"0001-01-01T00:00:00.000001-00:30\"]}");
    if (!m)
        return;
    ZST_EXPECT_IN(t, m->when != NULL && m->when->seconds == 1767225600 && m->when->nanos == 500000000);
    ZST_EXPECT_IN(t, m->n_whens == 3 && m->whens[0]->seconds == 0 && m->whens[0]->nanos == 0);
    ZST_EXPECT_IN(t, m->n_whens == 3 && m->whens[1]->seconds == 253402300799LL &&
                         m->whens[1]->nanos == 999999999);
    ZST_EXPECT_IN(t, m->n_whens == 3 && m->whens[2]->seconds == -62135596800LL + 1800 &&
                         m->whens[2]->nanos == 1000);
    expect_encode(t, &m->base, "{\"when\":\"2026-01-01T00:00:00.500Z\",\"whens\":["
                               "\"1970-01-01T00:00:00Z\",\"9999-12-31T23:59:59.999999999Z\","
                               "\"0001-01-01T00:30:00.000001Z\"]}");
    m->when->seconds = 253402300800LL; /* year 10000 */
    char err[256] = "";
    json_t *j = NULL;
    ZST_EXPECT_IN(t, zs_json_encode(&m->base, &j, err, sizeof err) != 0 && strstr(err, "9999"));
    json_decref(j);
    protobuf_c_message_free_unpacked(&m->base, NULL);
    decode_err(t, "{\"when\":1767225600}", "expected an RFC 3339 time");
    decode_err(t, "{\"when\":\"2026-01-01T00:00:00\"}", "expected an RFC 3339 time");
    decode_err(t, "{\"when\":\"2026-13-01T00:00:00Z\"}", "when");
    decode_err(t, "{\"when\":\"10000-01-01T00:00:00Z\"}", "when");
    decode_err(t, "{\"when\":{\"seconds\":1}}", "expected an RFC 3339 time");
    decode_err(t, "{\"whens\":[\"2026-01-01T00:00:00Z\",\"\"]}", "whens[1]");
}

int main(void)
{
    zst_check_init("json");
    static const struct {
        const char *name;
        void (*fn)(T *);
    } tests[] = {
        {"field_names", test_field_names},
        {"scalars_encode", test_scalars_encode},
        {"scalars_decode", test_scalars_decode},
        {"int_forms", test_int_forms},
        {"range_errors", test_range_errors},
        {"type_errors", test_type_errors},
        {"float_special", test_float_special},
        {"enums", test_enums},
        {"bytes", test_bytes},
        {"strings", test_strings},
        {"nested", test_nested},
        {"repeated", test_repeated},
        {"maps_string_key", test_maps_string_key},
        {"maps_other_keys", test_maps_other_keys},
        {"oneof", test_oneof},
        {"optional_presence", test_optional_presence},
        {"label_optional", test_label_optional},
        {"default_omission", test_default_omission},
        {"unknown_and_names", test_unknown_and_names},
        {"nulls", test_nulls},
        {"recursive", test_recursive},
        {"full_roundtrip", test_full_roundtrip},
        {"no_leak_on_error", test_no_leak_on_error},
        {"bad_arguments", test_bad_arguments},
        {"invalid_utf8_encode", test_invalid_utf8_encode},
        {"timestamp", test_timestamp},
    };
    size_t i, n = sizeof tests / sizeof tests[0];
    int passed = 0, failed = 0;

    for (i = 0; i < n; i++) {
        T t = {tests[i].name, 0};

        tests[i].fn(&t);
        if (atomic_load(&t.failures))
            failed++;
        else
            passed++;
    }
    printf("json: %d cases passed, %d failed\n", passed, failed);
    return zst_check_summary() != 0 || failed ? 1 : 0;
}
