/* zs_platform.c: the list of the node's own services and their order. */
#include <stdio.h>

#include "zs_config_impl.h"
#include "zs_identity.h"
#include "zs_job.h"
#include "zs_outbox.h"
#include "zs_platform.h"
#include "zs_tag_impl.h"

/* In dependency order: later modules may use earlier ones; stop runs in reverse. The list
 * ends with an entry without a name. */
static const zs_platform_module platform_modules[] = {
	{ "config", zs_config_module_declare, zs_config_module_start, zs_config_module_stop },
	{ "identity", zs_identity_declare, zs_identity_start, zs_identity_stop },
	{ "events", zs_outbox_declare, zs_outbox_start, zs_outbox_stop },
	{ "jobs", zs_job_declare, zs_job_start, NULL },
	{ "tags", zs_tag_module_declare, zs_tag_module_start, zs_tag_module_stop },
	{ NULL, NULL, NULL, NULL },
};

static size_t
platform_len(void)
{
	size_t n = 0;
	while (platform_modules[n].name != NULL)
		n++;
	return n;
}

int
zs_platform_declare(zs_node *node, char *err, size_t errlen)
{
	for (const zs_platform_module *m = platform_modules; m->name != NULL; m++)
		if (m->declare != NULL && m->declare(node, err, errlen) != 0)
			return -1;
	return 0;
}

/* Stops modules [0, n) in reverse. */
static void
platform_stop_first(zs_node *node, size_t n)
{
	while (n-- > 0)
		if (platform_modules[n].stop != NULL)
			platform_modules[n].stop(node);
}

int
zs_platform_start(zs_node *node, char *err, size_t errlen)
{
	for (size_t i = 0; platform_modules[i].name != NULL; i++)
		if (platform_modules[i].start != NULL && platform_modules[i].start(node, err, errlen) != 0) {
			char why[512];
			snprintf(why, sizeof why, "%s", err);
			snprintf(err, errlen, "%s: %s", platform_modules[i].name, why);
			platform_stop_first(node, i);
			return -1;
		}
	return 0;
}

void
zs_platform_stop(zs_node *node)
{
	platform_stop_first(node, platform_len());
}
