/*
 * zs_plugin_desc.h: a service descriptor (the XML file that names a service's shared
 * object and declares its API, extensions, error codes, configs, properties, system
 * tags and migrations), parsed, validated against server/schema/service.xsd and checked.
 * Every string of a descriptor is owned by it; free it with zs_plugin_desc_free().
 */
#ifndef ZS_PLUGIN_DESC_H
#define ZS_PLUGIN_DESC_H

#include <stdbool.h>
#include <stddef.h>

/* <method name="Say" interceptors="audit validate"/> */
typedef struct zs_plugin_method {
	bool public_method;      /* public="true": no session needed */
	int executor;            /* executor="inline" 1, "pool" 0, absent -1 (its api's) */
	char *name;
	char **interceptors;     /* zs.Interceptor extension names, in order */
	size_t n_interceptors;
	int line;
} zs_plugin_method;

/* <api service="zs.echo.v1.Echo" symbol="echo_service">: symbol is a ProtobufCService. */
typedef struct zs_plugin_api {
	char *service;
	char *symbol;
	bool inline_handlers;    /* executor="inline": handlers run on the receiving thread */
	int line;
	zs_plugin_method *methods;
	size_t n_methods;
} zs_plugin_api;

/* <extension point="zs.Interceptor" name="audit" symbol="echo_audit" order="10"/> */
typedef struct zs_plugin_extdesc {
	char *point;
	char *name;
	char *symbol;
	int order;               /* 0 when absent */
	int line;
} zs_plugin_extdesc;

/* <code id="1001" description="..."/> under <errorCodes prefix="ECHO"> */
typedef struct zs_plugin_errdesc {
	char *code;              /* "ECHO.1001" */
	char *description;
	int line;
} zs_plugin_errdesc;

/* <globalConfig>: type is "integer", "boolean", "string", "size" or "duration". */
typedef struct zs_plugin_configdesc {
	char *category, *name, *type, *default_value, *description;
	char *min, *max;         /* <range>, NULL when absent */
	char **allowed;          /* <allowed> values */
	size_t n_allowed;
	bool resource_override;
	int line;
} zs_plugin_configdesc;

/* <property>: default_value and description NULL when absent. */
typedef struct zs_plugin_propdesc {
	char *name, *default_value, *description;
	bool required, secret;
	int line;
} zs_plugin_propdesc;

/* <systemTag>: description NULL when absent. */
typedef struct zs_plugin_tagdesc {
	char *resource_type, *pattern, *description;
	int line;
} zs_plugin_tagdesc;

/* <migration file="sql/001_init.sql"/> */
typedef struct zs_plugin_migdesc {
	char *path;              /* resolved against the descriptor's folder */
	int line;
} zs_plugin_migdesc;

typedef struct zs_plugin_desc {
	char *path;              /* the descriptor file, as given to zs_plugin_desc_load */
	char *id, *description;  /* description NULL when absent */
	char *library;           /* resolved path of the shared object (always holds a '/') */
	char *start_symbol, *stop_symbol;   /* NULL when absent */
	int lifecycle_line;                 /* 0 when there is no <lifecycle> */
	zs_plugin_api *apis;
	size_t n_apis;
	zs_plugin_extdesc *exts;
	size_t n_exts;
	char *error_prefix;      /* NULL when there is no <errorCodes> */
	zs_plugin_errdesc *errors;
	size_t n_errors;
	zs_plugin_configdesc *configs;
	size_t n_configs;
	zs_plugin_propdesc *props;
	size_t n_props;
	zs_plugin_tagdesc *tags;
	size_t n_tags;
	zs_plugin_migdesc *migrations;      /* in document order */
	size_t n_migrations;
} zs_plugin_desc;

/* The compiled schema, loaded once and shared by every zs_plugin_desc_load (read only). */
typedef struct zs_plugin_schema zs_plugin_schema;

/* Loads the XSD at xsd_path (caller owns *out). Returns 0, or -1 with a message in err. */
int zs_plugin_schema_load(const char *xsd_path, zs_plugin_schema **out, char *err, size_t errlen);
void zs_plugin_schema_free(zs_plugin_schema *s);

/*
 * Parses path, validates it against schema and checks what the schema cannot (duplicates,
 * config defaults against their type, range and allowed values, migration files on
 * disk). Returns 0 with *out set (caller owns), or -1 with a message in err naming the
 * file, the line and the problem: "services/echo.xml:7: ...". libxml2 prints nothing.
 */
int zs_plugin_desc_load(const zs_plugin_schema *schema, const char *path, zs_plugin_desc **out,
    char *err, size_t errlen);
void zs_plugin_desc_free(zs_plugin_desc *d);

#endif
