/* zs_metrics.h: the HTTP endpoint: /metrics (Prometheus text format) and /healthz. */
#ifndef ZS_METRICS_H
#define ZS_METRICS_H

#include <stddef.h>

typedef struct zs_node zs_node;
typedef struct zs_metrics zs_metrics;

/* Serves on url (http://host:port) with nng's HTTP server. */
int zs_metrics_new(zs_metrics **out, zs_node *node, const char *url, char *err, size_t errlen);
void zs_metrics_free(zs_metrics *m);
/* The /metrics text (caller frees). */
char *zs_metrics_text(zs_node *node);

#endif
