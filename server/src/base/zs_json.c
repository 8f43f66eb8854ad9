/* zs_json.c: proto3 JSON mapping for protobuf-c messages (see zs_json.h).
 *
 * Everything is driven by the protobuf-c runtime descriptors. How protobuf-c
 * 1.4.1 lays a message out, and so what this file reads and writes:
 *  - proto3 fields without presence are PROTOBUF_C_LABEL_NONE; they are
 *    written only when not at their default (0, "", empty bytes, NULL).
 *  - oneof members (and proto3 `optional`, which protoc turns into a
 *    one-member oneof) carry PROTOBUF_C_FIELD_FLAG_ONEOF; quantifier_offset
 *    locates the uint32 case that holds the id of the member that is set.
 *  - proto2 style PROTOBUF_C_LABEL_OPTIONAL scalars and bytes have a has_xxx
 *    flag at quantifier_offset; optional strings and messages are present
 *    when the pointer is neither NULL nor default_value.
 *  - repeated fields are a size_t count at quantifier_offset and a pointer to
 *    a malloc'd array at offset. Maps are repeated XxxEntry messages with
 *    fields key (1) and value (2).
 *
 * The decoder builds memory exactly as protobuf_c_message_unpack does
 * (malloc'd strings, byte buffers, arrays and submessages; messages set up by
 * protobuf_c_message_init), so protobuf_c_message_free_unpacked frees it.
 * Each value is decoded completely before it is stored and counts are raised
 * only after an element is stored, so a half-built message can always be
 * freed: errors never leak.
 *
 * A google.protobuf.Timestamp is an RFC 3339 text ("2026-01-01T00:00:00.5Z"), as
 * protobuf's JSON mapping writes it; on input any offset is taken ("...+08:00").
 *
 * Numbers are formatted and parsed with snprintf/strtod, which assume the
 * "C" numeric locale (the default unless the program calls setlocale).
 */
#include "zs_json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "zs/clock.h"

#define MEMBER(msg, off) ((void *)((char *)(msg) + (off)))
#define CMEMBER(msg, off) ((const void *)((const char *)(msg) + (off)))

#define NAME_MAX_LEN 256  /* longest JSON field name handled */
#define PATH_MAX_LEN 1024 /* longest field path kept for error messages */
#define SHOWN_MAX 64      /* longest user string quoted in an error */

/* Doubles at or beyond this magnitude round to infinity as a float. */
#define FLOAT_LIMIT 0x1.ffffffp127

/* Per-call state: where errors go and the path of the field in hand. */
typedef struct {
    char *err;
    size_t errlen;
    char path[PATH_MAX_LEN];
    size_t pathlen;
    int depth;
} Ctx;

/* An integer on its way in or out: sign and magnitude, so that one range
   check and one formatter serve every integer width. */
typedef struct {
    int neg;
    uint64_t mag;
} IntVal;

/* Shape of an integer field in the C struct, and its proto range. */
typedef struct {
    int is_signed;
    size_t size; /* 4 or 8 bytes; 8-byte integers are JSON strings */
    int64_t min;
    uint64_t max;
} IntKind;

/* ---- context, errors, paths ---- */

static void ctx_init(Ctx *c, char *err, size_t errlen)
{
    c->err = err;
    c->errlen = errlen;
    c->path[0] = '\0';
    c->pathlen = 0;
    c->depth = 0;
    if (err && errlen)
        err[0] = '\0';
}

/* How much of the end of a path fits before msg in an errlen buffer. */
static size_t path_room(size_t pathlen, size_t msglen, size_t errlen)
{
    size_t fixed = msglen + 6; /* "..." ": " and the NUL */

    if (fixed >= errlen)
        return 0;
    return errlen - fixed < pathlen ? errlen - fixed : pathlen;
}

__attribute__((format(printf, 2, 3)))
static int fail(Ctx *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!c->err || !c->errlen)
        return -1;
    if (!c->pathlen)
        snprintf(c->err, c->errlen, "%s", msg);
    else if (c->pathlen + strlen(msg) + 3 <= c->errlen)
        snprintf(c->err, c->errlen, "%s: %s", c->path, msg);
    else /* keep the end of the path, the part nearest the problem */
        snprintf(c->err, c->errlen, "...%s: %s",
                 c->path + c->pathlen - path_room(c->pathlen, strlen(msg), c->errlen), msg);
    return -1;
}

/* Append to the path; returns the old length for path_pop. A path too long
   for the buffer is cut short, which only shortens error messages. */
__attribute__((format(printf, 2, 3)))
static size_t path_push(Ctx *c, const char *fmt, ...)
{
    size_t old = c->pathlen;
    va_list ap;

    if (old + 1 < sizeof c->path) {
        va_start(ap, fmt);
        vsnprintf(c->path + old, sizeof c->path - old, fmt, ap);
        va_end(ap);
        c->pathlen = strlen(c->path);
    }
    return old;
}

static size_t path_push_field(Ctx *c, const char *name)
{
    return path_push(c, c->pathlen ? ".%s" : "%s", name);
}

static void path_pop(Ctx *c, size_t old)
{
    c->pathlen = old;
    c->path[old] = '\0';
}

