/* zs_node_main.c: a node from command-line arguments: the embedding API of zs/node.h and
 * the whole zsnode binary (options, properties, signals, the node's life). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "zs/log.h"
#include "zs_node_impl.h"

static void
main_usage(FILE *out)
{
	fprintf(out,
	    "usage: zsnode [-c FILE] [--set name=value]...\n"
	    "  -c FILE           properties file (default: zsnode.properties if present)\n"
	    "  --set name=value  override a property (also ZS_NAME_WITH_UNDERSCORES=value)\n"
	    "  --properties      print every property, its value and where it came from, then exit\n"
	    "  --reset-admin-password\n"
	    "                    set the admin password from stdin (one line), with the node\n"
	    "                    stopped (same -c/--set, so the same data.dir), then exit\n"
	    "  --version         print the version, then exit\n"
	    "  -h, --help        this text\n");
}

/* What the arguments ask for besides properties. */
typedef enum main_ask { MAIN_RUN, MAIN_PROPERTIES, MAIN_HELP, MAIN_VERSION, MAIN_RESET } main_ask;

/* Reads -c and --set (and the flags main_ask names) into new properties. 0, or -1 with
 * err; *props is then NULL. */
static int
main_parse(int argc, char *const argv[], zs_props **props, main_ask *ask, char *err,
    size_t errlen)
{
	const char *config = NULL;
	*ask = MAIN_RUN;
	if (zs_props_new(props) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc) {
			config = argv[++i];
		} else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
			if (zs_props_set_flag(*props, argv[++i], err, errlen) != 0)
				goto fail;
		} else if (strcmp(argv[i], "--properties") == 0) {
			*ask = MAIN_PROPERTIES;
		} else if (strcmp(argv[i], "--reset-admin-password") == 0) {
			*ask = MAIN_RESET;
		} else if (strcmp(argv[i], "--version") == 0) {
			*ask = MAIN_VERSION;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			*ask = MAIN_HELP;
		} else {
			snprintf(err, errlen, "unknown option %s", argv[i]);
			goto fail;
		}
	}
	FILE *probe = config == NULL ? fopen("zsnode.properties", "r") : NULL;
	if (probe != NULL) {
		fclose(probe);
		config = "zsnode.properties";
	}
	if (config != NULL && zs_props_load_file(*props, config, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	zs_props_free(*props);
	*props = NULL;
	return -1;
}

/* A failure status from err (into st when asked); returns code. */
static int
main_fail(zs_status **st, int code, const char *err)
{
	if (st != NULL)
		*st = zs_status_new(code, NULL, "%s", err);
	return code;
}

int
zs_node_new(zs_node **out, int argc, char *const argv[], zs_status **st)
{
	char err[1024] = "";
	zs_props *props;
	main_ask ask;
	*out = NULL;
	if (main_parse(argc, argv, &props, &ask, err, sizeof err) != 0)
		return main_fail(st, ZS_INVALID_ARGUMENT, err);
	if (zs_node_new_props(out, props, err, sizeof err) != 0) {
		*out = NULL;
		return main_fail(st, ZS_INVALID_ARGUMENT, err);
	}
	return ZS_OK;
}

int
zs_node_start(zs_node *node, zs_status **st)
{
	char err[1024] = "";
	if (zs_node_start_err(node, err, sizeof err) != 0)
		return main_fail(st, ZS_FAILED_PRECONDITION, err);
	return ZS_OK;
}

static void
main_print_prop(const char *name, const char *value, zs_prop_source src, bool secret,
    const char *description, const char *owner, void *arg)
{
	(void) arg;
	printf("%-24s %-32s %-8s %-8s %s\n", name, value == NULL ? "(unset)" : secret ? "********" : value,
	    zs_props_source_name(src), owner, description);
}

/* Raises the soft limit of open files to the hard one: the node keeps a connection to
 * each host agent it talks to (thousands of hosts, thousands of descriptors). */
static void
main_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void) setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
zs_node_main(int argc, char **argv)
{
	char err[1024] = "";
	zs_props *props;
	main_ask ask;
	if (main_parse(argc, argv, &props, &ask, err, sizeof err) != 0) {
		fprintf(stderr, "zsnode: %s\n", err);
		main_usage(stderr);
		return 2;
	}
	if (ask == MAIN_HELP || ask == MAIN_VERSION) {
		if (ask == MAIN_HELP)
			main_usage(stdout);
		else
			printf("zsnode %s\n", zs_version());
		zs_props_free(props);
		return 0;
	}

	main_raise_nofile();
	/* Signals are taken by sigwait below, never by the node's threads. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	zs_node *node = NULL;
	int rc = 0;
	if (zs_node_new_props(&node, props, err, sizeof err) != 0) {
		node = NULL;
		rc = 1;
	} else if (ask == MAIN_PROPERTIES) {
		printf("%-24s %-32s %-8s %-8s %s\n", "PROPERTY", "VALUE", "SOURCE", "OWNER", "DESCRIPTION");
		zs_props_each(node->props, main_print_prop, NULL);
		zs_node_free(node); /* never started: nothing to stop, and no "stopped" to log */
		return 0;
	} else if (ask == MAIN_RESET) {
		rc = zs_node_reset_main(node);
		err[0] = '\0';
	} else if (zs_node_start_err(node, err, sizeof err) != 0) {
		rc = 1;
	} else {
		fprintf(stderr, "zsnode: ready. Try (zsctl is in build/clients/zsctl): zsctl health; "
		    "zsctl login admin; zsctl list; zsctl call zs.echo.v1.Echo/Say '{\"text\":\"hi\"}'; "
		    "zswatch echo/\n");
		int sig = 0;
		sigwait(&sigs, &sig);
		zs_log(ZS_LOG_INFO, "node", "got %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
	}
	if (rc != 0 && err[0] != '\0')
		fprintf(stderr, "zsnode: %s\n", err);
	if (node != NULL)
		zs_node_stop(node);
	zs_node_free(node);
	return rc;
}
