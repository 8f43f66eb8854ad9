/*
 * idt_util.h: what the identity test's files share: typed Identity calls that keep the
 * outcome (code, message, error code), raw calls of any method with any session, the
 * node's embedded PostgreSQL through psql, and the node's stderr.
 */
#ifndef IDT_UTIL_H
#define IDT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zs/client.h"
#include "zs/identity/v1/identity.zsc.h"
#include "zst_node.h"

#define IDT_TIMEOUT_MS 15000

/* The outcome of one call. */
typedef struct idt_res {
	int code;
	char message[512];
	char error_code[64];
} idt_res;

/* "UNAUTHENTICATED (IDENTITY.1001): message", for test output. */
const char *idt_res_text(const idt_res *r, char *buf, size_t len);

/* Typed Identity calls as session (NULL: none). Each returns the code and fills r; a
 * reply (caller frees with zs_reply_free) is kept when out is not NULL. */
int idt_login(zs_client *c, const char *name, const char *password,
    Zs__Identity__V1__LoginResponse **out, idt_res *r);
int idt_logout(zs_client *c, const char *session, idt_res *r);
int idt_whoami(zs_client *c, const char *session, Zs__Identity__V1__AccountInfo **out, idt_res *r);
int idt_create(zs_client *c, const char *session, const char *name, const char *password,
    bool admin, Zs__Identity__V1__AccountInfo **out, idt_res *r);
int idt_get(zs_client *c, const char *session, const char *uuid,
    Zs__Identity__V1__AccountInfo **out, idt_res *r);
int idt_list(zs_client *c, const char *session, Zs__Identity__V1__ListAccountsResponse **out,
    idt_res *r);
int idt_delete(zs_client *c, const char *session, const char *uuid, idt_res *r);
int idt_passwd(zs_client *c, const char *session, const char *uuid, const char *old_password,
    const char *new_password, idt_res *r);

/* Logs name in and copies the token into session (len >= 64); the code. */
int idt_session(zs_client *c, const char *name, const char *password, char *session,
    size_t len);
/* Makes an account as admin_session: its uuid into uuid (len >= 40); the code. */
int idt_account(zs_client *c, const char *admin_session, const char *name, const char *password,
    char *uuid, size_t len);

/* Any method, empty body, as session (NULL: none), in protobuf on a fresh socket. */
int idt_raw(const char *url, const char *method, const char *session, idt_res *r);
/* The full names of every method the node serves (reflection, as session); caller frees
 * each and the array. -1 when reflection does not answer. */
int idt_methods(zs_client *c, const char *session, char ***out, size_t *n);

/* Runs one SQL statement in the node's embedded PostgreSQL with psql (-At): its output,
 * trimmed, into out. 0, or -1 (why on stdout). */
int idt_sql(const zst_node *n, const char *sql, char *out, size_t len);
/* libpq conninfo of the node's embedded PostgreSQL (for another node's db.url). */
int idt_pg_conninfo(const zst_node *n, char *out, size_t len);
/* How many times needle is in the node's stderr. */
int idt_stderr_count(const zst_node *n, const char *needle);

#endif