/* ---- small helpers ---- */

static const char *type_name(ProtobufCType t)
{
    static const char *const names[] = {
        "int32", "sint32", "sfixed32", "int64", "sint64", "sfixed64",
        "uint32", "fixed32", "uint64", "fixed64", "float", "double",
        "bool", "enum", "string", "bytes", "message",
    };
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "unknown type";
}

static const IntKind *int_kind(ProtobufCType t)
{
    static const IntKind s32 = {1, 4, INT32_MIN, INT32_MAX};
    static const IntKind u32 = {0, 4, 0, UINT32_MAX};
    static const IntKind s64 = {1, 8, INT64_MIN, INT64_MAX};
    static const IntKind u64 = {0, 8, 0, UINT64_MAX};

    switch (t) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_ENUM:
        return &s32;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return &u32;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return &s64;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return &u64;
    default:
        return NULL;
    }
}

/* Size of one element of a repeated field's array. */
static size_t elt_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_FLOAT:
        return sizeof(float);
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    default:
        return int_kind(t) ? int_kind(t)->size : 0;
    }
}

static int is_pointer_type(ProtobufCType t)
{
    return t == PROTOBUF_C_TYPE_STRING || t == PROTOBUF_C_TYPE_MESSAGE;
}

static char *dup_bytes(const char *s, size_t n)
{
    char *p = malloc(n + 1);

    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* The C string of a JSON string without embedded NULs, else NULL. */
static const char *plain_string(const json_t *v)
{
    const char *s = json_string_value(v);

    return s && strlen(s) == json_string_length(v) ? s : NULL;
}

/* Shortest %g text that reads back as exactly d. */
static void format_double(double d, char *buf, size_t n)
{
    snprintf(buf, n, "%.15g", d);
    if (strtod(buf, NULL) != d)
        snprintf(buf, n, "%.17g", d);
}

/* A JSON value as an error message shows it: `string "abc"`, `number 1.5`,
   `an array`. Written into buf, which is returned. */
static const char *describe(const json_t *v, char *buf, size_t n)
{
    char num[40];

    switch (json_typeof(v)) {
    case JSON_STRING:
        snprintf(buf, n, "string \"%.*s%s\"", SHOWN_MAX, json_string_value(v),
                 json_string_length(v) > SHOWN_MAX ? "..." : "");
        break;
    case JSON_INTEGER:
        snprintf(buf, n, "number %" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        format_double(json_real_value(v), num, sizeof num);
        snprintf(buf, n, "number %s", num);
        break;
    default:
        snprintf(buf, n, "%s", json_is_object(v) ? "an object" : json_is_array(v) ? "an array"
                               : json_is_true(v) ? "true" : json_is_false(v) ? "false" : "null");
        break;
    }
    return buf;
}

/* Does s follow the JSON number grammar: -?digits(.digits)?([eE][+-]?digits)? */
static int is_json_number(const char *s)
{
    size_t n;

    if (*s == '-')
        s++;
    if ((n = strspn(s, "0123456789")) == 0)
        return 0;
    s += n;
    if (*s == '.') {
        if ((n = strspn(++s, "0123456789")) == 0)
            return 0;
        s += n;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if ((n = strspn(s, "0123456789")) == 0)
            return 0;
        s += n;
    }
    return *s == '\0';
}

/* camelCase a proto name the way protoc does: drop each '_' and upper-case
   the letter after it (and the first letter when first_upper). */
static const char *camel(const char *name, int first_upper, char *buf, size_t buflen)
{
    size_t n = 0;
    int upper = first_upper;

    if (!name || !buf || buflen == 0)
        return NULL;
    for (; *name; name++) {
        if (*name == '_') {
            upper = 1;
            continue;
        }
        if (n + 1 >= buflen) {
            buf[n] = '\0';
            return NULL;
        }
        buf[n++] = upper && *name >= 'a' && *name <= 'z' ? (char)(*name - 'a' + 'A') : *name;
        upper = 0;
    }
    buf[n] = '\0';
    return buf;
}

const char *zs_json_field_name(const char *proto_name, char *buf, size_t buflen)
{
    return camel(proto_name, 0, buf, buflen);
}

static int is_map_key_type(ProtobufCType t)
{
    return t == PROTOBUF_C_TYPE_STRING || t == PROTOBUF_C_TYPE_BOOL ||
           (int_kind(t) != NULL && t != PROTOBUF_C_TYPE_ENUM);
}

/* A map field is what protoc makes of `map<K, V> foo_bar`: a repeated
   message Parent.FooBarEntry { K key = 1; V value = 2; }. */
static int is_map_field(const ProtobufCMessageDescriptor *parent, const ProtobufCFieldDescriptor *f)
{
    const ProtobufCMessageDescriptor *e = f->descriptor;
    char want[NAME_MAX_LEN];
    size_t plen;

    if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE || !e)
        return 0;
    if (e->n_fields != 2 || e->fields[0].id != 1 || e->fields[1].id != 2 ||
        strcmp(e->fields[0].name, "key") != 0 || strcmp(e->fields[1].name, "value") != 0 ||
        !is_map_key_type(e->fields[0].type))
        return 0;
    if (!camel(f->name, 1, want, sizeof want - 5))
        return 0;
    strcat(want, "Entry");
    plen = strlen(parent->name);
    return strcmp(e->short_name, want) == 0 && strncmp(e->name, parent->name, plen) == 0 &&
           e->name[plen] == '.' && strcmp(e->name + plen + 1, want) == 0;
}

static ProtobufCMessage *new_message(const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = malloc(d->sizeof_message);

    if (m)
        protobuf_c_message_init(d, m);
    return m;
}

/* ---- google.protobuf.Timestamp, as RFC 3339 text ---- */

static int is_timestamp(const ProtobufCMessageDescriptor *d)
{
    return d != NULL && strcmp(d->name, "google.protobuf.Timestamp") == 0;
}

/* The int64 seconds and int32 nanos fields of a Timestamp. */
static void timestamp_fields(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor **secs,
                             const ProtobufCFieldDescriptor **nanos)
{
    *secs = protobuf_c_message_descriptor_get_field_by_name(d, "seconds");
    *nanos = protobuf_c_message_descriptor_get_field_by_name(d, "nanos");
}

static json_t *encode_timestamp(Ctx *c, const ProtobufCMessage *m);
static int decode_timestamp(Ctx *c, const ProtobufCMessageDescriptor *d, const json_t *v,
                            ProtobufCMessage **out);

/* ---- integers (every width, and enum numbers) ---- */

static IntVal intval_signed(int64_t x)
{
    IntVal v = {x < 0, x < 0 ? (uint64_t)-(x + 1) + 1 : (uint64_t)x};
    return v;
}

static IntVal int_load(ProtobufCType t, const void *slot)
{
    const IntKind *k = int_kind(t);
    int32_t s32;
    uint32_t u32;
    int64_t s64;
    IntVal v = {0, 0};

    if (k->is_signed && k->size == 4) {
        memcpy(&s32, slot, sizeof s32);
        v = intval_signed(s32);
    } else if (k->is_signed) {
        memcpy(&s64, slot, sizeof s64);
        v = intval_signed(s64);
    } else if (k->size == 4) {
        memcpy(&u32, slot, sizeof u32);
        v.mag = u32;
    } else {
        memcpy(&v.mag, slot, sizeof v.mag);
    }
    return v;
}

/* Range-check v against type t and store it; shown is the input for errors. */
static int int_store(Ctx *c, ProtobufCType t, IntVal v, const char *shown, void *slot)
{
    const IntKind *k = int_kind(t);
    int ok = v.neg ? k->is_signed && v.mag - 1 <= (uint64_t)-(k->min + 1) : v.mag <= k->max;
    int64_t s;
    int32_t s32;
    uint32_t u32;

    if (!ok)
        return fail(c, "%s is out of range for %s", shown, type_name(t));
    if (k->is_signed) {
        s = v.neg ? -(int64_t)(v.mag - 1) - 1 : (int64_t)v.mag;
        s32 = (int32_t)s;
        memcpy(slot, k->size == 4 ? (const void *)&s32 : (const void *)&s, k->size);
    } else {
        u32 = (uint32_t)v.mag;
        memcpy(slot, k->size == 4 ? (const void *)&u32 : (const void *)&v.mag, k->size);
    }
    return 0;
}

static int int_from_double(Ctx *c, ProtobufCType t, double d, const char *shown, IntVal *out)
{
    double mag = d < 0 ? -d : d;

    if (!(mag < 18446744073709551616.0)) /* 2^64; also catches NaN */
        return fail(c, "%s is out of range for %s", shown, type_name(t));
    out->mag = (uint64_t)mag;
    if ((double)out->mag != mag)
        return fail(c, "expected an integer, got %s", shown);
    out->neg = d < 0 && out->mag != 0;
    return 0;
}

/* Decimal digits exactly, else any JSON number that is integral ("1e3"). */
static int int_from_text(Ctx *c, ProtobufCType t, const char *s, const char *shown, IntVal *out)
{
    const char *digits = s + (*s == '-');
    unsigned long long m;

    if (*digits && digits[strspn(digits, "0123456789")] == '\0') {
        errno = 0;
        m = strtoull(digits, NULL, 10);
        if (errno == ERANGE)
            return fail(c, "%s is out of range for %s", shown, type_name(t));
        out->neg = *s == '-' && m != 0;
        out->mag = m;
        return 0;
    }
    if (is_json_number(s))
        return int_from_double(c, t, strtod(s, NULL), shown, out);
    return fail(c, "expected an integer, got %s", shown);
}

static int decode_int(Ctx *c, ProtobufCType t, const json_t *v, void *slot)
{
    char shown[SHOWN_MAX + 32];
    const char *s;
    IntVal iv;

    describe(v, shown, sizeof shown);
    if (json_is_integer(v))
        iv = intval_signed(json_integer_value(v));
    else if (json_is_real(v)) {
        if (int_from_double(c, t, json_real_value(v), shown, &iv))
            return -1;
    } else if ((s = plain_string(v)) != NULL) {
        if (int_from_text(c, t, s, shown, &iv))
            return -1;
    } else
        return fail(c, "expected an integer, got %s", shown);
    return int_store(c, t, iv, shown, slot);
}

/* Decimal text of an integer slot (64-bit values and map keys). */
static const char *int_text(ProtobufCType t, const void *slot, char *buf, size_t n)
{
    IntVal v = int_load(t, slot);

    snprintf(buf, n, "%s%" PRIu64, v.neg ? "-" : "", v.mag);
    return buf;
}

static json_t *encode_int(ProtobufCType t, const void *slot)
{
    IntVal v;
    char buf[32];

    if (int_kind(t)->size == 8)
        return json_string(int_text(t, slot, buf, sizeof buf));
    v = int_load(t, slot);
    return json_integer(v.neg ? -(json_int_t)(v.mag - 1) - 1 : (json_int_t)v.mag);
}

/* ---- float and double ---- */

/* The double whose shortest decimal text names f, so 0.1f is written 0.1. */
static double float_shortest(float f)
{
    char buf[32];
    double d;
    int prec;

    for (prec = 1; prec < 9; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
        d = strtod(buf, NULL);
        if (d < FLOAT_LIMIT && d > -FLOAT_LIMIT && (float)d == f)
            return d;
    }
    return (double)f;
}

static json_t *encode_floating(ProtobufCType t, const void *slot)
{
    float f;
    double d;

    if (t == PROTOBUF_C_TYPE_FLOAT) {
        memcpy(&f, slot, sizeof f);
        d = isfinite(f) ? float_shortest(f) : (double)f;
    } else {
        memcpy(&d, slot, sizeof d);
    }
    if (isnan(d))
        return json_string("NaN");
    if (isinf(d))
        return json_string(d > 0 ? "Infinity" : "-Infinity");
    return json_real(d);
}

static int decode_floating(Ctx *c, ProtobufCType t, const json_t *v, void *slot)
{
    char shown[SHOWN_MAX + 32];
    const char *s = plain_string(v);
    double d;
    float f;

    describe(v, shown, sizeof shown);
    if (json_is_number(v))
        d = json_number_value(v);
    else if (s && strcmp(s, "NaN") == 0)
        d = NAN;
    else if (s && strcmp(s, "Infinity") == 0)
        d = INFINITY;
    else if (s && strcmp(s, "-Infinity") == 0)
        d = -INFINITY;
    else if (s && is_json_number(s)) {
        d = strtod(s, NULL);
        if (isinf(d))
            return fail(c, "%s is out of range for %s", shown, type_name(t));
    } else
        return fail(c, "expected a number, \"NaN\", \"Infinity\" or \"-Infinity\", got %s", shown);

    if (t == PROTOBUF_C_TYPE_DOUBLE) {
        memcpy(slot, &d, sizeof d);
        return 0;
    }
    if (isfinite(d) && (d >= FLOAT_LIMIT || d <= -FLOAT_LIMIT))
        return fail(c, "%s is out of range for float", shown);
    f = (float)d;
    memcpy(slot, &f, sizeof f);
    return 0;
}

/* ---- bool, enum, string, bytes ---- */

static int decode_bool(Ctx *c, const json_t *v, void *slot)
{
    char shown[SHOWN_MAX + 32];
    protobuf_c_boolean b = json_is_true(v);

    if (!json_is_boolean(v))
        return fail(c, "expected true or false, got %s", describe(v, shown, sizeof shown));
    memcpy(slot, &b, sizeof b);
    return 0;
}

static json_t *encode_enum(const ProtobufCEnumDescriptor *ed, const void *slot)
{
    int32_t x;
    const ProtobufCEnumValue *ev;

    memcpy(&x, slot, sizeof x);
    ev = protobuf_c_enum_descriptor_get_value(ed, x);
    return ev ? json_string(ev->name) : json_integer(x);
}

/* By value name, else by number (proto3 enums are open: any int32). */
static int decode_enum(Ctx *c, const ProtobufCEnumDescriptor *ed, const json_t *v, void *slot)
{
    char shown[SHOWN_MAX + 32];
    const char *s = plain_string(v);
    const ProtobufCEnumValue *ev;
    int32_t x;

    if (s) {
        ev = protobuf_c_enum_descriptor_get_value_by_name(ed, s);
        if (ev) {
            x = ev->value;
            memcpy(slot, &x, sizeof x);
            return 0;
        }
        if (!is_json_number(s))
            return fail(c, "unknown value \"%.*s\" for enum %s", SHOWN_MAX, s, ed->name);
    } else if (!json_is_number(v)) {
        return fail(c, "expected a name or number of enum %s, got %s", ed->name,
                    describe(v, shown, sizeof shown));
    }
    return decode_int(c, PROTOBUF_C_TYPE_ENUM, v, slot);
}

static int decode_string(Ctx *c, const json_t *v, void *slot)
{
    char shown[SHOWN_MAX + 32];
    char *copy;

    if (!json_is_string(v))
        return fail(c, "expected a string, got %s", describe(v, shown, sizeof shown));
    if (!plain_string(v))
        return fail(c, "string contains a NUL character");
    if (!(copy = dup_bytes(json_string_value(v), json_string_length(v))))
        return fail(c, "out of memory");
    *(char **)slot = copy;
    return 0;
}

static json_t *encode_string(Ctx *c, const void *slot)
{
    const char *s = *(const char *const *)slot;
    json_t *v = json_string(s ? s : "");

    if (!v)
        fail(c, "string is not valid UTF-8");
    return v;
}

/* Standard or URL-safe alphabet, padded or not. */
static int decode_bytes(Ctx *c, const json_t *v, void *slot)
{
    char shown[SHOWN_MAX + 32];
    const char *s = json_string_value(v);
    size_t len = json_string_length(v), maxlen, binlen = 0;
    int variant;
    ProtobufCBinaryData b = {0, NULL};

    if (!s)
        return fail(c, "expected a base64 string, got %s", describe(v, shown, sizeof shown));
    while (len > 0 && s[len - 1] == '=' && json_string_length(v) - len < 2)
        len--;
    variant = memchr(s, '-', len) || memchr(s, '_', len) ? sodium_base64_VARIANT_URLSAFE_NO_PADDING
                                                         : sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
    maxlen = len / 4 * 3 + 3;
    if (!(b.data = malloc(maxlen)))
        return fail(c, "out of memory");
    if (sodium_base642bin(b.data, maxlen, s, len, NULL, &binlen, NULL, variant) != 0) {
        free(b.data);
        return fail(c, "invalid base64 in %s", describe(v, shown, sizeof shown));
    }
    b.len = binlen;
    if (binlen == 0) {
        free(b.data);
        b.data = NULL;
    }
    memcpy(slot, &b, sizeof b);
    return 0;
}

static json_t *encode_bytes(Ctx *c, const void *slot)
{
    ProtobufCBinaryData b;
    size_t n;
    char *text;
    json_t *v;

    memcpy(&b, slot, sizeof b);
    n = sodium_base64_ENCODED_LEN(b.len, sodium_base64_VARIANT_ORIGINAL);
    if (!(text = malloc(n))) {
        fail(c, "out of memory");
        return NULL;
    }
    sodium_bin2base64(text, n, b.len ? b.data : (const unsigned char *)"", b.len,
                      sodium_base64_VARIANT_ORIGINAL);
    v = json_string(text);
    free(text);
    if (!v)
        fail(c, "out of memory");
    return v;
}

/* ---- encoding messages ---- */

static json_t *encode_message(Ctx *c, const ProtobufCMessage *m);

/* Presence, as protobuf_c_message_pack decides it (see the top comment). */
static int field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const void *member = CMEMBER(m, f->offset);
    const void *ptr = is_pointer_type(f->type) ? *(const void *const *)member : NULL;
    int ptr_set = ptr != NULL && ptr != f->default_value;
    uint32_t which;
    protobuf_c_boolean has;
    size_t n;
    const unsigned char *bytes = member;

    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        memcpy(&n, CMEMBER(m, f->quantifier_offset), sizeof n);
        return n > 0;
    }
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        memcpy(&which, CMEMBER(m, f->quantifier_offset), sizeof which);
        return which == f->id && (!is_pointer_type(f->type) || ptr_set);
    }
    if (f->label == PROTOBUF_C_LABEL_REQUIRED)
        return 1;
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
        if (is_pointer_type(f->type))
            return ptr_set;
        memcpy(&has, CMEMBER(m, f->quantifier_offset), sizeof has);
        return has;
    }
    switch (f->type) { /* PROTOBUF_C_LABEL_NONE: present unless default */
    case PROTOBUF_C_TYPE_MESSAGE:
        return ptr != NULL;
    case PROTOBUF_C_TYPE_STRING:
        return ptr != NULL && *(const char *)ptr != '\0';
    case PROTOBUF_C_TYPE_BYTES:
        return ((const ProtobufCBinaryData *)member)->len > 0;
    case PROTOBUF_C_TYPE_FLOAT:
        return *(const float *)member != 0;
    case PROTOBUF_C_TYPE_DOUBLE:
        return *(const double *)member != 0;
    default:
        for (n = 0; n < elt_size(f->type); n++)
            if (bytes[n])
                return 1;
        return 0;
    }
}

