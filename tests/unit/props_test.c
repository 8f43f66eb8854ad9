/*
 * props_test.c: unit tests for global properties (server/src/zs_props.c): the layers in
 * rising precedence (default < file < environment < --set) and the source each value
 * reports, the file format (comments, blanks, '=' in values, later lines win), bad lines
 * and unreadable files with the message naming file and line, --set parsing, required
 * and unknown properties, and zs_props_each's order.
 * Prints `props: N passed, M failed` and exits non-zero on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zs_props.h"
#include "zst_check.h"

static char tmpdir[] = "/tmp/zsprops-XXXXXX";

/* Writes text to tmpdir/name; its path into path. */
static void
write_file(const char *name, const char *text, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	ZST_REQUIRE(f != NULL, "can write %s", path);
	fputs(text, f);
	fclose(f);
}

static zs_props *
props_new(void)
{
	zs_props *p = NULL;
	ZST_REQUIRE(zs_props_new(&p) == 0 && p != NULL, "zs_props_new");
	return p;
}

/* What zs_props_each says about name. */
typedef struct seen {
	const char *name;
	char value[128];
	zs_prop_source src;
	bool found, secret;
	char owner[64], description[128];
} seen;

static void
on_each(const char *name, const char *value, zs_prop_source src, bool secret,
    const char *description, const char *owner, void *arg)
{
	seen *s = arg;
	if (strcmp(name, s->name) != 0)
		return;
	s->found = true;
	snprintf(s->value, sizeof s->value, "%s", value ? value : "(null)");
	s->src = src;
	s->secret = secret;
	snprintf(s->owner, sizeof s->owner, "%s", owner);
	snprintf(s->description, sizeof s->description, "%s", description);
}

/* name's effective value is want (NULL: none) and comes from src. */
static void
expect_value(const zs_props *p, const char *name, const char *want, zs_prop_source src)
{
	ZST_EXPECT_STR(zs_props_get(p, name), want);
	seen s = { .name = name };
	zs_props_each(p, on_each, &s);
	ZST_CHECK(s.found && s.src == src, "%s comes from %s (reported: %s)", name,
	    zs_props_source_name(src), s.found ? zs_props_source_name(s.src) : "not listed");
}

