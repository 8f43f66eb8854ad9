/*
 * host_main.c: the host service's lifecycle. Its state is what it reads from properties
 * at start: host.fail_step (testing only), checked against the names of AddHost's steps
 * so that a typo stops the start instead of silently testing nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "zs/service.h"


/* 0 when step is "" or one of AddHost's steps. */
static int
host_step_known(const char *step)
{
	if (step[0] == '\0')
		return 0;
	for (size_t i = 0; host_add_steps[i] != NULL; i++)
		if (strcmp(step, host_add_steps[i]) == 0)
			return 0;
	return -1;
}

ZS_EXPORT int
host_start(zs_service *svc, char *err, size_t errlen)
{
	const char *step = zs_node_property(zs_service_node(svc), "host.fail_step");
	if (step == NULL)
		step = "";
	if (host_step_known(step) != 0 || strlen(step) >= HOST_STEP_MAX) {
		char names[256] = "";
		for (size_t i = 0, used = 0; host_add_steps[i] != NULL && used < sizeof names; i++)
			used += (size_t) snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
			    host_add_steps[i]);
		snprintf(err, errlen, "host.fail_step \"%s\" is not a step of AddHost (%s)", step, names);
		return -1;
	}
	host_state *state = calloc(1, sizeof *state);
	if (state == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(state->fail_step, sizeof state->fail_step, "%s", step);
	zs_service_set_data(svc, state);
	return 0;
}

ZS_EXPORT void
host_stop(zs_service *svc)
{
	free(zs_service_data(svc));
	zs_service_set_data(svc, NULL);
}
