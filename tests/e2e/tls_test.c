/*
 * tls_test.c: tls+tcp against a real node: with tls.cert and tls.key set, the node also
 * listens on rpc.tls_url; a client that trusts the certificate calls through it, one that
 * trusts another CA gets no answer, and plain tcp still works beside it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs/client.h"
#include "zs/health/v1/health.zsc.h"
#include "zst_node.h"

/* A self-signed certificate for localhost and 127.0.0.1 in dir: cert.pem, key.pem. */
static int
make_cert(const char *dir, const char *name)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
	    "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout %s/%s-key.pem -out %s/%s-cert.pem "
	    ">/dev/null 2>&1", dir, name, dir, name);
	return system(cmd) == 0 ? 0 : -1;
}

/* Health/Check through a client; the canonical code. */
static int
check(zs_client *c)
{
	Zs__Health__V1__HealthCheckRequest req = ZS__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	Zs__Health__V1__HealthCheckResponse *out = NULL;
	zs_call_opts opts = { 2000, NULL };
	int code = zs_health_v1_health_check(c, &req, &out, NULL, &opts);
	if (code == 0 && out->status != ZS__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING)
		code = -1;
	zs_reply_free(out);
	return code;
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "tls", 60) != 0)
		return 2;
	char dir[] = "/tmp/zst-tls-XXXXXX";
	if (mkdtemp(dir) == NULL || make_cert(dir, "node") != 0 || make_cert(dir, "other") != 0) {
		ZST_CHECK(0, "openssl makes test certificates in %s", dir);
		return zst_summary();
	}
	char cert[128], key[128], url[64], other[128];
	snprintf(cert, sizeof cert, "tls.cert=%s/node-cert.pem", dir);
	snprintf(key, sizeof key, "tls.key=%s/node-key.pem", dir);
	snprintf(other, sizeof other, "%s/other-cert.pem", dir);
	int port = zst_free_port();
	snprintf(url, sizeof url, "rpc.tls_url=tls+tcp://127.0.0.1:%d", port);
	const char *sets[] = { cert, key, url, NULL };
	zst_node n;
	if (zst_node_start(&n, NULL, sets) != 0) {
		ZST_CHECK(0, "node starts with a certificate");
		return zst_summary();
	}
	ZST_CHECK(zst_node_stderr_has(&n, "listening on tls+tcp://"), "the node says it listens on tls+tcp");
	char tls_url[64], ca[128];
	snprintf(tls_url, sizeof tls_url, "tls+tcp://127.0.0.1:%d", port);
	snprintf(ca, sizeof ca, "%s/node-cert.pem", dir);

	zs_client *c;
	ZST_CHECK(zs_client_open_tls(&c, tls_url, ca, "localhost") == 0, "a TLS client opens");
	int code = check(c);
	ZST_CHECK(code == 0, "Health/Check over tls+tcp says SERVING (code %d)", code);
	zs_client_close(c);

	ZST_CHECK(zs_client_open_tls(&c, tls_url, other, "localhost") == 0, "a client trusting another CA opens");
	code = check(c);
	ZST_CHECK(code != 0, "but gets no answer through a certificate it does not trust (code %d)", code);
	zs_client_close(c);

	ZST_CHECK(zs_client_open(&c, n.rpc_url) == 0 && check(c) == 0, "plain tcp still serves");
	zs_client_close(c);

	/* zsctl, beside zsnode in the build tree: build/server/zsnode -> build/clients/zsctl */
	char zsctl[512], cmd[1024], out[256] = "";
	snprintf(zsctl, sizeof zsctl, "%s", zst_bin());
	char *slash = strrchr(zsctl, '/');
	if (slash != NULL)
		snprintf(slash, sizeof zsctl - (size_t) (slash - zsctl), "/../clients/zsctl/zsctl");
	/* zsctl checks the URL's host name against the certificate: localhost, not the IP */
	char by_name[64];
	snprintf(by_name, sizeof by_name, "tls+tcp://localhost:%d", port);
	snprintf(cmd, sizeof cmd, "%s --url %s --tls-ca %s health 2>&1", zsctl, by_name, ca);
	FILE *p = popen(cmd, "r");
	size_t len = p != NULL ? fread(out, 1, sizeof out - 1, p) : 0;
	out[len] = '\0';
	int rc = p != NULL ? pclose(p) : -1;
	ZST_CHECK(rc == 0 && strstr(out, "SERVING") != NULL, "zsctl --tls-ca health over tls+tcp: %s", out);
	snprintf(cmd, sizeof cmd, "%s --url %s --tls-ca %s health >/dev/null 2>&1", zsctl, by_name, other);
	ZST_CHECK(system(cmd) != 0, "zsctl with a CA that did not sign the node's certificate fails");
	ZST_CHECK(zs_client_open(&c, n.rpc_url) == 0, "a plain client opens again");
	zs_client_close(c);

	ZST_CHECK(zst_node_stop(&n) == 0, "node stops cleanly");
	zst_node_cleanup(&n);
	char rm[128];
	snprintf(rm, sizeof rm, "rm -rf %s", dir);
	if (system(rm) != 0)
		zst_note("could not remove %s", dir);
	return zst_summary();
}