static void
test_precedence(void)
{
	char path[512], err[512] = "";
	write_file("layers.properties",
	    "t.file = from-file\n"
	    "t.env = from-file\n"
	    "t.flag = from-file\n"
	    "t.all = from-file\n",
	    path, sizeof path);
	/* the environment is read when a property is declared */
	setenv("ZS_T_ENV", "from-env", 1);
	setenv("ZS_T_FLAG", "from-env", 1);
	setenv("ZS_T_ALL", "from-env", 1);
	setenv("ZS_T_ENVONLY", "from-env", 1);

	zs_props *p = props_new();
	ZST_CHECK(zs_props_load_file(p, path, err, sizeof err) == 0, "the file loads (%s)", err);
	ZST_CHECK(zs_props_set_flag(p, "t.flag=from-flag", err, sizeof err) == 0, "--set t.flag (%s)", err);
	ZST_CHECK(zs_props_set_flag(p, "t.all=from-flag", err, sizeof err) == 0, "--set t.all (%s)", err);
	const char *names[] = { "t.default", "t.file", "t.env", "t.flag", "t.all", "t.envonly", "t.none" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		ZST_CHECK(zs_props_declare(p, names[i], i == 6 ? NULL : "from-default", "a test property",
		    false, false, "props_test") == 0, "declare %s", names[i]);

	expect_value(p, "t.default", "from-default", ZS_PROP_DEFAULT);
	expect_value(p, "t.file", "from-file", ZS_PROP_FILE);
	expect_value(p, "t.env", "from-env", ZS_PROP_ENV);
	expect_value(p, "t.flag", "from-flag", ZS_PROP_FLAG);
	expect_value(p, "t.all", "from-flag", ZS_PROP_FLAG);
	expect_value(p, "t.envonly", "from-env", ZS_PROP_ENV);
	expect_value(p, "t.none", NULL, ZS_PROP_UNSET);
	/* a value given for nobody's property is still there to read */
	ZST_EXPECT_STR(zs_props_get(p, "t.undeclared"), NULL);

	/* a later --set of the same name wins */
	ZST_CHECK(zs_props_set_flag(p, "t.flag=again", err, sizeof err) == 0, "--set t.flag again");
	expect_value(p, "t.flag", "again", ZS_PROP_FLAG);
	zs_props_free(p);

	unsetenv("ZS_T_ENV");
	unsetenv("ZS_T_FLAG");
	unsetenv("ZS_T_ALL");
	unsetenv("ZS_T_ENVONLY");
}

/* rpc.max-inflight -> ZS_RPC_MAX_INFLIGHT: dots and other signs become '_', letters upper case. */
static void
test_env_names(void)
{
	setenv("ZS_RPC_MAX_INFLIGHT", "64", 1);
	setenv("ZS_DB_URL", "postgres://x", 1);
	zs_props *p = props_new();
	zs_props_declare(p, "rpc.max-inflight", "8", "", false, false, NULL);
	zs_props_declare(p, "db.url", NULL, "", false, false, NULL);
	zs_props_declare(p, "db.Url2", "d", "", false, false, NULL);
	expect_value(p, "rpc.max-inflight", "64", ZS_PROP_ENV);
	expect_value(p, "db.url", "postgres://x", ZS_PROP_ENV);
	expect_value(p, "db.Url2", "d", ZS_PROP_DEFAULT);
	/* declaring again is harmless: the first declaration stays */
	ZST_EXPECT_INT(zs_props_declare(p, "rpc.max-inflight", "8", "", false, false, NULL), 0);
	expect_value(p, "rpc.max-inflight", "64", ZS_PROP_ENV);
	seen s = { .name = "db.url" };
	zs_props_each(p, on_each, &s);
	ZST_EXPECT_STR(s.owner, "node");   /* no owner: the node's own */
	zs_props_free(p);
	unsetenv("ZS_RPC_MAX_INFLIGHT");
	unsetenv("ZS_DB_URL");
}

static void
test_file_format(void)
{
	char path[512], err[512] = "";
	write_file("format.properties",
	    "# a comment\n"
	    "! also a comment\n"
	    "\n"
	    "   \t  \n"
	    "a.plain=1\n"
	    "  a.spaced   =   two words  \n"
	    "a.eq=x=y=z\n"
	    "a.empty=\n"
	    "a.crlf=dos\r\n"
	    "a.twice=first\n"
	    "a.twice=second\n"
	    "a.hash=v # not a comment\n"
	    "a.last=no newline at the end",
	    path, sizeof path);
	zs_props *p = props_new();
	ZST_CHECK(zs_props_load_file(p, path, err, sizeof err) == 0, "the file loads (%s)", err);
	const char *names[] = { "a.plain", "a.spaced", "a.eq", "a.empty", "a.crlf", "a.twice",
		"a.hash", "a.last" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		zs_props_declare(p, names[i], "default", "", false, false, NULL);
	expect_value(p, "a.plain", "1", ZS_PROP_FILE);
	expect_value(p, "a.spaced", "two words", ZS_PROP_FILE);
	expect_value(p, "a.eq", "x=y=z", ZS_PROP_FILE);
	expect_value(p, "a.empty", "", ZS_PROP_FILE);
	expect_value(p, "a.crlf", "dos", ZS_PROP_FILE);
	expect_value(p, "a.twice", "second", ZS_PROP_FILE);
	expect_value(p, "a.hash", "v # not a comment", ZS_PROP_FILE);
	expect_value(p, "a.last", "no newline at the end", ZS_PROP_FILE);
	ZST_EXPECT_STR(zs_props_get(p, "# a comment"), NULL);

	/* a second file on top: its values win */
	write_file("second.properties", "a.plain=2\n", path, sizeof path);
	ZST_CHECK(zs_props_load_file(p, path, err, sizeof err) == 0, "a second file loads (%s)", err);
	expect_value(p, "a.plain", "2", ZS_PROP_FILE);
	zs_props_free(p);

	/* an empty file is fine */
	write_file("empty.properties", "", path, sizeof path);
	p = props_new();
	ZST_CHECK(zs_props_load_file(p, path, err, sizeof err) == 0, "an empty file loads (%s)", err);
	zs_props_free(p);
}

/* Loading text fails with exactly the message want (%s: the file's path). */
static void
bad_file(const char *text, const char *want_fmt)
{
	char path[512], err[512] = "", want[1024];
	write_file("bad.properties", text, path, sizeof path);
	snprintf(want, sizeof want, want_fmt, path);
	zs_props *p = props_new();
	ZST_CHECK(zs_props_load_file(p, path, err, sizeof err) == -1 && strcmp(err, want) == 0,
	    "a bad file is refused\n       got  \"%s\"\n       want \"%s\"", err, want);
	zs_props_free(p);
}

static void
test_bad_files(void)
{
	bad_file("novalue\n", "%s:1: expected name=value, got \"novalue\"");
	bad_file("# fine\na=1\n\n  just words  \n", "%s:4: expected name=value, got \"just words\"");
	bad_file("a=1\n=2\n", "%s:2: a property name is missing before '='");
	bad_file("   = x\n", "%s:1: a property name is missing before '='");

	char err[512] = "", path[512];
	snprintf(path, sizeof path, "%s/does-not-exist.properties", tmpdir);
	zs_props *p = props_new();
	ZST_CHECK(zs_props_load_file(p, path, err, sizeof err) == -1, "a missing file is refused");
	ZST_EXPECT_HAS(err, path);
	ZST_EXPECT_HAS(err, "No such file or directory");
	err[0] = '\0';
	ZST_CHECK(zs_props_load_file(p, tmpdir, err, sizeof err) == -1,
	    "a folder is refused as a properties file (%s)", err);
	ZST_EXPECT_HAS(err, tmpdir);
	zs_props_free(p);
}

static void
test_flags(void)
{
	char err[512] = "";
	zs_props *p = props_new();
	ZST_CHECK(zs_props_set_flag(p, "f.a=1", err, sizeof err) == 0, "--set f.a=1");
	ZST_CHECK(zs_props_set_flag(p, "f.b=x=y", err, sizeof err) == 0, "--set f.b=x=y");
	ZST_CHECK(zs_props_set_flag(p, "f.c=", err, sizeof err) == 0, "--set f.c= (empty)");
	ZST_CHECK(zs_props_set_flag(p, "novalue", err, sizeof err) == -1, "--set novalue is refused");
	ZST_EXPECT_STR(err, "--set wants name=value, got \"novalue\"");
	ZST_CHECK(zs_props_set_flag(p, "=5", err, sizeof err) == -1, "--set =5 is refused");
	ZST_EXPECT_STR(err, "--set wants name=value, got \"=5\"");
	ZST_CHECK(zs_props_set_flag(p, "", err, sizeof err) == -1, "--set with nothing is refused");
	zs_props_declare(p, "f.a", "d", "", false, false, NULL);
	zs_props_declare(p, "f.b", "d", "", false, false, NULL);
	zs_props_declare(p, "f.c", "d", "", false, false, NULL);
	expect_value(p, "f.a", "1", ZS_PROP_FLAG);
	expect_value(p, "f.b", "x=y", ZS_PROP_FLAG);
	expect_value(p, "f.c", "", ZS_PROP_FLAG);
	zs_props_free(p);
}

/* What zs_props_check reported. */
typedef struct report {
	char missing[512];
	char unknown[512];
	int n_missing, n_unknown;
} report;

static void
on_missing(const char *name, const char *owner, void *arg)
{
	report *r = arg;
	size_t n = strlen(r->missing);
	snprintf(r->missing + n, sizeof r->missing - n, "%s(%s) ", name, owner);
	r->n_missing++;
}

static void
on_unknown(const char *name, zs_prop_source where, void *arg)
{
	report *r = arg;
	size_t n = strlen(r->unknown);
	snprintf(r->unknown + n, sizeof r->unknown - n, "%s(%s) ", name, zs_props_source_name(where));
	r->n_unknown++;
}

static void
test_required_unknown(void)
{
	char path[512], err[512] = "";
	write_file("req.properties", "r.fromfile=x\nr.typo=1\nr.emptyfile=\n", path, sizeof path);
	zs_props *p = props_new();
	ZST_CHECK(zs_props_load_file(p, path, err, sizeof err) == 0, "the file loads (%s)", err);
	zs_props_set_flag(p, "r.flagtypo=2", err, sizeof err);
	zs_props_set_flag(p, "r.fromflag=y", err, sizeof err);
	zs_props_declare(p, "r.missing", NULL, "", true, true, "cfgreq");
	zs_props_declare(p, "r.fromfile", NULL, "", true, false, "svc");
	zs_props_declare(p, "r.fromflag", NULL, "", true, false, "svc");
	zs_props_declare(p, "r.withdefault", "d", "", true, false, "svc");
	zs_props_declare(p, "r.emptyfile", NULL, "", true, false, "svc");
	zs_props_declare(p, "r.optional", NULL, "", false, false, "svc");

	ZST_EXPECT(zs_props_required(p, "r.missing"));
	ZST_EXPECT(zs_props_required(p, "r.withdefault"));
	ZST_EXPECT(!zs_props_required(p, "r.optional"));
	ZST_EXPECT(!zs_props_required(p, "r.typo"));
	ZST_EXPECT(!zs_props_required(p, "r.nobody"));

	report r = { "", "", 0, 0 };
	size_t n = zs_props_check(p, on_missing, on_unknown, &r);
	/* an empty value does not satisfy a required property */
	ZST_EXPECT_INT(n, 2);
	ZST_EXPECT_INT(r.n_missing, 2);
	ZST_EXPECT_HAS(r.missing, "r.missing(cfgreq)");
	ZST_EXPECT_HAS(r.missing, "r.emptyfile(svc)");
	ZST_EXPECT_INT(r.n_unknown, 2);
	ZST_EXPECT_HAS(r.unknown, "r.typo(file)");
	ZST_EXPECT_HAS(r.unknown, "r.flagtypo(flag)");
	/* no callbacks: still counts */
	ZST_EXPECT_INT(zs_props_check(p, NULL, NULL, NULL), 2);

	/* given now: nothing missing */
	zs_props_set_flag(p, "r.missing=s3cret", err, sizeof err);
	zs_props_set_flag(p, "r.emptyfile=z", err, sizeof err);
	memset(&r, 0, sizeof r);
	ZST_EXPECT_INT(zs_props_check(p, on_missing, NULL, &r), 0);
	ZST_EXPECT_INT(r.n_missing, 0);

	/* a secret is listed as secret (the value is the caller's to mask) */
	seen s = { .name = "r.missing" };
	zs_props_each(p, on_each, &s);
	ZST_CHECK(s.found && s.secret && strcmp(s.owner, "cfgreq") == 0,
	    "r.missing is listed as secret, owned by cfgreq");
	zs_props_free(p);
}

/* Visited names, in order. */
static void
on_name(const char *name, const char *value, zs_prop_source src, bool secret,
    const char *description, const char *owner, void *arg)
{
	(void) value;
	(void) src;
	(void) secret;
	(void) description;
	(void) owner;
	char *out = arg;
	size_t n = strlen(out);
	snprintf(out + n, 256 - n, "%s ", name);
}

static void
test_each_order(void)
{
	zs_props *p = props_new();
	const char *names[] = { "z.last", "a.first", "m.middle", "a.b", "A.upper" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		zs_props_declare(p, names[i], "v", "desc", false, false, NULL);
	char order[256] = "";
	zs_props_each(p, on_name, order);
	ZST_EXPECT_STR(order, "A.upper a.b a.first m.middle z.last ");
	/* lookups still work after the sort */
	ZST_EXPECT_STR(zs_props_get(p, "m.middle"), "v");
	seen s = { .name = "a.first" };
	zs_props_each(p, on_each, &s);
	ZST_EXPECT_STR(s.description, "desc");
	zs_props_free(p);

	ZST_EXPECT_STR(zs_props_source_name(ZS_PROP_UNSET), "unset");
	ZST_EXPECT_STR(zs_props_source_name(ZS_PROP_DEFAULT), "default");
	ZST_EXPECT_STR(zs_props_source_name(ZS_PROP_FILE), "file");
	ZST_EXPECT_STR(zs_props_source_name(ZS_PROP_ENV), "env");
	ZST_EXPECT_STR(zs_props_source_name(ZS_PROP_FLAG), "flag");
	ZST_EXPECT_STR(zs_props_source_name((zs_prop_source) 42), "unset");
}

static void
cleanup(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("     could not remove %s\n", tmpdir);
}

int
main(void)
{
	zst_check_init("props");
	ZST_REQUIRE(mkdtemp(tmpdir) != NULL, "a temporary folder");
	zst_on_fail_now(cleanup);
	test_precedence();
	test_env_names();
	test_file_format();
	test_bad_files();
	test_flags();
	test_required_unknown();
	test_each_order();
	cleanup();
	return zst_check_summary();
}
