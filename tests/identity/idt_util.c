/*
 * idt_util.c: helpers of the identity test: typed Identity calls keeping their outcome,
 * raw calls of any method, reflection, psql on the node's embedded PostgreSQL, stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zs/reflection/v1/reflection.zsc.h"
#include "idt_util.h"

/* Keeps code and st (freed) in r; returns code. */
static int
idt_take(idt_res *r, int code, zs_status *st)
{
	r->code = code;
	snprintf(r->message, sizeof r->message, "%s", st != NULL ? st->message : "");
	snprintf(r->error_code, sizeof r->error_code, "%s", st != NULL ? st->error_code : "");
	zs_status_free(st);
	return code;
}

const char *
idt_res_text(const idt_res *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s: %s", zs_client_code_name(r->code), r->error_code[0] ? " (" : "",
	    r->error_code, r->error_code[0] ? ")" : "", r->message);
	return buf;
}

static zs_call_opts
idt_opts(const char *session)
{
	zs_call_opts o = { .timeout_ms = IDT_TIMEOUT_MS, .session = session };
	return o;
}

/* Frees a reply the caller does not keep. */
static void
idt_keep(void *reply, void **out)
{
	if (out != NULL)
		*out = reply;
	else
		zs_reply_free(reply);
}

int
idt_login(zs_client *c, const char *name, const char *password,
    Zs__Identity__V1__LoginResponse **out, idt_res *r)
{
	Zs__Identity__V1__LoginRequest req = ZS__IDENTITY__V1__LOGIN_REQUEST__INIT;
	Zs__Identity__V1__LoginResponse *reply = NULL;
	zs_status *st = NULL;
	zs_call_opts o = idt_opts(NULL);
	req.name = (char *) name;
	req.password = (char *) password;
	int code = zs_identity_v1_identity_login(c, &req, &reply, &st, &o);
	idt_keep(reply, (void **) out);
	return idt_take(r, code, st);
}

int
idt_logout(zs_client *c, const char *session, idt_res *r)
{
	Zs__Identity__V1__LogoutRequest req = ZS__IDENTITY__V1__LOGOUT_REQUEST__INIT;
	Zs__Identity__V1__LogoutResponse *reply = NULL;
	zs_status *st = NULL;
	zs_call_opts o = idt_opts(session);
	int code = zs_identity_v1_identity_logout(c, &req, &reply, &st, &o);
	zs_reply_free(reply);
	return idt_take(r, code, st);
}

int
idt_whoami(zs_client *c, const char *session, Zs__Identity__V1__AccountInfo **out, idt_res *r)
{
	Zs__Identity__V1__WhoAmIRequest req = ZS__IDENTITY__V1__WHO_AM_IREQUEST__INIT;
	Zs__Identity__V1__AccountInfo *reply = NULL;
	zs_status *st = NULL;
	zs_call_opts o = idt_opts(session);
	int code = zs_identity_v1_identity_who_am_i(c, &req, &reply, &st, &o);
	idt_keep(reply, (void **) out);
	return idt_take(r, code, st);
}

int
idt_create(zs_client *c, const char *session, const char *name, const char *password,
    bool admin, Zs__Identity__V1__AccountInfo **out, idt_res *r)
{
	Zs__Identity__V1__CreateAccountRequest req = ZS__IDENTITY__V1__CREATE_ACCOUNT_REQUEST__INIT;
	Zs__Identity__V1__AccountInfo *reply = NULL;
	zs_status *st = NULL;
	zs_call_opts o = idt_opts(session);
	req.name = (char *) name;
	req.password = (char *) password;
	req.admin = admin;
	int code = zs_identity_v1_identity_create_account(c, &req, &reply, &st, &o);
	idt_keep(reply, (void **) out);
	return idt_take(r, code, st);
}

int
idt_get(zs_client *c, const char *session, const char *uuid,
    Zs__Identity__V1__AccountInfo **out, idt_res *r)
{
	Zs__Identity__V1__GetAccountRequest req = ZS__IDENTITY__V1__GET_ACCOUNT_REQUEST__INIT;
	Zs__Identity__V1__AccountInfo *reply = NULL;
	zs_status *st = NULL;
	zs_call_opts o = idt_opts(session);
	req.uuid = (char *) uuid;
	int code = zs_identity_v1_identity_get_account(c, &req, &reply, &st, &o);
	idt_keep(reply, (void **) out);
	return idt_take(r, code, st);
}

