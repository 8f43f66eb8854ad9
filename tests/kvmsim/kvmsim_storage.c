/*
 * kvmsim_storage.c: the primary storage paths of the simulated KVM agent. LocalStorage is
 * a disk of each host (SIM_LOCAL_DISK bytes) holding that host's volumes; NFS is a share
 * per URL (SIM_NFS_DISK bytes) holding volumes every host that mounted it sees. Files are
 * kept by install path with their size, so capacity answers count what is there, a
 * volume that does not fit is refused, and checkbits tells whether a file exists.
 *
 *   /localstorage/init                      {path}                -> totalCapacity, availableCapacity
 *   /localstorage/volume/createempty        {installUrl, size}
 *   /localstorage/volume/createvolumefromcache {installUrl, templatePathInCache, virtualSize}
 *   /localstorage/delete                    {path}                (a missing file is fine)
 *   /localstorage/checkbits                 {path}                -> existing
 *   /nfsprimarystorage/mount                {url, mountPath}      -> totalCapacity, availableCapacity
 *   /nfsprimarystorage/unmount              {url, mountPath}
 *   /nfsprimarystorage/getcapacity          {mountPath}
 *   /nfsprimarystorage/createemptyvolume    {installUrl, size}
 *   /nfsprimarystorage/createrootvolume     {installUrl, templatePathInCache, virtualSize}
 *   /nfsprimarystorage/delete               {installPath}
 *   /nfsprimarystorage/checkbits            {installPath}         -> existing
 *
 * State lives in s->storage: {"local": {HOST: {PATH: size}}, "nfs": {URL: {PATH: size}},
 * "mounts": {HOST: {MOUNTPATH: URL}}}; /sim/reset forgets it. Serving thread only.
 */
#include <stdio.h>
#include <string.h>

#include "kvmsim.h"

#define SIM_LOCAL_DISK (1ll << 40)   /* 1 TiB per host */
#define SIM_NFS_DISK (4ll << 40)     /* 4 TiB per share */

static json_t *
st_ok(void)
{
	return json_pack("{s:b}", "success", 1);
}

static json_t *
st_fail(const char *fmt, const char *a, const char *b)
{
	char why[512];
	snprintf(why, sizeof why, fmt, a, b);
	return json_pack("{s:b, s:s}", "success", 0, "error", why);
}

/* The object under key in o, made first when missing. */
static json_t *
st_sub(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (v == NULL) {
		v = json_object();
		json_object_set_new(o, key, v);
	}
	return v;
}

static json_int_t
st_used(const json_t *files)
{
	json_int_t used = 0;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *) files, k, v)
		used += json_integer_value(v);
	return used;
}

static const char *
st_str(const json_t *cmd, const char *a, const char *b)
{
	const char *v = json_string_value(json_object_get(cmd, a));
	return v != NULL || b == NULL ? v : json_string_value(json_object_get(cmd, b));
}

static json_int_t
st_size(const json_t *cmd)
{
	json_int_t n = json_integer_value(json_object_get(cmd, "size"));
	return n > 0 ? n : json_integer_value(json_object_get(cmd, "virtualSize"));
}

static json_t *
st_capacity(json_int_t total, const json_t *files)
{
	return json_pack("{s:b, s:I, s:I}", "success", 1, "totalCapacity", total,
	    "availableCapacity", total - st_used(files));
}

/* Puts a file of size at path in files (of a disk of total bytes); idempotent. */
static json_t *
st_create(json_t *files, json_int_t total, const json_t *cmd, const char *where)
{
	const char *path = st_str(cmd, "installUrl", "installPath");
	json_int_t size = st_size(cmd);
	if (path == NULL || path[0] != '/')
		return st_fail("installUrl is missing or not absolute%s%s", "", "");
	if (json_object_get(cmd, "templatePathInCache") != NULL &&
	    st_str(cmd, "templatePathInCache", NULL) == NULL)
		return st_fail("templatePathInCache is not a text%s%s", "", "");
	if (json_object_get(files, path) != NULL)
		return st_ok();
	if (size <= 0)
		return st_fail("size is missing for %s%s", path, "");
	if (st_used(files) + size > total)
		return st_fail("not enough space on %s for %s", where, path);
	json_object_set_new(files, path, json_integer(size));
	return st_ok();
}

