/*
 * zs-gen: reads the FileDescriptorSet that protoc writes with --descriptor_set_out
 * and writes, for every service in it, what protoc-c does not make:
 *   <base>.zsc.h/.c  typed client calls (sync and async) over libzsclient
 *   <base>.zsb.h/.c  typed in-process bus calls for services inside the node
 *   <base>.zsd.c     the comments of every message's fields (leading and trailing `//`,
 *                    from the set's source info: protoc --include_source_info), one
 *                    table per message, zs_comments_<full name, '.' as '_'>: pairs of
 *                    field name and comment, ending with NULL; reflection finds it next
 *                    to the message's descriptor (server/src/rpc/zs_reflection_doc.c)
 * Names follow protoc-c's mangling so the stubs use its message types directly.
 *
 * usage: zs-gen DESCRIPTOR_SET OUT_DIR
 */
#include <errno.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descriptor_subset.pb-c.h"

typedef Zsgen__FileDescriptorProto gen_file;
typedef Zsgen__ServiceDescriptorProto gen_service;
typedef Zsgen__MethodDescriptorProto gen_method;
typedef Zsgen__DescriptorProto gen_message;
typedef Zsgen__SourceCodeInfo__Location gen_location;

/* Field numbers of descriptor.proto that make source info paths. */
#define GEN_PATH_MESSAGE_TYPE 4     /* FileDescriptorProto.message_type */
#define GEN_PATH_FIELD 2            /* DescriptorProto.field */
#define GEN_PATH_NESTED_TYPE 3      /* DescriptorProto.nested_type */
#define GEN_PATH_ONEOF 8            /* DescriptorProto.oneof_decl */
#define GEN_PATH_MAX 32

/* "foo_bar" -> "FooBar": protoc-c's ToCamel, used for each piece of a C type name. */
static void
gen_to_camel(const char *in, size_t n, FILE *out)
{
	int up = 1;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == '_') {
			up = 1;
			continue;
		}
		fputc(up ? toupper((unsigned char) in[i]) : in[i], out);
		up = 0;
	}
}

/* "SayRequest" -> "say_request": protoc-c's CamelToLower. */
static void
gen_camel_to_lower(const char *in, size_t n, FILE *out)
{
	int was_upper = 1;
	for (size_t i = 0; i < n; i++) {
		int is_upper = isupper((unsigned char) in[i]);
		if (is_upper && !was_upper)
			fputc('_', out);
		fputc(is_upper ? tolower((unsigned char) in[i]) : in[i], out);
		was_upper = is_upper;
	}
}

/* Writes a dotted full name piece by piece with the given mangler and separator. */
static void
gen_full_name(const char *full, void (*mangle)(const char *, size_t, FILE *),
    const char *sep, FILE *out)
{
	int first = 1;
	while (*full) {
		const char *dot = strchr(full, '.');
		size_t n = dot ? (size_t) (dot - full) : strlen(full);
		if (n > 0) {
			if (!first)
				fputs(sep, out);
			mangle(full, n, out);
			first = 0;
		}
		full += n + (dot ? 1 : 0);
	}
}

/* C type of a message, e.g. ".zs.echo.v1.SayRequest" -> "Zs__Echo__V1__SayRequest". */
static void
gen_c_type(const char *full, FILE *out)
{
	gen_full_name(full, gen_to_camel, "__", out);
}

/* Descriptor symbol, e.g. "zs__echo__v1__say_request__descriptor". */
static void
gen_c_descriptor(const char *full, FILE *out)
{
	gen_full_name(full, gen_camel_to_lower, "__", out);
	fputs("__descriptor", out);
}

/* Stub name prefix for a method: "zs_echo_v1_echo_say". */
static void
gen_stub_name(const gen_file *f, const gen_service *s, const gen_method *m, FILE *out)
{
	if (f->package != NULL && f->package[0] != '\0') {
		for (const char *p = f->package; *p; p++)
			fputc(*p == '.' ? '_' : *p, out);
		fputc('_', out);
	}
	gen_camel_to_lower(s->name, strlen(s->name), out);
	fputc('_', out);
	gen_camel_to_lower(m->name, strlen(m->name), out);
}

