/*
 * zsctl_identity.c: login, logout, whoami and account create|list|delete|passwd, and the
 * saved session: `zsctl login` keeps the token in $XDG_CONFIG_HOME/zsctl/session (else
 * ~/.config/zsctl/session), mode 0600, and every later call sends it unless --session or
 * $ZS_SESSION gives another. Passwords are asked on the terminal without echo, or read
 * from stdin with --password-stdin (one a line), and wiped from memory once sent.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "zsctl.h"

#define ZSCTL_PASSWORD_MAX 1100   /* the node takes up to 1024 bytes */
#define ZSCTL_UUID_LEN 36

/* --- the saved session --- */

/* The session file's path; with make_dirs, its folders are made (0700). 0 or -1. */
static int
zsctl_session_path(char *buf, size_t len, int make_dirs)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char dir[PATH_MAX];
	/* a relative XDG_CONFIG_HOME is to be ignored, says the XDG spec */
	if (xdg != NULL && xdg[0] == '/') {
		snprintf(dir, sizeof dir, "%s", xdg);
	} else if (home != NULL && home[0] != '\0') {
		snprintf(dir, sizeof dir, "%s/.config", home);
	} else {
		fprintf(stderr, "zsctl: neither XDG_CONFIG_HOME nor HOME is set: nowhere to keep "
		    "the session\n");
		return -1;
	}
	if (make_dirs && mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "zsctl: cannot make %s: %s\n", dir, strerror(errno));
		return -1;
	}
	size_t n = strlen(dir);
	snprintf(dir + n, sizeof dir - n, "/zsctl");
	if (make_dirs && mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "zsctl: cannot make %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if ((size_t) snprintf(buf, len, "%s/session", dir) >= len)
		return -1;
	return 0;
}

const char *
zsctl_session_load(char *buf, size_t len)
{
	char path[PATH_MAX];
	if (zsctl_session_path(path, sizeof path, 0) != 0)
		return NULL;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0)
		fprintf(stderr, "zsctl: warning: %s may be read by others: chmod 600 it\n", path);
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, " \t\r\n")] = '\0';
	return buf[0] != '\0' ? buf : NULL;
}