/* The share host h mounted that holds path (its files), or NULL. */
static json_t *
st_nfs_of(sim *s, const sim_host *h, const char *path)
{
	json_t *mounts = json_object_get(json_object_get(s->storage, "mounts"), h->name);
	const char *mp;
	json_t *url;
	json_object_foreach(mounts, mp, url) {
		size_t n = strlen(mp);
		if (strncmp(path, mp, n) == 0 && (path[n] == '/' || path[n] == '\0'))
			return st_sub(st_sub(s->storage, "nfs"), json_string_value(url));
	}
	return NULL;
}

static json_t *
st_local(sim *s, sim_host *h, const char *path, const json_t *cmd)
{
	json_t *files = st_sub(st_sub(s->storage, "local"), h->name);
	if (strcmp(path, "/localstorage/init") == 0) {
		const char *p = st_str(cmd, "path", NULL);
		if (p == NULL || p[0] != '/')
			return st_fail("path \"%s\" is not an absolute folder%s", p != NULL ? p : "", "");
		return st_capacity(SIM_LOCAL_DISK, files);
	}
	if (strcmp(path, "/localstorage/volume/createempty") == 0 ||
	    strcmp(path, "/localstorage/volume/createvolumefromcache") == 0)
		return st_create(files, SIM_LOCAL_DISK, cmd, h->name);
	const char *p = st_str(cmd, "path", "installPath");
	if (p == NULL)
		return st_fail("path is missing%s%s", "", "");
	if (strcmp(path, "/localstorage/delete") == 0) {
		json_object_del(files, p);
		return st_ok();
	}
	if (strcmp(path, "/localstorage/checkbits") == 0)
		return json_pack("{s:b, s:b}", "success", 1, "existing", json_object_get(files, p) != NULL);
	return NULL;
}

static json_t *
st_nfs(sim *s, sim_host *h, const char *path, const json_t *cmd)
{
	if (strcmp(path, "/nfsprimarystorage/mount") == 0 ||
	    strcmp(path, "/nfsprimarystorage/unmount") == 0) {
		const char *url = st_str(cmd, "url", NULL), *mp = st_str(cmd, "mountPath", NULL);
		if (url == NULL || strchr(url, ':') == NULL || mp == NULL || mp[0] != '/')
			return st_fail("url \"%s\" (server:/export) or mountPath \"%s\" is not valid",
			    url != NULL ? url : "", mp != NULL ? mp : "");
		json_t *mounts = st_sub(st_sub(s->storage, "mounts"), h->name);
		if (path[19] == 'u') {
			json_object_del(mounts, mp);
			return st_ok();
		}
		json_object_set_new(mounts, mp, json_string(url));
		return st_capacity(SIM_NFS_DISK, st_sub(st_sub(s->storage, "nfs"), url));
	}
	const char *p = st_str(cmd, "installUrl", "installPath");
	if (strcmp(path, "/nfsprimarystorage/getcapacity") == 0)
		p = st_str(cmd, "mountPath", NULL);
	if (p == NULL)
		return st_fail("installPath is missing%s%s", "", "");
	json_t *files = st_nfs_of(s, h, p);
	if (files == NULL)
		return st_fail("%s is on no NFS share mounted on %s", p, h->name);
	if (strcmp(path, "/nfsprimarystorage/getcapacity") == 0)
		return st_capacity(SIM_NFS_DISK, files);
	if (strcmp(path, "/nfsprimarystorage/createemptyvolume") == 0 ||
	    strcmp(path, "/nfsprimarystorage/createrootvolume") == 0)
		return st_create(files, SIM_NFS_DISK, cmd, "the NFS share");
	if (strcmp(path, "/nfsprimarystorage/delete") == 0) {
		json_object_del(files, p);
		return st_ok();
	}
	if (strcmp(path, "/nfsprimarystorage/checkbits") == 0)
		return json_pack("{s:b, s:b}", "success", 1, "existing", json_object_get(files, p) != NULL);
	return NULL;
}

json_t *
sim_storage_run(sim *s, sim_host *h, const char *path, const json_t *cmd)
{
	if (s->storage == NULL)
		s->storage = json_object();
	if (strncmp(path, "/localstorage/", 14) == 0)
		return st_local(s, h, path, cmd);
	if (strncmp(path, "/nfsprimarystorage/", 19) == 0)
		return st_nfs(s, h, path, cmd);
	return NULL;
}

void
sim_storage_reset(sim *s)
{
	json_decref(s->storage);
	s->storage = NULL;
}