static void
gen_method_name(const gen_file *f, const gen_service *s, const gen_method *m, FILE *out)
{
	if (f->package != NULL && f->package[0] != '\0')
		fprintf(out, "%s.", f->package);
	fprintf(out, "%s/%s", s->name, m->name);
}

/* Header guard from a path: "zs/echo/v1/echo.zsc.h" -> "ZS_ECHO_V1_ECHO_ZSC_H". */
static void
gen_guard(const char *path, FILE *out)
{
	for (const char *p = path; *p; p++)
		fputc(isalnum((unsigned char) *p) ? toupper((unsigned char) *p) : '_', out);
}

/* The kind of stubs a pair of files holds. */
typedef struct gen_kind {
	const char *ext;      /* "zsc" or "zsb" */
	const char *what;     /* comment text */
	const char *runtime;  /* runtime header */
	const char *first;    /* first parameters of every call */
	const char *pass;     /* how the first parameters are passed on */
	const char *call;     /* generic runtime call */
	const char *reply_const; /* "const " where the reply is borrowed */
} gen_kind;

static const gen_kind gen_kinds[] = {
	{ "zsc", "typed client calls over libzsclient", "zs/client.h",
	    "zs_client *client", "client", "zs_client_call_async", "" },
	{ "zsb", "typed in-process bus calls for services", "zs/bus.h",
	    "zs_bus *bus, const zs_call *parent", "bus, parent", "zs_bus_call", "const " },
};

static void
gen_cb_type(const gen_kind *k, const gen_file *f, const gen_service *s,
    const gen_method *m, FILE *out)
{
	gen_stub_name(f, s, m, out);
	fprintf(out, "_%s_cb", k->ext);
}

static void
gen_header(const gen_kind *k, const gen_file *f, const char *base, const char *path, FILE *out)
{
	fprintf(out, "/* Generated by zs-gen from %s: %s. Do not edit. */\n", f->name, k->what);
	fputs("#ifndef ", out);
	gen_guard(path, out);
	fputs("\n#define ", out);
	gen_guard(path, out);
	fprintf(out, "\n\n#include <%s>\n#include \"%s.pb-c.h\"\n\n", k->runtime, base);
	fputs("#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n", out);
	for (size_t i = 0; i < f->n_service; i++) {
		const gen_service *s = f->service[i];
		for (size_t j = 0; j < s->n_method; j++) {
			const gen_method *m = s->method[j];
			fputs("/* ", out);
			gen_method_name(f, s, m, out);
			fputs(" */\ntypedef void (*", out);
			gen_cb_type(k, f, s, m, out);
			fprintf(out, ")(int code, const zs_status *status, %s", k->reply_const);
			gen_c_type(m->output_type, out);
			fputs(" *reply, void *arg);\n", out);
			if (k->ext[2] == 'c') {
				/* synchronous call, client only */
				fputs("int ", out);
				gen_stub_name(f, s, m, out);
				fputs("(zs_client *client, const ", out);
				gen_c_type(m->input_type, out);
				fputs(" *request,\n    ", out);
				gen_c_type(m->output_type, out);
				fputs(" **reply, zs_status **status, const zs_call_opts *opts);\n", out);
				fputs("int ", out);
				gen_stub_name(f, s, m, out);
				fputs("_async(zs_client *client, const ", out);
				gen_c_type(m->input_type, out);
				fputs(" *request,\n    ", out);
				gen_cb_type(k, f, s, m, out);
				fputs(" cb, void *arg, const zs_call_opts *opts);\n", out);
				/* as a job: start it, then wait for its result */
				fputs("int ", out);
				gen_stub_name(f, s, m, out);
				fputs("_job(zs_client *client, const ", out);
				gen_c_type(m->input_type, out);
				fputs(" *request,\n    char *job_uuid, zs_status **status, const zs_call_opts *opts);\n", out);
				fputs("int ", out);
				gen_stub_name(f, s, m, out);
				fputs("_wait(zs_client *client, const char *job_uuid,\n    ", out);
				gen_c_type(m->output_type, out);
				fputs(" **reply, zs_status **status, zs_job_progress_fn progress, void *arg,\n"
				    "    const zs_call_opts *opts);\n\n", out);
			} else {
				fputs("int ", out);
				gen_stub_name(f, s, m, out);
				fputs("_bus(zs_bus *bus, const zs_call *parent, const ", out);
				gen_c_type(m->input_type, out);
				fputs(" *request,\n    ", out);
				gen_cb_type(k, f, s, m, out);
				fputs(" cb, void *arg);\n\n", out);
			}
		}
	}
	fputs("#ifdef __cplusplus\n}\n#endif\n\n#endif\n", out);
}

