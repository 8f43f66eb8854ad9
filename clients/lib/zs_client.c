/*
 * zs_client.c: the client object: opening the req socket and its background dial,
 * request ids, and closing once the last call is done.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include <nng/supplemental/tls/tls.h>

#include "zs_client_internal.h"

/* Pipe events keep a count of live connections, so a timeout can say whether the node
 * was reachable at all. */
static void
zs_client_pipe_event(nng_pipe pipe, nng_pipe_ev ev, void *arg)
{
	zs_client *client = arg;
	(void) pipe;
	if (ev == NNG_PIPE_EV_ADD_POST)
		atomic_fetch_add(&client->pipes, 1);
	else if (ev == NNG_PIPE_EV_REM_POST)
		atomic_fetch_sub(&client->pipes, 1);
}

/* A random start makes ids of different clients unlikely to meet in the node's
 * duplicate filter; a failing getrandom falls back to nng's generator. */
static uint64_t
zs_client_random_id(void)
{
	uint64_t id;
	if (getrandom(&id, sizeof id, 0) != (ssize_t) sizeof id)
		id = ((uint64_t) nng_random() << 32) | nng_random();
	return id;
}

uint64_t
zs_client_next_id(zs_client *client)
{
	uint64_t id;
	do
		id = atomic_fetch_add(&client->next_id, 1);
	while (id == 0);
	return id;
}

/* The dialer checks the node's certificate against ca_file and server_name (default:
 * the URL's host). */
static int
zs_client_tls(nng_dialer dialer, const char *url, const char *ca_file, const char *server_name)
{
	nng_tls_config *cfg;
	nng_url *u = NULL;
	int rv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_CLIENT);
	if (rv != 0)
		return rv;
	if (server_name == NULL && (rv = nng_url_parse(&u, url)) == 0)
		server_name = u->u_hostname;
	if (rv == 0 && (rv = nng_tls_config_ca_file(cfg, ca_file)) == 0 &&
	    (rv = nng_tls_config_server_name(cfg, server_name)) == 0 &&
	    (rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED)) == 0)
		rv = nng_dialer_set_ptr(dialer, NNG_OPT_TLS_CONFIG, cfg);
	if (u != NULL)
		nng_url_free(u);
	nng_tls_config_free(cfg);
	return rv;
}

static int
zs_client_connect(zs_client *client, const char *ca_file, const char *server_name)
{
	int rv;
	nng_dialer dialer;
	if ((rv = nng_req0_open(&client->sock)) != 0)
		return rv;
	/* The node bounds its frames; the client takes whatever size it sends back (a
	 * listing of ten thousand resources is over nng's default of 1 MiB).
	 * No resends: each call has its own deadline, the node dedups by request id anyway,
	 * and in nng 1.5 every ctx with a resend timer is kept in one sorted list that each
	 * send walks end to end: with 20000 ctxs that made a call 2.5x slower and a burst of
	 * async calls quadratic (13k calls/s, 100k without). Without resends a dropped
	 * connection fails the calls on it at once (UNAVAILABLE) instead. */
	if ((rv = nng_socket_set_size(client->sock, NNG_OPT_RECVMAXSZ, 0)) != 0 ||
	    (rv = nng_socket_set_ms(client->sock, NNG_OPT_REQ_RESENDTIME,
	        NNG_DURATION_INFINITE)) != 0 ||
	    (rv = nng_pipe_notify(client->sock, NNG_PIPE_EV_ADD_POST, zs_client_pipe_event,
	        client)) != 0 ||
	    (rv = nng_pipe_notify(client->sock, NNG_PIPE_EV_REM_POST, zs_client_pipe_event,
	        client)) != 0 ||
	    (rv = nng_dialer_create(&dialer, client->sock, client->url)) != 0)
		return rv;
	if (ca_file != NULL && (rv = zs_client_tls(dialer, client->url, ca_file, server_name)) != 0)
		return rv;
	/* Non-blocking: a node that is not up yet is dialed again in the background, and
	 * calls wait for it until their deadline. */
	return nng_dialer_start(dialer, NNG_FLAG_NONBLOCK);
}

static int
zs_client_open_with(zs_client **out, const char *url, const char *ca_file,
    const char *server_name)
{
	int rv;
	if (out == NULL || url == NULL)
		return NNG_EINVAL;
	*out = NULL;
	zs_client *client = calloc(1, sizeof *client);
	if (client == NULL)
		return NNG_ENOMEM;
	if ((client->url = strdup(url)) == NULL) {
		free(client);
		return NNG_ENOMEM;
	}
	atomic_init(&client->next_id, zs_client_random_id());
	atomic_init(&client->pipes, 0);
	if (pthread_mutex_init(&client->mtx, NULL) != 0) {
		free(client->url);
		free(client);
		return NNG_ENOMEM;
	}
	if (pthread_cond_init(&client->idle, NULL) != 0) {
		pthread_mutex_destroy(&client->mtx);
		free(client->url);
		free(client);
		return NNG_ENOMEM;
	}
	if ((rv = zs_client_connect(client, ca_file, server_name)) != 0) {
		nng_close(client->sock); /* harmless when the socket never opened */
		pthread_cond_destroy(&client->idle);
		pthread_mutex_destroy(&client->mtx);
		free(client->url);
		free(client);
		return rv;
	}
	*out = client;
	return 0;
}

void
zs_client_close(zs_client *client)
{
	if (client == NULL)
		return;
	pthread_mutex_lock(&client->mtx);
	client->closing = 1;
	while (client->in_flight > 0)
		pthread_cond_wait(&client->idle, &client->mtx);
	pthread_mutex_unlock(&client->mtx);
	/* Every slot is idle now; freeing an aio also waits for its callback to return. */
	zs_client_slot_destroy_all(client);
	nng_close(client->sock);
	pthread_cond_destroy(&client->idle);
	pthread_mutex_destroy(&client->mtx);
	free(client->session);
	free(client->url);
	free(client);
}

int
zs_client_set_session(zs_client *client, const char *session)
{
	if (client == NULL)
		return ZS_CLIENT_INTERNAL;
	char *copy = NULL;
	if (session != NULL && (copy = strdup(session)) == NULL)
		return ZS_CLIENT_RESOURCE_EXHAUSTED;
	pthread_mutex_lock(&client->mtx);
	char *old = client->session;
	client->session = copy;
	pthread_mutex_unlock(&client->mtx);
	free(old);
	return ZS_CLIENT_OK;
}

int
zs_client_open(zs_client **out, const char *url)
{
	return zs_client_open_with(out, url, NULL, NULL);
}

int
zs_client_open_tls(zs_client **out, const char *url, const char *ca_file, const char *server_name)
{
	if (ca_file == NULL)
		return NNG_EINVAL;
	return zs_client_open_with(out, url, ca_file, server_name);
}