/* Writes token to the session file (0600, replaced whole). */
static int
zsctl_session_save(const char *token, char *path, size_t path_len)
{
	char tmp[PATH_MAX + 8];
	if (zsctl_session_path(path, path_len, 1) != 0)
		return -1;
	snprintf(tmp, sizeof tmp, "%s.new", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "zsctl: cannot write %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	size_t len = strlen(token);
	int ok = fchmod(fd, 0600) == 0 && write(fd, token, len) == (ssize_t) len &&
	    write(fd, "\n", 1) == 1;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		fprintf(stderr, "zsctl: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Removes the session file if it holds token. */
static void
zsctl_session_forget(const char *token)
{
	char path[PATH_MAX], saved[256];
	const char *cur = zsctl_session_load(saved, sizeof saved);
	if (cur != NULL && strcmp(cur, token) == 0 && zsctl_session_path(path, sizeof path, 0) == 0)
		unlink(path);
}

/* --- passwords --- */

/* Reads one line from f into buf without its newline. 0, or -1 at the end of input. */
static int
zsctl_read_line(FILE *f, char *buf, size_t len)
{
	if (fgets(buf, (int) len, f) == NULL)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

/* Asks for a password on the terminal without echo, or reads it from stdin. */
static int
zsctl_password(const zsctl_opts *opts, const char *prompt, char *buf, size_t len)
{
	if (opts->password_stdin) {
		if (zsctl_read_line(stdin, buf, len) != 0) {
			fprintf(stderr, "zsctl: --password-stdin: no password on stdin (%s)\n", prompt);
			return -1;
		}
		return 0;
	}
	FILE *tty = fopen("/dev/tty", "r+");
	if (tty == NULL) {
		fprintf(stderr, "zsctl: no terminal to ask for the password: use --password-stdin\n");
		return -1;
	}
	struct termios old, quiet;
	int have_attr = tcgetattr(fileno(tty), &old) == 0;
	if (have_attr) {
		quiet = old;
		quiet.c_lflag &= (tcflag_t) ~ECHO;
		tcsetattr(fileno(tty), TCSANOW, &quiet);
	}
	fprintf(tty, "%s", prompt);
	fflush(tty);
	int rv = zsctl_read_line(tty, buf, len);
	if (have_attr)
		tcsetattr(fileno(tty), TCSANOW, &old);
	fputs("\n", tty);
	fclose(tty);
	if (rv != 0)
		fprintf(stderr, "zsctl: no password given\n");
	return rv;
}

/* A new password: twice on a terminal (they must match), once from stdin. */
static int
zsctl_new_password(const zsctl_opts *opts, const char *prompt, char *buf, size_t len)
{
	char again[ZSCTL_PASSWORD_MAX];
	if (zsctl_password(opts, prompt, buf, len) != 0)
		return -1;
	if (opts->password_stdin)
		return 0;
	int rv = zsctl_password(opts, "again: ", again, sizeof again);
	if (rv == 0 && strcmp(buf, again) != 0) {
		fprintf(stderr, "zsctl: the passwords differ\n");
		rv = -1;
	}
	explicit_bzero(again, sizeof again);
	if (rv != 0)
		explicit_bzero(buf, len);
	return rv;
}

/* Wipes the string of key in body (jansson's copy of a password). */
static void
zsctl_wipe(json_t *body, const char *key)
{
	const json_t *v = json_object_get(body, key);
	if (json_is_string(v))
		explicit_bzero((char *) json_string_value(v), json_string_length(v));
}

/* --- calls --- */

/* Calls method with body (taken over, its passwords wiped after); prints a failure.
 * *code gets the failure's code name ("" on success; may be NULL). */
static int
zsctl_id_call(const zsctl_opts *opts, const char *method, json_t *body, json_t **reply,
    char *code, size_t code_len)
{
	json_t *status = NULL;
	*reply = NULL;
	int rc = body != NULL ? zsctl_rpc_call(opts, method, body, reply, &status) : ZSCTL_EXIT_FAILED;
	zsctl_wipe(body, "password");
	zsctl_wipe(body, "oldPassword");
	zsctl_wipe(body, "newPassword");
	json_decref(body);
	if (code != NULL)
		snprintf(code, code_len, "%s", rc == ZSCTL_EXIT_OK ? "" : zsctl_str(status, "code"));
	if (rc != ZSCTL_EXIT_OK && status != NULL)
		zsctl_print_status(opts, status);
	else if (rc != ZSCTL_EXIT_OK)
		fprintf(stderr, "zsctl: out of memory\n");
	json_decref(status);
	return rc;
}

/* A time of a reply as it is shown: "2026-11-26T09:05:00.123456Z". */
static void
zsctl_time(const json_t *when, char *buf, size_t len)
{
	/* a google.protobuf.Timestamp, which the node writes as RFC 3339 in UTC */
	snprintf(buf, len, "%s", json_is_string(when) ? json_string_value(when) : "-");
}

static void
zsctl_print_account(const json_t *a)
{
	char created[64];
	zsctl_time(json_object_get(a, "createDate"), created, sizeof created);
	printf("%-36s  %-20s  %-5s  %s\n", zsctl_str(a, "uuid"), zsctl_str(a, "name"),
	    json_is_true(json_object_get(a, "admin")) ? "admin" : "-", created);
}

static int
zsctl_looks_like_uuid(const char *s)
{
	if (strlen(s) != ZSCTL_UUID_LEN)
		return 0;
	for (int i = 0; i < ZSCTL_UUID_LEN; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-' : strchr("0123456789abcdefABCDEF", s[i]) == NULL)
			return 0;
	return 1;
}

/* The uuid of an account given by uuid or by name (looked up among those one may see). */
static int
zsctl_account_uuid(const zsctl_opts *opts, const char *arg, char *out, size_t len)
{
	if (zsctl_looks_like_uuid(arg)) {
		snprintf(out, len, "%s", arg);
		return ZSCTL_EXIT_OK;
	}
	json_t *reply;
	int rc = zsctl_id_call(opts, "zs.identity.v1.Identity/ListAccounts", json_object(), &reply,
	    NULL, 0);
	if (rc != ZSCTL_EXIT_OK)
		return rc;
	size_t i;
	const json_t *a;
	out[0] = '\0';
	json_array_foreach(json_object_get(reply, "accounts"), i, a)
		if (strcmp(zsctl_str(a, "name"), arg) == 0)
			snprintf(out, len, "%s", zsctl_str(a, "uuid"));
	json_decref(reply);
	if (out[0] == '\0') {
		fprintf(stderr, "zsctl: no account named %s (among those you may see)\n", arg);
		return ZSCTL_EXIT_FAILED;
	}
	return ZSCTL_EXIT_OK;
}

/* --- commands --- */

int
zsctl_cmd_login(const zsctl_opts *opts, int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "zsctl: login takes one NAME\n");
		return ZSCTL_EXIT_USAGE;
	}
	char password[ZSCTL_PASSWORD_MAX], prompt[256], path[PATH_MAX];
	snprintf(prompt, sizeof prompt, "password of %s at %s: ", argv[0], opts->url);
	if (zsctl_password(opts, prompt, password, sizeof password) != 0)
		return ZSCTL_EXIT_USAGE;
	json_t *body = json_pack("{s:s, s:s}", "name", argv[0], "password", password), *reply;
	explicit_bzero(password, sizeof password);
	zsctl_opts anon = *opts;
	anon.session = NULL;   /* the old session, if any, has no say in a login */
	int rc = zsctl_id_call(&anon, "zs.identity.v1.Identity/Login", body, &reply, NULL, 0);
	if (rc != ZSCTL_EXIT_OK)
		return rc;
	const char *token = zsctl_str(reply, "session");
	if (token[0] == '\0' || zsctl_session_save(token, path, sizeof path) != 0) {
		if (token[0] == '\0')
			fprintf(stderr, "zsctl: the node answered without a session\n");
		json_decref(reply);
		return ZSCTL_EXIT_FAILED;
	}
	if (opts->json) {
		zsctl_print_json(reply, 0);
	} else {
		char until[64];
		const json_t *a = json_object_get(reply, "account");
		zsctl_time(json_object_get(reply, "expireDate"), until, sizeof until);
		printf("logged in as %s%s at %s until %s (session saved in %s)\n", zsctl_str(a, "name"),
		    json_is_true(json_object_get(a, "admin")) ? " (admin)" : "", opts->url, until, path);
	}
	json_decref(reply);
	return ZSCTL_EXIT_OK;
}

int
zsctl_cmd_logout(const zsctl_opts *opts, int argc, char **argv)
{
	(void) argv;
	if (argc != 0) {
		fprintf(stderr, "zsctl: logout takes no arguments\n");
		return ZSCTL_EXIT_USAGE;
	}
	if (opts->session == NULL) {
		fprintf(stderr, "zsctl: not logged in\n");
		return ZSCTL_EXIT_FAILED;
	}
	json_t *reply;
	char code[64];
	int rc = zsctl_id_call(opts, "zs.identity.v1.Identity/Logout", json_object(), &reply, code,
	    sizeof code);
	json_decref(reply);
	/* a session the node no longer knows is as good as ended */
	if (rc == ZSCTL_EXIT_OK || strcmp(code, "UNAUTHENTICATED") == 0) {
		zsctl_session_forget(opts->session);
		if (!opts->json)
			printf("logged out\n");
		return ZSCTL_EXIT_OK;
	}
	return rc;
}

int
zsctl_cmd_whoami(const zsctl_opts *opts, int argc, char **argv)
{
	(void) argv;
	if (argc != 0) {
		fprintf(stderr, "zsctl: whoami takes no arguments\n");
		return ZSCTL_EXIT_USAGE;
	}
	json_t *reply;
	int rc = zsctl_id_call(opts, "zs.identity.v1.Identity/WhoAmI", json_object(), &reply, NULL, 0);
	if (rc != ZSCTL_EXIT_OK)
		return rc;
	if (opts->json)
		zsctl_print_json(reply, 0);
	else
		printf("%s (%s%s)\n", zsctl_str(reply, "name"), zsctl_str(reply, "uuid"),
		    json_is_true(json_object_get(reply, "admin")) ? ", admin" : "");
	json_decref(reply);
	return ZSCTL_EXIT_OK;
}

static int
zsctl_account_create(const zsctl_opts *opts, int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "zsctl: account create takes one NAME\n");
		return ZSCTL_EXIT_USAGE;
	}
	char password[ZSCTL_PASSWORD_MAX], prompt[256];
	snprintf(prompt, sizeof prompt, "password of the new account %s: ", argv[0]);
	if (zsctl_new_password(opts, prompt, password, sizeof password) != 0)
		return ZSCTL_EXIT_USAGE;
	json_t *body = json_pack("{s:s, s:s, s:b}", "name", argv[0], "password", password, "admin",
	    opts->admin), *reply;
	explicit_bzero(password, sizeof password);
	int rc = zsctl_id_call(opts, "zs.identity.v1.Identity/CreateAccount", body, &reply, NULL, 0);
	if (rc != ZSCTL_EXIT_OK)
		return rc;
	if (opts->json)
		zsctl_print_json(reply, 0);
	else
		printf("created account %s (%s%s)\n", zsctl_str(reply, "name"), zsctl_str(reply, "uuid"),
		    json_is_true(json_object_get(reply, "admin")) ? ", admin" : "");
	json_decref(reply);
	return ZSCTL_EXIT_OK;
}

static int
zsctl_account_list(const zsctl_opts *opts, int argc)
{
	if (argc != 0) {
		fprintf(stderr, "zsctl: account list takes no arguments\n");
		return ZSCTL_EXIT_USAGE;
	}
	json_t *reply;
	int rc = zsctl_id_call(opts, "zs.identity.v1.Identity/ListAccounts", json_object(), &reply,
	    NULL, 0);
	if (rc != ZSCTL_EXIT_OK)
		return rc;
	if (opts->json) {
		zsctl_print_json(reply, 0);
	} else {
		printf("%-36s  %-20s  %-5s  %s\n", "UUID", "NAME", "ADMIN", "CREATED");
		size_t i;
		const json_t *a;
		json_array_foreach(json_object_get(reply, "accounts"), i, a)
			zsctl_print_account(a);
	}
	json_decref(reply);
	return ZSCTL_EXIT_OK;
}

static int
zsctl_account_delete(const zsctl_opts *opts, int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "zsctl: account delete takes one UUID or NAME\n");
		return ZSCTL_EXIT_USAGE;
	}
	char uuid[64];
	int rc = zsctl_account_uuid(opts, argv[0], uuid, sizeof uuid);
	if (rc != ZSCTL_EXIT_OK)
		return rc;
	json_t *reply;
	rc = zsctl_id_call(opts, "zs.identity.v1.Identity/DeleteAccount",
	    json_pack("{s:s}", "uuid", uuid), &reply, NULL, 0);
	json_decref(reply);
	if (rc == ZSCTL_EXIT_OK && !opts->json)
		printf("deleted account %s\n", uuid);
	return rc;
}