static json_t *encode_value(Ctx *c, const ProtobufCFieldDescriptor *f, const void *slot)
{
    json_t *v;
    const ProtobufCMessage *sub;

    switch (f->type) {
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE:
        v = encode_floating(f->type, slot);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        v = json_boolean(*(const protobuf_c_boolean *)slot);
        break;
    case PROTOBUF_C_TYPE_ENUM:
        v = encode_enum(f->descriptor, slot);
        break;
    case PROTOBUF_C_TYPE_STRING:
        return encode_string(c, slot);
    case PROTOBUF_C_TYPE_BYTES:
        return encode_bytes(c, slot);
    case PROTOBUF_C_TYPE_MESSAGE:
        sub = *(const ProtobufCMessage *const *)slot;
        if (sub && is_timestamp(sub->descriptor))
            return encode_timestamp(c, sub);
        if (sub)
            return encode_message(c, sub);
        v = json_object(); /* a map value that was never set */
        break;
    default:
        if (!int_kind(f->type)) {
            fail(c, "unsupported field type %d", (int)f->type);
            return NULL;
        }
        v = encode_int(f->type, slot);
        break;
    }
    if (!v)
        fail(c, "out of memory");
    return v;
}

static json_t *encode_array(Ctx *c, const ProtobufCFieldDescriptor *f, const char *arr, size_t n)
{
    json_t *a = json_array(), *v;
    size_t i, old, sz = elt_size(f->type);

    if (!a) {
        fail(c, "out of memory");
        return NULL;
    }
    for (i = 0; i < n; i++) {
        old = path_push(c, "[%zu]", i);
        v = encode_value(c, f, arr + i * sz);
        if (v && json_array_append_new(a, v) != 0) {
            fail(c, "out of memory");
            v = NULL;
        }
        path_pop(c, old);
        if (!v) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* A map key as JSON object key text. */
static const char *map_key_text(const ProtobufCFieldDescriptor *kf, const void *slot, char *buf, size_t n)
{
    const char *s;

    switch (kf->type) {
    case PROTOBUF_C_TYPE_STRING:
        s = *(const char *const *)slot;
        return s ? s : "";
    case PROTOBUF_C_TYPE_BOOL:
        return *(const protobuf_c_boolean *)slot ? "true" : "false";
    default:
        return int_text(kf->type, slot, buf, n);
    }
}

static json_t *encode_map(Ctx *c, const ProtobufCFieldDescriptor *f, const char *arr, size_t n)
{
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    const ProtobufCFieldDescriptor *kf = &ed->fields[0], *vf = &ed->fields[1];
    const ProtobufCMessage *const *entries = (const ProtobufCMessage *const *)arr;
    json_t *o = json_object(), *v;
    char buf[32];
    const char *key;
    size_t i, old;

    if (!o) {
        fail(c, "out of memory");
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (!entries[i])
            continue;
        key = map_key_text(kf, CMEMBER(entries[i], kf->offset), buf, sizeof buf);
        old = path_push(c, "[\"%.*s\"]", SHOWN_MAX, key);
        v = encode_value(c, vf, CMEMBER(entries[i], vf->offset));
        if (v && json_object_set_new(o, key, v) != 0) {
            fail(c, "map key is not valid UTF-8");
            v = NULL;
        }
        path_pop(c, old);
        if (!v) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static json_t *encode_field(Ctx *c, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const void *member = CMEMBER(m, f->offset);
    const char *arr;
    size_t n;

    if (f->label != PROTOBUF_C_LABEL_REPEATED)
        return encode_value(c, f, member);
    memcpy(&n, CMEMBER(m, f->quantifier_offset), sizeof n);
    arr = *(const char *const *)member;
    return is_map_field(m->descriptor, f) ? encode_map(c, f, arr, n) : encode_array(c, f, arr, n);
}

static json_t *encode_message(Ctx *c, const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    json_t *obj = json_object(), *v;
    char name[NAME_MAX_LEN];
    unsigned i;
    size_t old;

    if (!obj) {
        fail(c, "out of memory");
        return NULL;
    }
    for (i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];

        if (!field_present(m, f))
            continue;
        if (!zs_json_field_name(f->name, name, sizeof name)) {
            fail(c, "field name %.*s... is too long", SHOWN_MAX, f->name);
            json_decref(obj);
            return NULL;
        }
        old = path_push_field(c, name);
        v = encode_field(c, m, f);
        if (v && json_object_set_new(obj, name, v) != 0) {
            fail(c, "out of memory");
            v = NULL;
        }
        path_pop(c, old);
        if (!v) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

int zs_json_encode(const ProtobufCMessage *msg, json_t **out, char *err, size_t errlen)
{
    Ctx c;
    json_t *v;

    ctx_init(&c, err, errlen);
    if (out)
        *out = NULL;
    if (!out || !msg || !msg->descriptor ||
        msg->descriptor->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
        return fail(&c, "zs_json_encode: need a protobuf-c message and an output pointer");
    if (!(v = encode_message(&c, msg)))
        return -1;
    *out = v;
    return 0;
}

/* "2026-01-01T00:00:00Z"; a time outside years 1 to 9999 cannot be written. */
static json_t *encode_timestamp(Ctx *c, const ProtobufCMessage *m)
{
    const ProtobufCFieldDescriptor *fs, *fn;
    char buf[ZS_TIME_TEXT_MAX];
    json_t *v;

    timestamp_fields(m->descriptor, &fs, &fn);
    if (!fs || !fn || fs->type != PROTOBUF_C_TYPE_INT64 || fn->type != PROTOBUF_C_TYPE_INT32) {
        fail(c, "%s is not a google.protobuf.Timestamp", m->descriptor->name);
        return NULL;
    }
    int64_t secs = *(const int64_t *)CMEMBER(m, fs->offset);
    int32_t nanos = *(const int32_t *)CMEMBER(m, fn->offset);
    if (zs_time_format(secs, nanos, buf, sizeof buf) == 0) {
        fail(c, "time %" PRId64 "s %" PRId32 "ns is outside years 1 to 9999", secs, nanos);
        return NULL;
    }
    v = json_string(buf);
    if (!v)
        fail(c, "out of memory");
    return v;
}

static int decode_timestamp(Ctx *c, const ProtobufCMessageDescriptor *d, const json_t *v,
                            ProtobufCMessage **out)
{
    const ProtobufCFieldDescriptor *fs, *fn;
    const char *text = json_is_string(v) ? plain_string(v) : NULL;
    char shown[SHOWN_MAX + 32];
    int64_t secs;
    int32_t nanos;
    ProtobufCMessage *m;

    timestamp_fields(d, &fs, &fn);
    if (!fs || !fn)
        return fail(c, "%s is not a google.protobuf.Timestamp", d->name);
    if (!text || zs_time_parse(text, &secs, &nanos) != 0)
        return fail(c, "expected an RFC 3339 time (\"2026-01-01T00:00:00Z\"), got %s",
                    describe(v, shown, sizeof shown));
    m = new_message(d);
    if (!m)
        return fail(c, "out of memory");
    *(int64_t *)MEMBER(m, fs->offset) = secs;
    *(int32_t *)MEMBER(m, fn->offset) = nanos;
    *out = m;
    return 0;
}

/* ---- decoding messages ---- */

static int decode_message(Ctx *c, const ProtobufCMessageDescriptor *d, const json_t *v,
                          ProtobufCMessage *m);

/* A new message of type d from v; on error nothing is left allocated. */
static int decode_new_message(Ctx *c, const ProtobufCMessageDescriptor *d, const json_t *v,
                              ProtobufCMessage **out)
{
    ProtobufCMessage *m = new_message(d);

    if (!m)
        return fail(c, "out of memory");
    if (decode_message(c, d, v, m) != 0) {
        protobuf_c_message_free_unpacked(m, NULL);
        return -1;
    }
    *out = m;
    return 0;
}

/* One value into slot; slot is written only on success. */
static int decode_value(Ctx *c, const ProtobufCFieldDescriptor *f, const json_t *v, void *slot)
{
    ProtobufCMessage *sub = NULL;

    switch (f->type) {
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE:
        return decode_floating(c, f->type, v, slot);
    case PROTOBUF_C_TYPE_BOOL:
        return decode_bool(c, v, slot);
    case PROTOBUF_C_TYPE_ENUM:
        return decode_enum(c, f->descriptor, v, slot);
    case PROTOBUF_C_TYPE_STRING:
        return decode_string(c, v, slot);
    case PROTOBUF_C_TYPE_BYTES:
        return decode_bytes(c, v, slot);
    case PROTOBUF_C_TYPE_MESSAGE:
        if (is_timestamp(f->descriptor)) {
            if (decode_timestamp(c, f->descriptor, v, &sub) != 0)
                return -1;
        } else if (decode_new_message(c, f->descriptor, v, &sub) != 0) {
            return -1;
        }
        *(ProtobufCMessage **)slot = sub;
        return 0;
    default:
        if (!int_kind(f->type))
            return fail(c, "unsupported field type %d", (int)f->type);
        return decode_int(c, f->type, v, slot);
    }
}

/* Record that f now holds a value: the oneof case or the has_xxx flag. */
static void mark_present(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    uint32_t id = f->id;
    protobuf_c_boolean yes = 1;

    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        memcpy(MEMBER(m, f->quantifier_offset), &id, sizeof id);
    else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && !is_pointer_type(f->type))
        memcpy(MEMBER(m, f->quantifier_offset), &yes, sizeof yes);
}

static int decode_singular(Ctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                           const json_t *v)
{
    if (decode_value(c, f, v, MEMBER(m, f->offset)) != 0)
        return -1;
    mark_present(m, f);
    return 0;
}

static int decode_array(Ctx *c, const ProtobufCFieldDescriptor *f, const json_t *v,
                        void *member, size_t *count)
{
    char shown[SHOWN_MAX + 32];
    size_t i, old, n, sz = elt_size(f->type);
    char *arr;
    int rc;

    if (!json_is_array(v))
        return fail(c, "expected an array, got %s", describe(v, shown, sizeof shown));
    if ((n = json_array_size(v)) == 0)
        return 0;
    if (!(arr = calloc(n, sz)))
        return fail(c, "out of memory");
    *(void **)member = arr;
    for (i = 0; i < n; i++) {
        old = path_push(c, "[%zu]", i);
        rc = decode_value(c, f, json_array_get(v, i), arr + i * sz);
        path_pop(c, old);
        if (rc != 0)
            return -1;
        (*count)++;
    }
    return 0;
}

static int decode_map_key(Ctx *c, ProtobufCMessage *e, const ProtobufCFieldDescriptor *kf,
                          const char *key)
{
    void *slot = MEMBER(e, kf->offset);
    char shown[SHOWN_MAX + 32];
    protobuf_c_boolean b;
    char *copy;
    IntVal iv;

    switch (kf->type) {
    case PROTOBUF_C_TYPE_STRING:
        if (!(copy = dup_bytes(key, strlen(key))))
            return fail(c, "out of memory");
        *(char **)slot = copy;
        break;
    case PROTOBUF_C_TYPE_BOOL:
        if (strcmp(key, "true") != 0 && strcmp(key, "false") != 0)
            return fail(c, "expected map key true or false, got \"%.*s\"", SHOWN_MAX, key);
        b = key[0] == 't';
        memcpy(slot, &b, sizeof b);
        break;
    default:
        snprintf(shown, sizeof shown, "map key \"%.*s\"", SHOWN_MAX, key);
        if (int_from_text(c, kf->type, key, shown, &iv) != 0 ||
            int_store(c, kf->type, iv, shown, slot) != 0)
            return -1;
        break;
    }
    mark_present(e, kf);
    return 0;
}

static int decode_map(Ctx *c, const ProtobufCFieldDescriptor *f, const json_t *v,
                      void *member, size_t *count)
{
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    json_t *obj = (json_t *)v; /* jansson's iteration API takes non-const */
    char shown[SHOWN_MAX + 32];
    ProtobufCMessage **arr, *e;
    const char *key;
    json_t *val;
    size_t n, old;
    int rc;

    if (!json_is_object(v))
        return fail(c, "expected an object (map), got %s", describe(v, shown, sizeof shown));
    if ((n = json_object_size(v)) == 0)
        return 0;
    if (!(arr = calloc(n, sizeof *arr)))
        return fail(c, "out of memory");
    *(void **)member = arr;
    json_object_foreach(obj, key, val) {
        old = path_push(c, "[\"%.*s\"]", SHOWN_MAX, key);
        if (!(e = new_message(ed))) {
            rc = fail(c, "out of memory");
        } else {
            arr[(*count)++] = e;
            rc = decode_map_key(c, e, &ed->fields[0], key);
            if (rc == 0)
                rc = decode_singular(c, e, &ed->fields[1], val);
        }
        path_pop(c, old);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int decode_field(Ctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                        const json_t *v)
{
    const ProtobufCFieldDescriptor *other;
    char name[NAME_MAX_LEN];
    uint32_t which;

    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t *count = MEMBER(m, f->quantifier_offset);
        void *member = MEMBER(m, f->offset);

        return is_map_field(m->descriptor, f) ? decode_map(c, f, v, member, count)
                                              : decode_array(c, f, v, member, count);
    }
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        memcpy(&which, MEMBER(m, f->quantifier_offset), sizeof which);
        if (which != 0) {
            other = protobuf_c_message_descriptor_get_field(m->descriptor, which);
            return fail(c, "only one field of a oneof may be set, and \"%s\" is already set",
                        other && zs_json_field_name(other->name, name, sizeof name) ? name : "?");
        }
    }
    return decode_singular(c, m, f, v);
}

/* By proto name, else by lowerCamelCase JSON name. */
static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *d, const char *key)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, key);
    char name[NAME_MAX_LEN];
    unsigned i;

    for (i = 0; !f && i < d->n_fields; i++)
        if (zs_json_field_name(d->fields[i].name, name, sizeof name) && strcmp(name, key) == 0)
            f = &d->fields[i];
    return f;
}

/* One "key": value pair of an object; seen[i] is the key that set field i. */
static int decode_member(Ctx *c, ProtobufCMessage *m, const char **seen, const char *key,
                         const json_t *v)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const ProtobufCFieldDescriptor *f = find_field(d, key);
    size_t i, old;
    int rc;

    if (!f)
        return fail(c, "unknown field \"%.*s\" in %s", SHOWN_MAX, key, d->name);
    i = (size_t)(f - d->fields);
    if (seen[i])
        return fail(c, "field \"%s\" is given twice (as \"%s\" and \"%s\")", f->name, seen[i], key);
    seen[i] = key;
    if (json_is_null(v))
        return 0; /* null means default / absent */
    old = path_push_field(c, key);
    rc = decode_field(c, m, f, v);
    path_pop(c, old);
    return rc;
}

static int decode_message(Ctx *c, const ProtobufCMessageDescriptor *d, const json_t *v,
                          ProtobufCMessage *m)
{
    json_t *obj = (json_t *)v; /* jansson's iteration API takes non-const */
    char shown[SHOWN_MAX + 32];
    const char **seen, *key;
    json_t *val;
    int rc = 0;

    if (!json_is_object(v))
        return fail(c, "expected an object for %s, got %s", d->name, describe(v, shown, sizeof shown));
    if (c->depth >= ZS_JSON_MAX_DEPTH)
        return fail(c, "messages nested more than %d deep", ZS_JSON_MAX_DEPTH);
    if (!(seen = calloc(d->n_fields ? d->n_fields : 1, sizeof *seen)))
        return fail(c, "out of memory");
    c->depth++;
    json_object_foreach(obj, key, val) {
        if ((rc = decode_member(c, m, seen, key, val)) != 0)
            break;
    }
    c->depth--;
    free(seen);
    return rc;
}

int zs_json_decode(const ProtobufCMessageDescriptor *desc, const json_t *in,
                   ProtobufCMessage **out, char *err, size_t errlen)
{
    Ctx c;

    ctx_init(&c, err, errlen);
    if (out)
        *out = NULL;
    if (!out || !in || !desc || desc->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
        return fail(&c, "zs_json_decode: need a message descriptor, a JSON value and an output pointer");
    return decode_new_message(&c, desc, in, out);
}