static void
gen_source(const gen_kind *k, const gen_file *f, const char *base, FILE *out)
{
	fprintf(out, "/* Generated by zs-gen from %s: %s. Do not edit. */\n", f->name, k->what);
	fprintf(out, "#include \"%s.%s.h\"\n\n", base, k->ext);
	for (size_t i = 0; i < f->n_service; i++) {
		const gen_service *s = f->service[i];
		for (size_t j = 0; j < s->n_method; j++) {
			const gen_method *m = s->method[j];
			/* trampoline: restores the typed callback before calling it */
			fputs("static void\n", out);
			gen_stub_name(f, s, m, out);
			fprintf(out, "_%s_tramp(int code, const zs_status *status, %sProtobufCMessage *reply,\n"
			    "    void (*fn)(void), void *arg)\n{\n\t((", k->ext, k->reply_const);
			gen_cb_type(k, f, s, m, out);
			fprintf(out, ") fn)(code, status, (%s", k->reply_const);
			gen_c_type(m->output_type, out);
			fputs(" *) reply, arg);\n}\n\n", out);

			if (k->ext[2] == 'c') {
				fputs("int\n", out);
				gen_stub_name(f, s, m, out);
				fputs("(zs_client *client, const ", out);
				gen_c_type(m->input_type, out);
				fputs(" *request,\n    ", out);
				gen_c_type(m->output_type, out);
				fputs(" **reply, zs_status **status, const zs_call_opts *opts)\n{\n", out);
				fputs("\treturn zs_client_call(client, \"", out);
				gen_method_name(f, s, m, out);
				fputs("\", &request->base,\n\t    &", out);
				gen_c_descriptor(m->output_type, out);
				fputs(", (ProtobufCMessage **) reply, status, opts);\n}\n\n", out);

				fputs("int\n", out);
				gen_stub_name(f, s, m, out);
				fputs("_job(zs_client *client, const ", out);
				gen_c_type(m->input_type, out);
				fputs(" *request,\n    char *job_uuid, zs_status **status, const zs_call_opts *opts)\n{\n", out);
				fputs("\treturn zs_client_start_job(client, \"", out);
				gen_method_name(f, s, m, out);
				fputs("\", &request->base, job_uuid, status, opts);\n}\n\n", out);

				fputs("int\n", out);
				gen_stub_name(f, s, m, out);
				fputs("_wait(zs_client *client, const char *job_uuid,\n    ", out);
				gen_c_type(m->output_type, out);
				fputs(" **reply, zs_status **status, zs_job_progress_fn progress, void *arg,\n"
				    "    const zs_call_opts *opts)\n{\n\treturn zs_client_wait_job(client, job_uuid, &", out);
				gen_c_descriptor(m->output_type, out);
				fputs(",\n\t    (ProtobufCMessage **) reply, status, progress, arg, opts);\n}\n\n", out);
			}

			fputs("int\n", out);
			gen_stub_name(f, s, m, out);
			fprintf(out, "%s(%s, const ", k->ext[2] == 'c' ? "_async" : "_bus", k->first);
			gen_c_type(m->input_type, out);
			fputs(" *request,\n    ", out);
			gen_cb_type(k, f, s, m, out);
			fprintf(out, " cb, void *arg%s)\n{\n", k->ext[2] == 'c' ? ", const zs_call_opts *opts" : "");
			fprintf(out, "\treturn %s(%s, \"", k->call, k->pass);
			gen_method_name(f, s, m, out);
			fputs("\", &request->base,\n\t    &", out);
			gen_c_descriptor(m->output_type, out);
			fputs(", ", out);
			gen_stub_name(f, s, m, out);
			fprintf(out, "_%s_tramp, (void (*)(void)) cb, arg%s);\n}\n\n", k->ext,
			    k->ext[2] == 'c' ? ", opts" : "");
		}
	}
}

