/* main.c: the zsnode binary: options, properties, signals, and the node's life. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/log.h"
#include "zs_node_impl.h"
#include "zs_props.h"

static void
main_usage(FILE *out)
{
	fprintf(out,
	    "usage: zsnode [-c FILE] [--set name=value]...\n"
	    "  -c FILE           properties file (default: zsnode.properties if present)\n"
	    "  --set name=value  override a property (also ZS_NAME_WITH_UNDERSCORES=value)\n"
	    "  --properties      print every property, its value and where it came from, then exit\n"
	    "  -h, --help        this text\n");
}

static void
main_print_prop(const char *name, const char *value, zs_prop_source src, bool secret,
    const char *description, const char *owner, void *arg)
{
	(void) arg;
	printf("%-24s %-32s %-8s %-8s %s\n", name, value == NULL ? "(unset)" : secret ? "********" : value,
	    zs_props_source_name(src), owner, description);
}

int
main(int argc, char **argv)
{
	char err[1024] = "";
	const char *config = NULL;
	bool print_props = false;
	zs_props *props;
	if (zs_props_new(&props) != 0)
		return 1;
	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc) {
			config = argv[++i];
		} else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
			if (zs_props_set_flag(props, argv[++i], err, sizeof err) != 0) {
				fprintf(stderr, "zsnode: %s\n", err);
				return 2;
			}
		} else if (strcmp(argv[i], "--properties") == 0) {
			print_props = true;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			main_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "zsnode: unknown option %s\n", argv[i]);
			main_usage(stderr);
			return 2;
		}
	}
	FILE *probe = config == NULL ? fopen("zsnode.properties", "r") : NULL;
	if (probe != NULL) {
		fclose(probe);
		config = "zsnode.properties";
	}
	if (config != NULL && zs_props_load_file(props, config, err, sizeof err) != 0) {
		fprintf(stderr, "zsnode: %s\n", err);
		zs_props_free(props);
		return 1;
	}

	/* Signals are taken by sigwait below, never by the node's threads. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	zs_node *node = NULL;
	int rc = 0;
	if (zs_node_new(&node, props, err, sizeof err) != 0) {
		rc = 1;
	} else if (print_props) {
		zs_props_each(props, main_print_prop, NULL);
	} else if (zs_node_start(node, err, sizeof err) != 0) {
		rc = 1;
	} else {
		fprintf(stderr, "zsnode: ready. Try (zsctl is in build/clients/zsctl): zsctl health; "
		    "zsctl login admin; zsctl list; zsctl call zs.echo.v1.Echo/Say '{\"text\":\"hi\"}'; "
		    "zswatch echo/\n");
		int sig = 0;
		sigwait(&sigs, &sig);
		zs_log(node, ZS_LOG_INFO, "node", "got %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
	}
	if (rc != 0)
		fprintf(stderr, "zsnode: %s\n", err);
	if (node != NULL)
		zs_node_stop(node);
	zs_node_free(node);
	zs_props_free(props);
	return rc;
}