int
idt_list(zs_client *c, const char *session, Zs__Identity__V1__ListAccountsResponse **out,
    idt_res *r)
{
	Zs__Identity__V1__ListAccountsRequest req = ZS__IDENTITY__V1__LIST_ACCOUNTS_REQUEST__INIT;
	Zs__Identity__V1__ListAccountsResponse *reply = NULL;
	zs_status *st = NULL;
	zs_call_opts o = idt_opts(session);
	int code = zs_identity_v1_identity_list_accounts(c, &req, &reply, &st, &o);
	idt_keep(reply, (void **) out);
	return idt_take(r, code, st);
}

int
idt_delete(zs_client *c, const char *session, const char *uuid, idt_res *r)
{
	Zs__Identity__V1__DeleteAccountRequest req = ZS__IDENTITY__V1__DELETE_ACCOUNT_REQUEST__INIT;
	Zs__Identity__V1__DeleteAccountResponse *reply = NULL;
	zs_status *st = NULL;
	zs_call_opts o = idt_opts(session);
	req.uuid = (char *) uuid;
	int code = zs_identity_v1_identity_delete_account(c, &req, &reply, &st, &o);
	zs_reply_free(reply);
	return idt_take(r, code, st);
}

int
idt_passwd(zs_client *c, const char *session, const char *uuid, const char *old_password,
    const char *new_password, idt_res *r)
{
	Zs__Identity__V1__ChangePasswordRequest req = ZS__IDENTITY__V1__CHANGE_PASSWORD_REQUEST__INIT;
	Zs__Identity__V1__ChangePasswordResponse *reply = NULL;
	zs_status *st = NULL;
	zs_call_opts o = idt_opts(session);
	req.uuid = (char *) uuid;
	req.old_password = (char *) old_password;
	req.new_password = (char *) new_password;
	int code = zs_identity_v1_identity_change_password(c, &req, &reply, &st, &o);
	zs_reply_free(reply);
	return idt_take(r, code, st);
}

int
idt_session(zs_client *c, const char *name, const char *password, char *session, size_t len)
{
	Zs__Identity__V1__LoginResponse *out = NULL;
	idt_res r;
	int code = idt_login(c, name, password, &out, &r);
	snprintf(session, len, "%s", out != NULL ? out->session : "");
	zs_reply_free(out);
	return code;
}

int
idt_account(zs_client *c, const char *admin_session, const char *name, const char *password,
    char *uuid, size_t len)
{
	Zs__Identity__V1__AccountInfo *out = NULL;
	idt_res r;
	int code = idt_create(c, admin_session, name, password, false, &out, &r);
	snprintf(uuid, len, "%s", out != NULL ? out->uuid : "");
	zs_reply_free(out);
	return code;
}

int
idt_raw(const char *url, const char *method, const char *session, idt_res *r)
{
	nng_socket s;
	memset(r, 0, sizeof *r);
	r->code = -1;
	if (zst_req_open(&s, url, IDT_TIMEOUT_MS) != 0)
		return -1;
	size_t len;
	uint8_t *frame = zst_pack_request_as(session, method, 0, IDT_TIMEOUT_MS, 0, NULL, &len);
	Zs__Rpc__V1__Reply *reply = frame != NULL ? zst_pb_call(s, frame, len) : NULL;
	free(frame);
	nng_close(s);
	if (reply == NULL)
		return -1;
	const zs_status *st = reply->status;
	r->code = st != NULL ? (int) st->code : 0;
	snprintf(r->message, sizeof r->message, "%s", st != NULL ? st->message : "");
	snprintf(r->error_code, sizeof r->error_code, "%s", st != NULL ? st->error_code : "");
	zs__rpc__v1__reply__free_unpacked(reply, NULL);
	return r->code;
}

