/*
 * kvmsim_backup.c: the backup storage agent (ZStack's SftpBackupStorage paths under
 * /sftpbackupstorage/) on a simulated host: any host may serve them, keeping its backup
 * storage state apart from its VMs. Capacity: `bsCapacity` in the host's description
 * (POST /sim/hosts, a size like "1T"), 1 TiB when absent. A download takes no time and
 * never fetches anything: the image's size comes from its URL's query, `size=20G` (and
 * `actualSize=5G`, default the size), 1 GiB when absent; delays, failures and hangs come
 * from the simulator's faults on these paths. The agent does not refuse an image that
 * is larger than what is free (the node's capacity check is what decides): available is
 * reported as total less its images, at least 0.
 *
 *   connect  {uuid, storagePath}            -> {totalCapacity, availableCapacity}
 *   ping     {uuid}                         -> {uuid}
 *   download {url, installPath, imageUuid}  -> {installPath, size, actualSize, format,
 *                                               totalCapacity, availableCapacity}
 *   delete   {installPath}                  -> {totalCapacity, availableCapacity} (idempotent)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmsim.h"

#define BS_DEFAULT_CAPACITY (1LL << 40)
#define BS_DEFAULT_IMAGE (1LL << 30)

/* "20G", "512M", "1024" -> bytes; def when not a size. */
static int64_t
bs_size(const char *s, size_t len, int64_t def)
{
	char buf[32];
	if (len == 0 || len >= sizeof buf)
		return def;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *end;
	double n = strtod(buf, &end);
	if (end == buf || n < 0)
		return def;
	switch (*end) {
	case 'T': case 't': n *= 1024.0;   /* fall through */
	case 'G': case 'g': n *= 1024.0;   /* fall through */
	case 'M': case 'm': n *= 1024.0;   /* fall through */
	case 'K': case 'k': n *= 1024.0; break;
	case '\0': break;
	default: return def;
	}
	return (int64_t) n;
}

/* The value of key in url's query, as a size; def when absent. */
static int64_t
bs_url_size(const char *url, const char *key, int64_t def)
{
	const char *q = strchr(url, '?');
	size_t kl = strlen(key);
	for (const char *p = q; p != NULL && *p != '\0'; p = strchr(p, '&')) {
		p++;
		if (strncmp(p, key, kl) == 0 && p[kl] == '=')
			return bs_size(p + kl + 1, strcspn(p + kl + 1, "&#"), def);
	}
	return def;
}

void
sim_backup_init(sim_host *h, const json_t *desc)
{
	json_t *cap = json_object_get(desc, "bsCapacity");
	int64_t total = json_is_integer(cap) ? json_integer_value(cap) : json_is_string(cap) ?
	    bs_size(json_string_value(cap), strlen(json_string_value(cap)), BS_DEFAULT_CAPACITY) :
	    BS_DEFAULT_CAPACITY;
	json_decref(h->bs);
	h->bs = json_pack("{s:I, s:{}}", "totalCapacity", (json_int_t) total, "images");
}

void
sim_backup_reset(sim_host *h)
{
	json_object_clear(json_object_get(h->bs, "images"));
}

/* Adds total and available capacity to o, which it returns. */
static json_t *
bs_capacity(const sim_host *h, json_t *o)
{
	json_int_t total = json_integer_value(json_object_get(h->bs, "totalCapacity")), used = 0;
	const char *k;
	json_t *img;
	json_object_foreach(json_object_get(h->bs, "images"), k, img)
		used += json_integer_value(json_object_get(img, "actualSize"));
	json_object_set_new(o, "totalCapacity", json_integer(total));
	json_object_set_new(o, "availableCapacity", json_integer(total > used ? total - used : 0));
	return o;
}

static json_t *
bs_fail(const char *why)
{
	return json_pack("{s:b, s:s}", "success", 0, "error", why);
}

json_t *
sim_backup_run(sim *s, sim_host *h, const char *path, const json_t *cmd)
{
	(void) s;
	if (h->bs == NULL)
		sim_backup_init(h, NULL);
	json_t *images = json_object_get(h->bs, "images");
	const char *ip = json_string_value(json_object_get(cmd, "installPath"));
	if (strcmp(path, "/sftpbackupstorage/connect") == 0) {
		const char *sp = json_string_value(json_object_get(cmd, "storagePath"));
		if (sp == NULL || sp[0] != '/')
			return bs_fail("storagePath must be an absolute path");
		json_object_set_new(h->bs, "uuid", json_string(json_string_value(json_object_get(cmd,
		    "uuid")) ?: ""));
		json_object_set_new(h->bs, "storagePath", json_string(sp));
		return bs_capacity(h, json_pack("{s:b}", "success", 1));
	}
	if (strcmp(path, "/sftpbackupstorage/ping") == 0)
		return json_pack("{s:b, s:O?}", "success", 1, "uuid", json_object_get(h->bs, "uuid"));
	if (strcmp(path, "/sftpbackupstorage/download") == 0) {
		const char *url = json_string_value(json_object_get(cmd, "url"));
		if (url == NULL || ip == NULL || ip[0] != '/')
			return bs_fail("url and an absolute installPath are required");
		int64_t size = bs_url_size(url, "size", BS_DEFAULT_IMAGE);
		int64_t actual = bs_url_size(url, "actualSize", size);
		const char *fmt = json_string_value(json_object_get(cmd, "format"));
		json_object_set_new(images, ip, json_pack("{s:s, s:I, s:I}", "url", url,
		    "size", (json_int_t) size, "actualSize", (json_int_t) actual));
		return bs_capacity(h, json_pack("{s:b, s:s, s:I, s:I, s:s}", "success", 1, "installPath",
		    ip, "size", (json_int_t) size, "actualSize", (json_int_t) actual, "format",
		    fmt != NULL ? fmt : "qcow2"));
	}
	if (strcmp(path, "/sftpbackupstorage/delete") == 0) {
		if (ip == NULL)
			return bs_fail("installPath is required");
		json_object_del(images, ip);
		return bs_capacity(h, json_pack("{s:b}", "success", 1));
	}
	return NULL;
}