/* ---- <base>.zsd.c: field comments ---- */

/* The location of path[0..n) in f's source info, or NULL. */
static const gen_location *
gen_location_of(const gen_file *f, const int32_t *path, size_t n)
{
	const Zsgen__SourceCodeInfo *sci = f->source_code_info;
	for (size_t i = 0; sci != NULL && i < sci->n_location; i++) {
		const gen_location *l = sci->location[i];
		if (l->n_path == n && memcmp(l->path, path, n * sizeof *path) == 0)
			return l;
	}
	return NULL;
}

/* Appends text (a comment: lines, each with its leading blank) to the C string being
 * written: lines trimmed and joined by one space, quotes, backslashes and '?' escaped
 * (no trigraphs), control characters dropped. *any: something was written already. */
static void
gen_comment_text(const char *text, bool *any, FILE *out)
{
	while (text != NULL && *text != '\0') {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t) (nl - text) : strlen(text);
		size_t a = 0, b = n;
		while (a < b && isspace((unsigned char) text[a]))
			a++;
		while (b > a && isspace((unsigned char) text[b - 1]))
			b--;
		if (b > a) {
			if (*any)
				fputc(' ', out);
			for (size_t i = a; i < b; i++) {
				unsigned char c = (unsigned char) text[i];
				if (c == '"' || c == '\\' || c == '?')
					fprintf(out, "\\%c", c);
				else if (c >= 0x20 && c != 0x7f)
					fputc(c, out);
			}
			*any = true;
		}
		text += n + (nl ? 1 : 0);
	}
}

/* One message's table (and its nested messages'), when some field has a comment. */
static void
gen_docs_message(const gen_file *f, const gen_message *m, const char *scope, int32_t *path,
    size_t depth, FILE *out)
{
	char full[1024];
	snprintf(full, sizeof full, "%s%s%s", scope, scope[0] ? "." : "", m->name);
	bool open = false;
	for (size_t k = 0; k < m->n_field && depth + 2 <= GEN_PATH_MAX; k++) {
		path[depth] = GEN_PATH_FIELD;
		path[depth + 1] = (int32_t) k;
		const gen_location *l = gen_location_of(f, path, depth + 2);
		if ((l == NULL || (l->leading_comments == NULL && l->trailing_comments == NULL)) &&
		    m->field[k]->has_oneof_index) {
			/* a proto3 optional written as `oneof _x { T x = N; }`: the oneof's comment */
			path[depth] = GEN_PATH_ONEOF;
			path[depth + 1] = m->field[k]->oneof_index;
			l = gen_location_of(f, path, depth + 2);
		}
		if (l == NULL || (l->leading_comments == NULL && l->trailing_comments == NULL))
			continue;
		if (!open) {
			fprintf(out, "/* %s */\nZSD_EXPORT extern const char *const zs_comments_", full);
			for (const char *p = full; *p; p++)
				fputc(*p == '.' ? '_' : *p, out);
			fputs("[];\nconst char *const zs_comments_", out);
			for (const char *p = full; *p; p++)
				fputc(*p == '.' ? '_' : *p, out);
			fputs("[] = {\n", out);
			open = true;
		}
		bool any = false;
		fprintf(out, "\t\"%s\", \"", m->field[k]->name);
		gen_comment_text(l->leading_comments, &any, out);
		gen_comment_text(l->trailing_comments, &any, out);
		fputs("\",\n", out);
	}
	if (open)
		fputs("\tNULL,\n};\n\n", out);
	for (size_t j = 0; j < m->n_nested_type && depth + 2 <= GEN_PATH_MAX; j++) {
		path[depth] = GEN_PATH_NESTED_TYPE;
		path[depth + 1] = (int32_t) j;
		gen_docs_message(f, m->nested_type[j], full, path, depth + 2, out);
	}
}

