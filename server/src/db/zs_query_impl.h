/*
 * zs_query_impl.h: what the query engine's files share (not a public header): the
 * builder's state (a growing SQL text and its parameters) and its primitives
 * (zs_query_qb.c), conditions (zs_query_cond.c), the ops a condition may use and the
 * checks of its values against its field's type (zs_query_value.c).
 */
#ifndef ZS_QUERY_IMPL_H
#define ZS_QUERY_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "zs/query.h"

/* The ops, as a condition names them. */
typedef enum qop {
	QOP_EQ, QOP_NE, QOP_GT, QOP_GE, QOP_LT, QOP_LE, QOP_IN, QOP_NOT_IN, QOP_LIKE,
	QOP_NOT_LIKE, QOP_IS_NULL, QOP_NOT_NULL, QOP_NONE,
} qop;

/* The builder: SQL text and parameters so far; the first failure wins. */
typedef struct qb {
	char *sql;
	size_t len, cap;
	const char **params;
	int n, cap_params;
	char *store;              /* copies of "in" lists, split in place */
	size_t store_used, store_cap;
	int account_ref;          /* the account's $n, 0 for an admin */
	int code;                 /* 0 until something fails */
	zs_status *err;           /* the first failure */
} qb;

/* ---- zs_query_qb.c ---- */
/* Appends text (the program's own) to the SQL. */
void qb_put(qb *b, const char *text);
/* Appends "$n" for a new parameter value (borrowed), and a cast when cast is not NULL
 * ("::bigint"). */
void qb_param(qb *b, const char *value, const char *cast);
/* Fails the build with INVALID_ARGUMENT (the first failure is kept). */
void qb_fail(qb *b, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Fails for name, unknown in t (at where: "conditions[2]", "sort_by"), listing t's
 * fields (its own only, or all). */
void qb_unknown(qb *b, const zs_query_table *t, const char *where, const char *name,
    bool own_only);
/* Appends f's column as compared and answered. */
void qb_column(qb *b, const zs_query_field *f);

/* ---- zs_query_cond.c ---- */
/* Appends " AND (condition i)" for c over t, or fails saying what is wrong with it. */
void qb_cond(qb *b, const zs_query_table *t, size_t i, const Zs__Resource__V1__QueryCondition *c);

/* ---- zs_query_value.c ---- */
/* The op named by text ("=", "not in", "IS NOT NULL", ZStack's CLI "~=" ...), or
 * QOP_NONE. */
qop zs_query_op_parse(const char *text);
/* The op's name in messages. */
const char *zs_query_op_name(qop op);
/* Whether op applies to fields of type (like: text-like types; order: not bool/enum). */
bool zs_query_op_fits(qop op, zs_query_type type);
/* Checks one value of field f for op: the value to send (value itself, or a canonical
 * form: an enum's own spelling, "true"), or NULL with why written to why. */
const char *zs_query_value_check(const zs_query_field *f, qop op, const char *value,
    char *why, size_t why_len);

#endif