/* Whether uuid is the caller's own account (then the old password is needed). */
static int
zsctl_is_self(const zsctl_opts *opts, const char *uuid, int *self)
{
	json_t *reply;
	int rc = zsctl_id_call(opts, "zs.identity.v1.Identity/WhoAmI", json_object(), &reply, NULL, 0);
	if (rc == ZSCTL_EXIT_OK)
		*self = uuid[0] == '\0' || strcmp(zsctl_str(reply, "uuid"), uuid) == 0;
	json_decref(reply);
	return rc;
}

static int
zsctl_account_passwd(const zsctl_opts *opts, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "zsctl: account passwd takes at most one UUID or NAME\n");
		return ZSCTL_EXIT_USAGE;
	}
	char uuid[64] = "", old[ZSCTL_PASSWORD_MAX] = "", fresh[ZSCTL_PASSWORD_MAX];
	int self = 1;
	int rc = argc == 1 ? zsctl_account_uuid(opts, argv[0], uuid, sizeof uuid) : ZSCTL_EXIT_OK;
	if (rc == ZSCTL_EXIT_OK)
		rc = zsctl_is_self(opts, uuid, &self);
	if (rc != ZSCTL_EXIT_OK)
		return rc;
	if ((self && zsctl_password(opts, "current password: ", old, sizeof old) != 0) ||
	    zsctl_new_password(opts, "new password: ", fresh, sizeof fresh) != 0) {
		explicit_bzero(old, sizeof old);
		return ZSCTL_EXIT_USAGE;
	}
	json_t *body = json_pack("{s:s, s:s, s:s}", "uuid", uuid, "oldPassword", old, "newPassword",
	    fresh), *reply;
	explicit_bzero(old, sizeof old);
	explicit_bzero(fresh, sizeof fresh);
	rc = zsctl_id_call(opts, "zs.identity.v1.Identity/ChangePassword", body, &reply, NULL, 0);
	json_decref(reply);
	if (rc == ZSCTL_EXIT_OK && !opts->json)
		printf("password changed%s\n", self ? "; other sessions of the account have ended" :
		    "; the account's sessions have ended");
	return rc;
}

int
zsctl_cmd_account(const zsctl_opts *opts, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";
	if (strcmp(sub, "create") == 0)
		return zsctl_account_create(opts, argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return zsctl_account_list(opts, argc - 1);
	if (strcmp(sub, "delete") == 0)
		return zsctl_account_delete(opts, argc - 1, argv + 1);
	if (strcmp(sub, "passwd") == 0)
		return zsctl_account_passwd(opts, argc - 1, argv + 1);
	fprintf(stderr, "zsctl: account needs create, list, delete or passwd\n");
	return ZSCTL_EXIT_USAGE;
}