/* Appends the methods of service to *out. */
static int
idt_service_methods(zs_client *c, const char *session, const char *service, char ***out,
    size_t *n)
{
	Zs__Reflection__V1__DescribeServiceRequest req = ZS__REFLECTION__V1__DESCRIBE_SERVICE_REQUEST__INIT;
	Zs__Reflection__V1__DescribeServiceResponse *reply = NULL;
	zs_call_opts o = idt_opts(session);
	req.name = (char *) service;
	if (zs_reflection_v1_reflection_describe_service(c, &req, &reply, NULL, &o) != ZS_CLIENT_OK)
		return -1;
	char **grown = realloc(*out, (*n + reply->n_methods + 1) * sizeof *grown);
	if (grown != NULL) {
		*out = grown;
		for (size_t i = 0; i < reply->n_methods; i++)
			grown[(*n)++] = strdup(reply->methods[i]->full_name);
	}
	zs_reply_free(reply);
	return grown != NULL ? 0 : -1;
}

int
idt_methods(zs_client *c, const char *session, char ***out, size_t *n)
{
	Zs__Reflection__V1__ListServicesRequest req = ZS__REFLECTION__V1__LIST_SERVICES_REQUEST__INIT;
	Zs__Reflection__V1__ListServicesResponse *reply = NULL;
	zs_call_opts o = idt_opts(session);
	*out = NULL;
	*n = 0;
	if (zs_reflection_v1_reflection_list_services(c, &req, &reply, NULL, &o) != ZS_CLIENT_OK)
		return -1;
	int rv = 0;
	for (size_t i = 0; i < reply->n_services && rv == 0; i++)
		rv = idt_service_methods(c, session, reply->services[i]->name, out, n);
	zs_reply_free(reply);
	return rv;
}

/* The socket folder and port of the node's PostgreSQL, from its postmaster.pid (in
 * DATA_DIR/pg, or where the node said it keeps the cluster instead). */
static int
idt_pg_where(const zst_node *n, char *sock, size_t sock_len, char *port, size_t port_len)
{
	char pgdata[512];
	snprintf(pgdata, sizeof pgdata, "%s/pg", n->data_dir);
	char *err = zst_node_stderr(n);
	const char *moved = strstr(err, "keeps its files in ");
	if (moved != NULL) {
		moved += strlen("keeps its files in ");
		snprintf(pgdata, sizeof pgdata, "%.*s", (int) strcspn(moved, " \n"), moved);
	}
	free(err);
	char path[600];
	snprintf(path, sizeof path, "%s/postmaster.pid", pgdata);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		printf("     cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	char line[512];
	int rv = -1;
	for (int i = 1; fgets(line, sizeof line, f) != NULL && i <= 5; i++) {
		line[strcspn(line, "\n")] = '\0';
		if (i == 4)
			snprintf(port, port_len, "%.16s", line);
		if (i == 5) {
			snprintf(sock, sock_len, "%s", line);
			rv = 0;
		}
	}
	fclose(f);
	return rv;
}

int
idt_pg_conninfo(const zst_node *n, char *out, size_t len)
{
	char sock[512], port[32];
	if (idt_pg_where(n, sock, sizeof sock, port, sizeof port) != 0)
		return -1;
	snprintf(out, len, "host=%s port=%s user=zsnode dbname=zsnode", sock, port);
	return 0;
}

/* Runs argv with stdout into out (trimmed); its exit status, or -1. */
static int
idt_capture(char *const argv[], char *out, size_t len)
{
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	size_t used = 0;
	ssize_t got;
	while (pid > 0 && (got = read(fds[0], out + used, len - 1 - used)) > 0)
		used += (size_t) got;
	close(fds[0]);
	out[used] = '\0';
	while (used > 0 && (out[used - 1] == '\n' || out[used - 1] == ' '))
		out[--used] = '\0';
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
idt_sql(const zst_node *n, const char *sql, char *out, size_t len)
{
	char sock[512], port[32];
	out[0] = '\0';
	if (idt_pg_where(n, sock, sizeof sock, port, sizeof port) != 0)
		return -1;
	char *const argv[] = { "timeout", "20", "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
		"-h", sock, "-p", port, "-U", "zsnode", "-d", "zsnode", "-c", (char *) sql, NULL };
	int rc = idt_capture(argv, out, len);
	if (rc != 0)
		printf("     psql -c \"%s\" failed (exit %d): %s\n", sql, rc, out);
	return rc == 0 ? 0 : -1;
}

int
idt_stderr_count(const zst_node *n, const char *needle)
{
	char *text = zst_node_stderr(n);
	int count = 0;
	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		count++;
	free(text);
	return count;
}