static void
gen_docs(const gen_file *f, FILE *out)
{
	fprintf(out, "/* Generated by zs-gen from %s: the comments of its messages' fields, which "
	    "reflection\n * answers. Do not edit. */\n#include <stddef.h>\n\n"
	    "#define ZSD_EXPORT __attribute__((visibility(\"default\")))\n\n", f->name);
	int32_t path[GEN_PATH_MAX];
	for (size_t i = 0; i < f->n_message_type; i++) {
		path[0] = GEN_PATH_MESSAGE_TYPE;
		path[1] = (int32_t) i;
		gen_docs_message(f, f->message_type[i], f->package ? f->package : "", path, 2, out);
	}
	/* a translation unit must not be empty */
	fputs("typedef int zsd_nonempty;\n", out);
}

static int
gen_write_docs(const char *dir, const char *base, const gen_file *f)
{
	char path[2048];
	snprintf(path, sizeof path, "%s/%s.zsd.c", dir, base);
	FILE *out = fopen(path, "w");
	if (out == NULL) {
		fprintf(stderr, "zs-gen: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	gen_docs(f, out);
	if (fclose(out) != 0) {
		fprintf(stderr, "zs-gen: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
gen_write(const char *dir, const char *base, const char *ext, const gen_kind *k,
    const gen_file *f)
{
	char rel[1024], path[2048];
	snprintf(rel, sizeof rel, "%s.%s.%s", base, k->ext, ext);
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	FILE *out = fopen(path, "w");
	if (out == NULL) {
		fprintf(stderr, "zs-gen: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (ext[0] == 'h')
		gen_header(k, f, base, rel, out);
	else
		gen_source(k, f, base, out);
	if (fclose(out) != 0) {
		fprintf(stderr, "zs-gen: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
gen_file_stubs(const gen_file *f, const char *dir)
{
	char base[1024];
	size_t n = strlen(f->name);
	if (n < 7 || strcmp(f->name + n - 6, ".proto") != 0 || n - 6 >= sizeof base) {
		fprintf(stderr, "zs-gen: %s: not a .proto file name\n", f->name);
		return -1;
	}
	memcpy(base, f->name, n - 6);
	base[n - 6] = '\0';
	for (size_t i = 0; i < f->n_service; i++)
		for (size_t j = 0; j < f->service[i]->n_method; j++) {
			const gen_method *m = f->service[i]->method[j];
			if (m->client_streaming || m->server_streaming) {
				fprintf(stderr, "zs-gen: %s: %s.%s: streaming methods are not supported\n",
				    f->name, f->service[i]->name, m->name);
				return -1;
			}
		}
	for (size_t i = 0; i < sizeof gen_kinds / sizeof gen_kinds[0]; i++)
		if (gen_write(dir, base, "h", &gen_kinds[i], f) != 0 ||
		    gen_write(dir, base, "c", &gen_kinds[i], f) != 0)
			return -1;
	return gen_write_docs(dir, base, f);
}

/* Reads a whole file; caller frees *buf. */
static int
gen_read(const char *path, uint8_t **buf, size_t *len)
{
	FILE *in = fopen(path, "rb");
	if (in == NULL) {
		fprintf(stderr, "zs-gen: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 1 << 16, n = 0;
	uint8_t *b = malloc(cap);
	while (b != NULL) {
		n += fread(b + n, 1, cap - n, in);
		if (n < cap)
			break;
		uint8_t *nb = realloc(b, cap *= 2);
		if (nb == NULL)
			free(b);
		b = nb;
	}
	int err = ferror(in);
	fclose(in);
	if (b == NULL || err) {
		free(b);
		fprintf(stderr, "zs-gen: cannot read %s\n", path);
		return -1;
	}
	*buf = b;
	*len = n;
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: zs-gen DESCRIPTOR_SET OUT_DIR\n");
		return 2;
	}
	uint8_t *buf;
	size_t len;
	if (gen_read(argv[1], &buf, &len) != 0)
		return 1;
	Zsgen__FileDescriptorSet *set = zsgen__file_descriptor_set__unpack(NULL, len, buf);
	free(buf);
	if (set == NULL) {
		fprintf(stderr, "zs-gen: %s: not a FileDescriptorSet\n", argv[1]);
		return 1;
	}
	int rc = 0;
	for (size_t i = 0; i < set->n_file && rc == 0; i++)
		rc = gen_file_stubs(set->file[i], argv[2]);
	zsgen__file_descriptor_set__free_unpacked(set, NULL);
	return rc == 0 ? 0 : 1;
}
