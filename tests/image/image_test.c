/*
 * image_test.c: backup storages and images end to end: a zsnode with the built plugins and
 * a zs-kvmsim whose backup storage agents listen on 127.0.3.x (loopback only).
 * AddBackupStorage connects (capacity from the agent) and a failed connect leaves nothing;
 * zone attachments go with the zone, the backup storage stays; AddImage run as a job
 * reaches Ready with progress and takes the actual size off each backup storage exactly;
 * a failed, a hung (deadline) and a too large download leave no image, no capacity taken
 * and no file on the agent, and say why; of two concurrent images that fit only one at a
 * time exactly one is kept; Delete, Recover, Expunge (capacity given back); candidates for
 * VM creation; 40 images at once; the ping tracker (and an agent re-used elsewhere is
 * connected again); QueryBackupStorage and QueryImage (image_query.c); a second account
 * is refused on every method and changes nothing.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image_util.h"
#include "zst_sim.h"

#define GIB (1ll << 30)
#define MIB (1ll << 20)

static bool
wait_bs_status(inv *t, const char *uuid, const char *want, int ms, char *why, size_t len)
{
	int64_t until = zst_now_ms() + ms;
	do {
		Zs__Backupstorage__V1__BackupStorageInfo *b = NULL;
		bool ok = it_get_bs(t, t->admin, uuid, &b) == 0 && strcmp(b->status, want) == 0;
		if (b != NULL && why != NULL)
			snprintf(why, len, "%s", b->status_reason);
		zs_reply_free(b);
		if (ok)
			return true;
		zst_sleep_ms(50);
	} while (zst_now_ms() < until);
	return false;
}

/* Checks that a failed AddImage left nothing: same images, same capacity, no new file. */
static void
check_nothing_left(inv *t, const char *what, int images, const char *bs, long long avail,
    const char *host, size_t files)
{
	ZST_CHECK(it_count_images(t, t->admin) == images, "%s: no image is left", what);
	ZST_CHECK(it_avail(t, bs) == avail, "%s: no capacity is taken (%lld, was %lld)", what,
	    it_avail(t, bs), avail);
	ZST_CHECK(it_sim_images(host) == files, "%s: no file is left on the agent (%zu, was %zu)",
	    what, it_sim_images(host), files);
}

static void
test_second_account(inv *t, const char *bs, const char *image, const char *zone)
{
	char user[INV_SESSION], user_uuid[INV_UUID];
	if (!inv_account(t, "imguser", user, user_uuid))
		return;
	int bs_before = it_count_bs(t, t->admin, NULL), img_before = it_count_images(t, t->admin);
	long long avail = it_avail(t, bs);
	struct { const char *method; const ProtobufCMessageDescriptor *in, *out; } m[] = {
		{ BS_M "AddBackupStorage", &zs__backupstorage__v1__add_backup_storage_request__descriptor,
		  &zs__backupstorage__v1__backup_storage_info__descriptor },
		{ BS_M "GetBackupStorage", &zs__backupstorage__v1__get_backup_storage_request__descriptor,
		  &zs__backupstorage__v1__backup_storage_info__descriptor },
		{ BS_M "ListBackupStorages", &zs__backupstorage__v1__list_backup_storages_request__descriptor,
		  &zs__backupstorage__v1__list_backup_storages_response__descriptor },
		{ BS_M "UpdateBackupStorage", &zs__backupstorage__v1__update_backup_storage_request__descriptor,
		  &zs__backupstorage__v1__backup_storage_info__descriptor },
		{ BS_M "DeleteBackupStorage", &zs__backupstorage__v1__delete_backup_storage_request__descriptor,
		  &zs__backupstorage__v1__delete_backup_storage_response__descriptor },
		{ BS_M "AttachBackupStorageToZone",
		  &zs__backupstorage__v1__attach_backup_storage_to_zone_request__descriptor,
		  &zs__backupstorage__v1__backup_storage_info__descriptor },
		{ BS_M "DetachBackupStorageFromZone",
		  &zs__backupstorage__v1__detach_backup_storage_from_zone_request__descriptor,
		  &zs__backupstorage__v1__backup_storage_info__descriptor },
		{ BS_M "ReconnectBackupStorage", &zs__backupstorage__v1__reconnect_backup_storage_request__descriptor,
		  &zs__backupstorage__v1__backup_storage_info__descriptor },
		{ BS_M "PingBackupStorage", &zs__backupstorage__v1__ping_backup_storage_request__descriptor,
		  &zs__backupstorage__v1__backup_storage_info__descriptor },
		{ BS_M "ChangeBackupStorageState",
		  &zs__backupstorage__v1__change_backup_storage_state_request__descriptor,
		  &zs__backupstorage__v1__backup_storage_info__descriptor },
		{ BS_M "DownloadImage", &zs__backupstorage__v1__download_image_request__descriptor,
		  &zs__backupstorage__v1__download_image_response__descriptor },
		{ BS_M "DeleteImageBits", &zs__backupstorage__v1__delete_image_bits_request__descriptor,
		  &zs__backupstorage__v1__delete_image_bits_response__descriptor },
		{ IMG_M "AddImage", &zs__image__v1__add_image_request__descriptor,
		  &zs__image__v1__image_info__descriptor },
		{ IMG_M "GetImage", &zs__image__v1__get_image_request__descriptor,
		  &zs__image__v1__image_info__descriptor },
		{ IMG_M "ListImages", &zs__image__v1__list_images_request__descriptor,
		  &zs__image__v1__list_images_response__descriptor },
		{ IMG_M "UpdateImage", &zs__image__v1__update_image_request__descriptor,
		  &zs__image__v1__image_info__descriptor },
		{ IMG_M "DeleteImage", &zs__image__v1__delete_image_request__descriptor,
		  &zs__image__v1__image_info__descriptor },
		{ IMG_M "ExpungeImage", &zs__image__v1__expunge_image_request__descriptor,
		  &zs__image__v1__expunge_image_response__descriptor },
		{ IMG_M "RecoverImage", &zs__image__v1__recover_image_request__descriptor,
		  &zs__image__v1__image_info__descriptor },
		{ IMG_M "GetImageCandidates", &zs__image__v1__get_image_candidates_request__descriptor,
		  &zs__image__v1__get_image_candidates_response__descriptor },
	};
	int refused = 0;
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		/* a request with every field a real caller would fill: uuids, names, the state event */
		ProtobufCMessage *req = calloc(1, m[i].in->sizeof_message);
		m[i].in->message_init(req);
		char *bsl[1] = { (char *) bs };
		for (unsigned f = 0; f < m[i].in->n_fields; f++) {
			const ProtobufCFieldDescriptor *fd = &m[i].in->fields[f];
			char *at = (char *) req + fd->offset;
			const char *v = strcmp(fd->name, "uuid") == 0 ? (strncmp(m[i].method, IMG_M,
			    strlen(IMG_M)) == 0 ? image : bs) : strcmp(fd->name, "backup_storage_uuid") == 0 ? bs :
			    strcmp(fd->name, "zone_uuid") == 0 ? zone : strcmp(fd->name, "image_uuid") == 0 ? image :
			    strcmp(fd->name, "state_event") == 0 ? "disable" : strcmp(fd->name, "hostname") == 0 ?
			    "127.0.3.9" : strcmp(fd->name, "url") == 0 ? (strncmp(m[i].method, IMG_M,
			    strlen(IMG_M)) == 0 ? "http://127.0.0.1/u.qcow2" : "/u") :
			    strcmp(fd->name, "format") == 0 ? "qcow2" : strcmp(fd->name, "install_path") == 0 ?
			    "/bs1/x" : fd->type == PROTOBUF_C_TYPE_STRING && fd->label != PROTOBUF_C_LABEL_REPEATED ?
			    "x" : NULL;
			if (strcmp(fd->name, "backup_storage_uuids") == 0) {
				*(size_t *) (void *) ((char *) req + fd->quantifier_offset) = 1;
				*(char ***) (void *) at = bsl;
			} else if (v != NULL && fd->type == PROTOBUF_C_TYPE_STRING) {
				*(const char **) (void *) at = v;
				if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
					*(uint32_t *) (void *) ((char *) req + fd->quantifier_offset) = fd->id;
			} else if (fd->type == PROTOBUF_C_TYPE_INT64) {
				*(int64_t *) (void *) at = GIB;
			}
		}
		int code = inv_call(t, user, m[i].method, req, m[i].out, NULL);
		/* reading images is for everyone: an image that is not public does not exist for it */
		bool read = strcmp(m[i].method, IMG_M "GetImage") == 0 ||
		    strcmp(m[i].method, IMG_M "GetImageCandidates") == 0;
		bool ok = strcmp(m[i].method, IMG_M "ListImages") == 0 ? code == 0 :
		    read ? code == INV_NOT_FOUND : code == INV_PERMISSION_DENIED &&
		    (strcmp(t->error_code, "BACKUPSTORAGE.1003") == 0 || strcmp(t->error_code, "IMAGE.1001") == 0);
		ZST_CHECK(ok, "another account: %s is %s (%s %s)", m[i].method, read ? "NOT_FOUND" :
		    strstr(m[i].method, "ListImages") ? "OK" : "PERMISSION_DENIED", t->error_code, t->msg);
		refused += ok;
		free(req);
	}
	ZST_CHECK(refused == (int) (sizeof m / sizeof m[0]), "all %zu methods refuse another account "
	    "(reads find nothing)", sizeof m / sizeof m[0]);
	ZST_CHECK(it_count_images(t, user) == 0, "ListImages shows it no image (none is public)");
	it_check_query_user(t, user, image, false);
	Zs__Backupstorage__V1__BackupStorageInfo *b = NULL;
	ZST_CHECK(it_count_bs(t, t->admin, NULL) == bs_before && it_count_images(t, t->admin) == img_before &&
	    it_avail(t, bs) == avail && it_get_bs(t, t->admin, bs, &b) == 0 &&
	    strcmp(b->state, "Enabled") == 0 && strcmp(b->name, "bs1-renamed") == 0 &&
	    b->n_attached_zone_uuids == 1,
	    "and nothing changed: backup storages, images, capacity, state, name, zones");
	zs_reply_free(b);

	/* a public image: every account sees it and where it is, and still cannot change it */
	Zs__Image__V1__UpdateImageRequest uq = ZS__IMAGE__V1__UPDATE_IMAGE_REQUEST__INIT;
	uq.uuid = (char *) image;
	uq._is_public_case = ZS__IMAGE__V1__UPDATE_IMAGE_REQUEST___IS_PUBLIC_IS_PUBLIC;
	uq.is_public = 1;
	Zs__Image__V1__ImageInfo *img = NULL;
	ZST_CHECK(inv_call(t, t->admin, IMG_M "UpdateImage", &uq, &zs__image__v1__image_info__descriptor,
	    &img) == 0 && img->is_public, "the admin makes the image public (%s)", t->msg);
	zs_reply_free(img);
	img = NULL;
	Zs__Image__V1__GetImageRequest gq = ZS__IMAGE__V1__GET_IMAGE_REQUEST__INIT;
	gq.uuid = (char *) image;
	ZST_CHECK(it_count_images(t, user) == 1 && inv_call(t, user, IMG_M "GetImage", &gq,
	    &zs__image__v1__image_info__descriptor, &img) == 0 && strcmp(img->uuid, image) == 0,
	    "the other account now lists and gets it (%s)", t->msg);
	zs_reply_free(img);
	it_check_query_user(t, user, image, true);
	Zs__Image__V1__GetImageCandidatesRequest cq = ZS__IMAGE__V1__GET_IMAGE_CANDIDATES_REQUEST__INIT;
	cq.image_uuid = (char *) image;
	cq.zone_uuid = (char *) zone;
	Zs__Image__V1__GetImageCandidatesResponse *cr = NULL;
	ZST_CHECK(inv_call(t, user, IMG_M "GetImageCandidates", &cq,
	    &zs__image__v1__get_image_candidates_response__descriptor, &cr) == 0 && cr->n_candidates == 1 &&
	    strcmp(cr->candidates[0]->backup_storage_uuid, bs) == 0,
	    "and where it is Ready in its zone, for a VM of its own (%s)", t->msg);
	zs_reply_free(cr);
	ZST_CHECK(it_image_uuid_call(t, user, "DeleteImage", image) == INV_PERMISSION_DENIED &&
	    strcmp(t->error_code, "IMAGE.1001") == 0, "but it cannot delete it (%s)", t->msg);
}

int
main(int argc, char **argv)
{
	if (zst_init(argc, argv, "image", 200) != 0 || argc < 4)
		return 1;
	int64_t t0 = zst_now_ms();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	it_sim_port = zst_sim_start(argv[3]);
	it_sim_do("POST", "/sim/hosts", "{\"hosts\":[{\"name\":\"bs1\",\"ip\":\"127.0.3.1\","
	    "\"bsCapacity\":\"100G\"},{\"name\":\"bs2\",\"ip\":\"127.0.3.2\",\"bsCapacity\":\"10G\"},"
	    "{\"name\":\"bs3\",\"ip\":\"127.0.3.3\"}]}");
	char port[64];
	snprintf(port, sizeof port, "SftpBackupStorage.port=%d", it_sim_port);
	const char *sets[] = { port, "backupstorage.ping.interval=200",
	    "backupstorage.ping.timeout=1000", NULL };
	inv t;
	ZST_REQUIRE(it_start(&t, sets), "a node with the backup storage and image services starts");
	inv_events ev;
	it_events_open(&ev, t.node.events_url);

	/* ---- backup storages ---- */
	Zs__Backupstorage__V1__BackupStorageInfo *b = NULL;
	int code = it_add_bs(&t, t.admin, "bs1", "127.0.3.1", "/bs1", &b);
	ZST_REQUIRE(code == 0, "AddBackupStorage bs1 on 127.0.3.1 (%s)", t.msg);
	char bs1[INV_UUID], bs2[INV_UUID];
	snprintf(bs1, sizeof bs1, "%s", b->uuid);
	ZST_CHECK(strcmp(b->status, "Connected") == 0 && strcmp(b->state, "Enabled") == 0 &&
	    strcmp(b->type, "Sftp") == 0, "it is Sftp, Enabled and Connected (%s %s %s)", b->type,
	    b->state, b->status);
	ZST_CHECK(b->total_capacity == 100 * GIB && b->available_capacity == 100 * GIB,
	    "its capacity comes from the agent: 100 GiB total and available (%lld, %lld)",
	    (long long) b->total_capacity, (long long) b->available_capacity);
	zs_reply_free(b);
	ZST_CHECK(inv_events_has(&ev, "backupstorage/created", bs1, INV_EVENT_WAIT_MS) &&
	    inv_events_has(&ev, "backupstorage/connected", bs1, INV_EVENT_WAIT_MS),
	    "backupstorage/created and backupstorage/connected went out");

	it_sim_do("POST", "/sim/faults", "{\"host\":\"bs3\",\"path\":\"/sftpbackupstorage/connect\","
	    "\"action\":\"fail\",\"error\":\"no such folder\"}");
	code = it_add_bs(&t, t.admin, "bs3", "127.0.3.3", "/bs3", NULL);
	ZST_CHECK(code != 0 && strcmp(t.error_code, "BACKUPSTORAGE.1001") == 0 &&
	    strstr(t.msg, "no such folder") != NULL && strstr(t.msg, "/sftpbackupstorage/connect") != NULL,
	    "a failing connect: BACKUPSTORAGE.1001 with the agent's error and the path (%s)", t.msg);
	ZST_CHECK(it_count_bs(&t, t.admin, NULL) == 1, "and nothing of it is left");
	it_sim_do("DELETE", "/sim/faults", NULL);
	code = it_add_bs(&t, t.admin, "again", "127.0.3.1", "/x", NULL);
	ZST_CHECK(code == INV_ALREADY_EXISTS && strcmp(t.error_code, "BACKUPSTORAGE.1008") == 0,
	    "a second one on the same hostname: ALREADY_EXISTS (%s)", t.msg);
	ZST_CHECK(it_add_bs(&t, t.admin, "bad", "bs.example", "/x", NULL) == INV_INVALID_ARGUMENT &&
	    it_add_bs(&t, t.admin, "bad", "127.0.3.3", "relative", NULL) == INV_INVALID_ARGUMENT,
	    "a hostname that is no address, a url that is no absolute path: INVALID_ARGUMENT (%s)", t.msg);
	b = NULL;
	ZST_REQUIRE(it_add_bs(&t, t.admin, "bs2", "127.0.3.2", "/bs2", &b) == 0 &&
	    b->total_capacity == 10 * GIB, "bs2 with 10 GiB (%s)", t.msg);
	snprintf(bs2, sizeof bs2, "%s", b->uuid);
	zs_reply_free(b);

	/* zones */
	char zone[INV_UUID], zone2[INV_UUID];
	ZST_REQUIRE(inv_zone_create(&t, t.admin, "z1", zone) == 0 &&
	    inv_zone_create(&t, t.admin, "z2", zone2) == 0, "two zones");
	Zs__Backupstorage__V1__AttachBackupStorageToZoneRequest at =
	    ZS__BACKUPSTORAGE__V1__ATTACH_BACKUP_STORAGE_TO_ZONE_REQUEST__INIT;
	at.backup_storage_uuid = bs1;
	at.zone_uuid = zone;
	b = NULL;
	code = inv_call(&t, t.admin, BS_M "AttachBackupStorageToZone", &at,
	    &zs__backupstorage__v1__backup_storage_info__descriptor, &b);
	ZST_CHECK(code == 0 && b->n_attached_zone_uuids == 1 && strcmp(b->attached_zone_uuids[0], zone) == 0,
	    "bs1 attached to z1 lists it (%s)", t.msg);
	zs_reply_free(b);
	at.zone_uuid = zone2;
	ZST_CHECK(inv_call(&t, t.admin, BS_M "AttachBackupStorageToZone", &at,
	    &zs__backupstorage__v1__backup_storage_info__descriptor, NULL) == 0, "and to z2");
	ZST_CHECK(inv_events_has(&ev, "backupstorage/attached", bs1, INV_EVENT_WAIT_MS),
	    "backupstorage/attached went out");
	ZST_CHECK(it_count_bs(&t, t.admin, zone) == 1 && it_count_bs(&t, t.admin, NULL) == 2,
	    "ListBackupStorages of z1 has bs1 only; of all, both");
	at.zone_uuid = "00000000-0000-4000-8000-000000000000";
	ZST_CHECK(inv_call(&t, t.admin, BS_M "AttachBackupStorageToZone", &at,
	    &zs__backupstorage__v1__backup_storage_info__descriptor, NULL) == INV_NOT_FOUND,
	    "to a zone that does not exist: NOT_FOUND (%s)", t.msg);
	Zs__Backupstorage__V1__DetachBackupStorageFromZoneRequest dt =
	    ZS__BACKUPSTORAGE__V1__DETACH_BACKUP_STORAGE_FROM_ZONE_REQUEST__INIT;
	dt.backup_storage_uuid = bs2;
	dt.zone_uuid = zone;
	ZST_CHECK(inv_call(&t, t.admin, BS_M "DetachBackupStorageFromZone", &dt,
	    &zs__backupstorage__v1__backup_storage_info__descriptor, NULL) == 9 &&
	    strcmp(t.error_code, "BACKUPSTORAGE.1009") == 0,
	    "detaching what is not attached: FAILED_PRECONDITION (%s)", t.msg);

	/* ---- AddImage as a job: Ready, capacity taken exactly ---- */
	const char *both[2] = { bs1, bs2 };
	Zs__Image__V1__ImageInfo *img = NULL;
	int progress = 0;
	int64_t s = zst_now_ms();
	code = it_add_image(&t, "cirros", "http://127.0.0.1/cirros.qcow2?size=2G&actualSize=500M", both, 2,
	    0, &img, &progress);
	ZST_REQUIRE(code == 0, "AddImage cirros on bs1 and bs2 as a job (%s)", t.msg);
	printf("# AddImage on 2 backup storages as a job: %lld ms\n", (long long) (zst_now_ms() - s));
	char cirros[INV_UUID];
	snprintf(cirros, sizeof cirros, "%s", img->uuid);
	ZST_CHECK(strcmp(img->status, "Ready") == 0 && img->size == 2 * GIB && img->actual_size == 500 * MIB &&
	    strcmp(img->media_type, "RootVolumeTemplate") == 0 && strcmp(img->platform, "Linux") == 0,
	    "it is Ready, 2 GiB, 500 MiB actual, a Linux root volume template (%s %lld %lld)", img->status,
	    (long long) img->size, (long long) img->actual_size);
	ZST_CHECK(img->n_backup_storage_refs == 2 && strcmp(img->backup_storage_refs[0]->status, "Ready") == 0 &&
	    strcmp(img->backup_storage_refs[1]->status, "Ready") == 0 &&
	    strncmp(img->backup_storage_refs[0]->install_path, "/bs", 3) == 0 &&
	    strstr(img->backup_storage_refs[0]->install_path, cirros) != NULL,
	    "Ready on both, with install paths under each folder (%s)",
	    img->n_backup_storage_refs ? img->backup_storage_refs[0]->install_path : "");
	zs_reply_free(img);
	ZST_CHECK(progress >= 1, "progress was reported (%d reports)", progress);
	ZST_CHECK(it_avail(&t, bs1) == 100 * GIB - 500 * MIB && it_avail(&t, bs2) == 10 * GIB - 500 * MIB,
	    "each backup storage has exactly 500 MiB less available (%lld, %lld)", it_avail(&t, bs1),
	    it_avail(&t, bs2));
	ZST_CHECK(it_sim_images("bs1") == 1 && it_sim_images("bs2") == 1, "each agent keeps the file");
	ZST_CHECK(inv_events_has(&ev, "image/created", cirros, INV_EVENT_WAIT_MS) &&
	    inv_events_has(&ev, "image/ready", cirros, INV_EVENT_WAIT_MS) &&
	    inv_events_has(&ev, "backupstorage/capacityChanged", bs1, INV_EVENT_WAIT_MS),
	    "image/created, image/ready and backupstorage/capacityChanged went out");

	/* candidates for VM creation */
	Zs__Image__V1__GetImageCandidatesRequest cq = ZS__IMAGE__V1__GET_IMAGE_CANDIDATES_REQUEST__INIT;
	cq.image_uuid = cirros;
	cq.zone_uuid = zone;
	Zs__Image__V1__GetImageCandidatesResponse *cr = NULL;
	code = inv_call(&t, t.admin, IMG_M "GetImageCandidates", &cq,
	    &zs__image__v1__get_image_candidates_response__descriptor, &cr);
	ZST_CHECK(code == 0 && cr->n_candidates == 1 && strcmp(cr->candidates[0]->backup_storage_uuid, bs1) == 0 &&
	    strcmp(cr->candidates[0]->hostname, "127.0.3.1") == 0 && cr->candidates[0]->actual_size == 500 * MIB &&
	    cr->candidates[0]->install_path[0] == '/',
	    "GetImageCandidates in z1: bs1 only, with host, install path and size (%s)", t.msg);
	zs_reply_free(cr);
	cq.zone_uuid = "";
	cr = NULL;
	code = inv_call(&t, t.admin, IMG_M "GetImageCandidates", &cq,
	    &zs__image__v1__get_image_candidates_response__descriptor, &cr);
	ZST_CHECK(code == 0 && cr->n_candidates == 2, "in any zone: both (%s)", t.msg);
	zs_reply_free(cr);

	/* what AddImage refuses before anything is made */
	int images_now = it_count_images(&t, t.admin);
	const char *dup[2] = { bs1, bs1 };
	const char *ghost[1] = { "00000000-0000-4000-8000-000000000000" };
	const char *one[1] = { bs1 };
	ZST_CHECK(it_add_image(&t, "x", "http://127.0.0.1/x.qcow2", dup, 2, 0, NULL, NULL) ==
	    INV_INVALID_ARGUMENT && strstr(t.msg, "twice") != NULL,
	    "a backup storage named twice: INVALID_ARGUMENT (%s)", t.msg);
	ZST_CHECK(it_add_image(&t, "x", "http://127.0.0.1/x.qcow2", NULL, 0, 0, NULL, NULL) ==
	    INV_INVALID_ARGUMENT, "no backup storage: INVALID_ARGUMENT (%s)", t.msg);
	ZST_CHECK(it_add_image(&t, "x", "gopher://127.0.0.1/x", one, 1, 0, NULL, NULL) ==
	    INV_INVALID_ARGUMENT && strstr(t.msg, "url") != NULL, "a URL of no known scheme: "
	    "INVALID_ARGUMENT naming url (%s)", t.msg);
	ZST_CHECK(it_add_image(&t, "x", "http://127.0.0.1/x.qcow2", ghost, 1, 0, NULL, NULL) ==
	    INV_NOT_FOUND && strstr(t.msg, ghost[0]) != NULL,
	    "a backup storage that does not exist: NOT_FOUND naming it (%s)", t.msg);
	ZST_CHECK(it_count_images(&t, t.admin) == images_now, "and none of them made an image");

	/* ---- failures leave nothing and say why ---- */
	long long a1 = it_avail(&t, bs1);
	size_t deletes = it_sim_count("bs1", "/sftpbackupstorage/delete");
	it_sim_do("POST", "/sim/faults", "{\"host\":\"bs1\",\"path\":\"/sftpbackupstorage/download\","
	    "\"action\":\"fail\",\"error\":\"disk on fire\",\"times\":1}");
	code = it_add_image(&t, "burnt", "http://127.0.0.1/burnt.qcow2", one, 1, 0, NULL, NULL);
	ZST_CHECK(code != 0 && strcmp(t.error_code, "IMAGE.1002") == 0 && strstr(t.msg, "disk on fire") &&
	    strstr(t.msg, bs1) && strstr(t.msg, "/sftpbackupstorage/download") &&
	    strstr(t.msg, "/bs1/rootVolumeTemplates/"),
	    "a failed download: the job fails with IMAGE.1002, the agent's error, the backup storage "
	    "and the path (%s)", t.msg);
	check_nothing_left(&t, "after the failed download", 1, bs1, a1, "bs1", 1);
	ZST_CHECK(it_sim_count("bs1", "/sftpbackupstorage/delete") == deletes + 1,
	    "and the install path was deleted on the agent");

	it_sim_do("POST", "/sim/faults", "{\"host\":\"bs1\",\"path\":\"/sftpbackupstorage/download\","
	    "\"action\":\"hang\",\"times\":1}");
	s = zst_now_ms();
	code = it_add_image(&t, "hung", "http://127.0.0.1/hung.qcow2", one, 1, 2500, NULL, NULL);
	int64_t took = zst_now_ms() - s;
	ZST_CHECK(code == 4 && strcmp(t.error_code, "IMAGE.1002") == 0 && strstr(t.msg, bs1) != NULL &&
	    strstr(t.msg, "/sftpbackupstorage/download") != NULL && took < 4500,
	    "a hung download: the job fails DEADLINE_EXCEEDED, IMAGE.1002, naming the backup storage "
	    "and path, within its 2.5 s deadline (%lld ms; %s)", (long long) took, t.msg);
	check_nothing_left(&t, "after the hung download", 1, bs1, a1, "bs1", 1);

	/* NO capacity: 20G on a 10G backup storage */
	long long a2 = it_avail(&t, bs2);
	const char *only2[1] = { bs2 };
	code = it_add_image(&t, "huge", "http://127.0.0.1/huge.raw?size=20G", only2, 1, 0, NULL, NULL);
	ZST_CHECK(code == 8 && strcmp(t.error_code, "IMAGE.1002") == 0 && strstr(t.msg, "available") &&
	    strstr(t.msg, bs2),
	    "an image larger than the capacity: RESOURCE_EXHAUSTED, saying what is available (%s)", t.msg);
	check_nothing_left(&t, "after NO capacity", 1, bs2, a2, "bs2", 1);

	/* two at once that fit only one at a time: exactly one is kept */
	Zs__Image__V1__AddImageRequest rq = ZS__IMAGE__V1__ADD_IMAGE_REQUEST__INIT;
	rq.name = "six";
	rq.url = "http://127.0.0.1/six.qcow2?size=6G";
	rq.format = "qcow2";
	rq.n_backup_storage_uuids = 1;
	rq.backup_storage_uuids = (char **) only2;
	char jobs[2][ZS_JOB_UUID_LEN];
	zs_call_opts jo = { .timeout_ms = 20000, .session = t.admin };
	int started = 0, kept = 0;
	for (int i = 0; i < 2; i++) {
		zs_status *st = NULL;
		started += zs_client_start_job(t.client, IMG_M "AddImage", &rq.base, jobs[i], &st, &jo) == 0;
		zs_status_free(st);
	}
	for (int i = 0; i < started; i++) {
		zs_status *st = NULL;
		ProtobufCMessage *r = NULL;
		kept += zs_client_wait_job(t.client, jobs[i], &zs__image__v1__image_info__descriptor, &r, &st,
		    NULL, NULL, &jo) == 0;
		zs_reply_free(r);
		zs_status_free(st);
	}
	ZST_CHECK(started == 2 && kept == 1 && it_avail(&t, bs2) == a2 - 6 * GIB && it_sim_images("bs2") == 2,
	    "two 6 GiB images at once on %lld bytes: exactly one is kept and its size taken (%d kept, "
	    "%lld available)", a2, kept, it_avail(&t, bs2));

	/* many at once on one backup storage: all Ready, the capacity taken exactly */
	enum { MANY = 40 };
	long long before = it_avail(&t, bs1);
	rq.name = "many";
	rq.url = "http://127.0.0.1/many.qcow2?size=1G&actualSize=100M";
	rq.backup_storage_uuids = (char **) one;
	char many[MANY][ZS_JOB_UUID_LEN];
	started = kept = 0;
	s = zst_now_ms();
	for (int i = 0; i < MANY; i++) {
		zs_status *st = NULL;
		started += zs_client_start_job(t.client, IMG_M "AddImage", &rq.base, many[i], &st, &jo) == 0;
		zs_status_free(st);
	}
	for (int i = 0; i < started; i++) {
		zs_status *st = NULL;
		ProtobufCMessage *r = NULL;
		kept += zs_client_wait_job(t.client, many[i], &zs__image__v1__image_info__descriptor, &r, &st,
		    NULL, NULL, &jo) == 0 && strcmp(((Zs__Image__V1__ImageInfo *) r)->status, "Ready") == 0;
		zs_reply_free(r);
		zs_status_free(st);
	}
	printf("# %d AddImage jobs at once on one backup storage: %lld ms\n", MANY,
	    (long long) (zst_now_ms() - s));
	ZST_CHECK(kept == MANY && it_avail(&t, bs1) == before - MANY * 100 * MIB &&
	    it_sim_images("bs1") == 1 + MANY,
	    "%d images at once: all Ready, exactly %d x 100 MiB taken (%d; %lld -> %lld)", MANY, MANY,
	    kept, before, it_avail(&t, bs1));

	/* one of two backup storages failing: Ready on the other, the failed one said so */
	it_sim_do("POST", "/sim/faults", "{\"host\":\"bs2\",\"path\":\"/sftpbackupstorage/download\","
	    "\"action\":\"http\",\"status\":503,\"error\":\"busy\",\"times\":1}");
	img = NULL;
	code = it_add_image(&t, "half", "http://127.0.0.1/half.qcow2?size=1G", both, 2, 0, &img, NULL);
	ZST_CHECK(code == 0 && strcmp(img->status, "Ready") == 0 && img->n_backup_storage_refs == 2 &&
	    strcmp(img->backup_storage_refs[0]->status, "Ready") == 0 &&
	    strcmp(img->backup_storage_refs[1]->status, "Failed") == 0 &&
	    strstr(img->backup_storage_refs[1]->error, "503") != NULL,
	    "bs2 failing: Ready on bs1, bs2's copy Failed with why (%s; %s)", t.msg,
	    img != NULL && img->n_backup_storage_refs > 1 ? img->backup_storage_refs[1]->error : "");
	char half[INV_UUID] = "";
	if (img != NULL)
		snprintf(half, sizeof half, "%s", img->uuid);
	zs_reply_free(img);
	img = NULL;
	ZST_CHECK(it_get_image(&t, half, &img) == 0 && img->n_backup_storage_refs == 1,
	    "GetImage shows only the copy that made it");
	zs_reply_free(img);

	/* ---- Delete, Recover, Expunge ---- */
	a1 = it_avail(&t, bs1);
	a2 = it_avail(&t, bs2);
	ZST_CHECK(it_image_uuid_call(&t, t.admin, "ExpungeImage", cirros) == 9,
	    "a Ready image cannot be expunged (%s)", t.msg);
	ZST_CHECK(it_image_uuid_call(&t, t.admin, "DeleteImage", cirros) == 0 &&
	    it_get_image(&t, cirros, &img) == 0 && strcmp(img->status, "Deleted") == 0,
	    "DeleteImage: Deleted (%s)", t.msg);
	zs_reply_free(img);
	img = NULL;
	ZST_CHECK(it_avail(&t, bs1) == a1, "a Deleted image still holds its capacity");
	ZST_CHECK(it_image_uuid_call(&t, t.admin, "RecoverImage", cirros) == 0 &&
	    it_get_image(&t, cirros, &img) == 0 && strcmp(img->status, "Ready") == 0,
	    "RecoverImage: Ready again (%s)", t.msg);
	zs_reply_free(img);
	ZST_CHECK(it_image_uuid_call(&t, t.admin, "DeleteImage", cirros) == 0 &&
	    it_image_uuid_call(&t, t.admin, "ExpungeImage", cirros) == 0, "Delete and Expunge (%s)", t.msg);
	ZST_CHECK(it_get_image(&t, cirros, NULL) == INV_NOT_FOUND, "the image is gone");
	ZST_CHECK(it_avail(&t, bs1) == a1 + 500 * MIB && it_avail(&t, bs2) == a2 + 500 * MIB,
	    "each backup storage has its 500 MiB back exactly (%lld, %lld)", it_avail(&t, bs1),
	    it_avail(&t, bs2));
	ZST_CHECK(inv_events_has(&ev, "image/deleted", cirros, INV_EVENT_WAIT_MS) &&
	    inv_events_has(&ev, "image/expunged", cirros, INV_EVENT_WAIT_MS),
	    "image/deleted and image/expunged went out");

	/* a Downloading image may be expunged (one a stopped node left): the download still
	 * running then finds it gone and gives back what it took */
	a1 = it_avail(&t, bs1);
	size_t files = it_sim_images("bs1");
	it_sim_do("POST", "/sim/faults", "{\"host\":\"bs1\",\"path\":\"/sftpbackupstorage/download\","
	    "\"action\":\"delay\",\"delayMs\":1500,\"times\":1}");
	rq.name = "late";
	rq.url = "http://127.0.0.1/late.qcow2?size=3G";
	rq.backup_storage_uuids = (char **) one;
	char late_job[ZS_JOB_UUID_LEN], late[INV_UUID] = "";
	zs_status *lst = NULL;
	ZST_CHECK(zs_client_start_job(t.client, IMG_M "AddImage", &rq.base, late_job, &lst, &jo) == 0,
	    "AddImage late as a job, its agent slow");
	zs_status_free(lst);
	lst = NULL;
	Zs__Image__V1__ListImagesRequest lq = ZS__IMAGE__V1__LIST_IMAGES_REQUEST__INIT;
	for (int64_t until = zst_now_ms() + 5000; late[0] == '\0' && zst_now_ms() < until;) {
		Zs__Image__V1__ListImagesResponse *lr = NULL;
		if (inv_call(&t, t.admin, IMG_M "ListImages", &lq, &zs__image__v1__list_images_response__descriptor,
		    &lr) == 0)
			for (size_t i = 0; i < lr->n_images; i++)
				if (strcmp(lr->images[i]->name, "late") == 0 &&
				    strcmp(lr->images[i]->status, "Downloading") == 0)
					snprintf(late, sizeof late, "%s", lr->images[i]->uuid);
		zs_reply_free(lr);
		if (late[0] == '\0')
			zst_sleep_ms(20);
	}
	ZST_CHECK(late[0] != '\0' && it_image_uuid_call(&t, t.admin, "ExpungeImage", late) == 0 &&
	    it_get_image(&t, late, NULL) == INV_NOT_FOUND,
	    "ExpungeImage of the Downloading image removes it (%s)", t.msg);
	ProtobufCMessage *lr = NULL;
	code = zs_client_wait_job(t.client, late_job, &zs__image__v1__image_info__descriptor, &lr, &lst,
	    NULL, NULL, &jo);
	ZST_CHECK(code == INV_NOT_FOUND && lst != NULL && strstr(lst->message, "expunged") != NULL,
	    "the job then fails, saying the image was expunged (%s)", lst != NULL ? lst->message : "");
	zs_reply_free(lr);
	zs_status_free(lst);
	for (int64_t until = zst_now_ms() + 5000; (it_avail(&t, bs1) != a1 || it_sim_images("bs1") != files) &&
	    zst_now_ms() < until;)
		zst_sleep_ms(50);
	ZST_CHECK(it_avail(&t, bs1) == a1 && it_sim_images("bs1") == files,
	    "and what its download took is given back: capacity and file (%lld, was %lld)",
	    it_avail(&t, bs1), a1);

	/* ---- state, ping tracker ---- */
	Zs__Backupstorage__V1__ChangeBackupStorageStateRequest cs =
	    ZS__BACKUPSTORAGE__V1__CHANGE_BACKUP_STORAGE_STATE_REQUEST__INIT;
	cs.uuid = bs2;
	cs.state_event = "disable";
	ZST_CHECK(inv_call(&t, t.admin, BS_M "ChangeBackupStorageState", &cs,
	    &zs__backupstorage__v1__backup_storage_info__descriptor, NULL) == 0, "disable bs2");
	code = it_add_image(&t, "nope", "http://127.0.0.1/n.qcow2", only2, 1, 0, NULL, NULL);
	ZST_CHECK(code == 9 && strcmp(t.error_code, "IMAGE.1003") == 0,
	    "AddImage on a Disabled backup storage: FAILED_PRECONDITION, IMAGE.1003 (%s)", t.msg);
	cs.state_event = "enable";
	ZST_CHECK(inv_call(&t, t.admin, BS_M "ChangeBackupStorageState", &cs,
	    &zs__backupstorage__v1__backup_storage_info__descriptor, NULL) == 0, "enable bs2");
	it_sim_do("POST", "/sim/faults", "{\"host\":\"bs2\",\"path\":\"/sftpbackupstorage/ping\","
	    "\"action\":\"fail\",\"error\":\"agent wedged\"}");
	char why[512] = "";
	ZST_CHECK(wait_bs_status(&t, bs2, "Disconnected", 10000, why, sizeof why) &&
	    strstr(why, "agent wedged") != NULL,
	    "bs2 failing its pings becomes Disconnected, saying why (%s)", why);
	ZST_CHECK(inv_events_has(&ev, "backupstorage/disconnected", bs2, INV_EVENT_WAIT_MS),
	    "backupstorage/disconnected went out");
	code = it_add_image(&t, "nope", "http://127.0.0.1/n.qcow2", only2, 1, 0, NULL, NULL);
	ZST_CHECK(code == 9 && strcmp(t.error_code, "IMAGE.1003") == 0 && strstr(t.msg, "wedged"),
	    "AddImage on a Disconnected backup storage: IMAGE.1003 with why (%s)", t.msg);
	Zs__Backupstorage__V1__PingBackupStorageRequest pq = ZS__BACKUPSTORAGE__V1__PING_BACKUP_STORAGE_REQUEST__INIT;
	pq.uuid = bs2;
	ZST_CHECK(inv_call(&t, t.admin, BS_M "PingBackupStorage", &pq,
	    &zs__backupstorage__v1__backup_storage_info__descriptor, NULL) == 10 &&
	    strcmp(t.error_code, "BACKUPSTORAGE.1010") == 0, "PingBackupStorage fails too (%s)", t.msg);
	it_sim_do("DELETE", "/sim/faults", NULL);
	ZST_CHECK(wait_bs_status(&t, bs2, "Connected", 10000, NULL, 0),
	    "with the fault gone the tracker connects bs2 again");
	b = NULL;
	ZST_CHECK(inv_call(&t, t.admin, BS_M "PingBackupStorage", &pq,
	    &zs__backupstorage__v1__backup_storage_info__descriptor, &b) == 0 &&
	    strcmp(b->status, "Connected") == 0, "PingBackupStorage answers Connected (%s)", t.msg);
	zs_reply_free(b);

	/* an agent answering pings with another uuid (re-used, or another node's) is connected again */
	size_t connects = it_sim_count("bs2", "/sftpbackupstorage/connect");
	{
		char url[128];
		snprintf(url, sizeof url, "http://127.0.3.2:%d/sftpbackupstorage/connect", it_sim_port);
		CURL *c = curl_easy_init();
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{\"uuid\":\"someone-else\",\"storagePath\":\"/x\"}");
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, zst_sim_buf_write);
		zst_sim_buf sink = { 0 };
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
		curl_easy_perform(c);
		curl_easy_cleanup(c);
		free(sink.p);
	}
	int64_t until = zst_now_ms() + 10000;
	while (it_sim_count("bs2", "/sftpbackupstorage/connect") < connects + 2 && zst_now_ms() < until)
		zst_sleep_ms(50);
	ZST_CHECK(it_sim_count("bs2", "/sftpbackupstorage/connect") >= connects + 2 &&
	    wait_bs_status(&t, bs2, "Connected", 10000, NULL, 0),
	    "an agent answering pings with another uuid is connected again by the tracker");

	/* Update */
	Zs__Backupstorage__V1__UpdateBackupStorageRequest uq =
	    ZS__BACKUPSTORAGE__V1__UPDATE_BACKUP_STORAGE_REQUEST__INIT;
	uq.uuid = bs1;
	uq._name_case = ZS__BACKUPSTORAGE__V1__UPDATE_BACKUP_STORAGE_REQUEST___NAME_NAME;
	uq.name = "bs1-renamed";
	b = NULL;
	ZST_CHECK(inv_call(&t, t.admin, BS_M "UpdateBackupStorage", &uq,
	    &zs__backupstorage__v1__backup_storage_info__descriptor, &b) == 0 &&
	    strcmp(b->name, "bs1-renamed") == 0 && b->n_attached_zone_uuids == 2,
	    "UpdateBackupStorage renames, the rest as it was (%s)", t.msg);
	zs_reply_free(b);

	/* ---- a zone's deletion takes the attachment, not the backup storage ---- */
	ZST_CHECK(inv_zone_delete(&t, t.admin, zone2, NULL) == 0, "DeleteZone z2 (%s)", t.msg);
	b = NULL;
	ZST_CHECK(it_get_bs(&t, t.admin, bs1, &b) == 0 && b->n_attached_zone_uuids == 1 &&
	    strcmp(b->attached_zone_uuids[0], zone) == 0,
	    "bs1 is still there, attached to z1 only (%s)", t.msg);
	zs_reply_free(b);

	it_check_query(&t, bs1, half, zone);
	test_second_account(&t, bs1, half, zone);

	/* ---- DeleteBackupStorage takes its copies with it ---- */
	ZST_CHECK(inv_zone_delete(&t, t.admin, zone, NULL) == 0 && it_count_bs(&t, t.admin, NULL) == 2,
	    "DeleteZone z1: both backup storages stay");
	Zs__Backupstorage__V1__DeleteBackupStorageRequest dq =
	    ZS__BACKUPSTORAGE__V1__DELETE_BACKUP_STORAGE_REQUEST__INIT;
	dq.uuid = bs1;
	ZST_CHECK(inv_call(&t, t.admin, BS_M "DeleteBackupStorage", &dq,
	    &zs__backupstorage__v1__delete_backup_storage_response__descriptor, NULL) == 0 &&
	    it_get_bs(&t, t.admin, bs1, NULL) == INV_NOT_FOUND, "DeleteBackupStorage bs1 (%s)", t.msg);
	img = NULL;
	ZST_CHECK(it_get_image(&t, half, &img) == 0 && img->n_backup_storage_refs == 0,
	    "the image that was on bs1 only has no copy left");
	zs_reply_free(img);
	ZST_CHECK(inv_events_has(&ev, "backupstorage/deleted", bs1, INV_EVENT_WAIT_MS),
	    "backupstorage/deleted went out");

	/* a node stopped while a download hangs on an agent: the command fails at stop and
	 * the node still exits cleanly (inv_stop checks exit 0 and no sanitizer report) */
	it_sim_do("DELETE", "/sim/faults", NULL);
	Zs__Backupstorage__V1__ReconnectBackupStorageRequest rc =
	    ZS__BACKUPSTORAGE__V1__RECONNECT_BACKUP_STORAGE_REQUEST__INIT;
	rc.uuid = (char *) bs2;
	ZST_CHECK(inv_call(&t, t.admin, BS_M "ReconnectBackupStorage", &rc,
	    &zs__backupstorage__v1__backup_storage_info__descriptor, NULL) == 0,
	    "bs2 is connected again (%s)", t.msg);
	it_sim_do("POST", "/sim/faults", "{\"host\":\"bs2\",\"path\":\"/sftpbackupstorage/download\","
	    "\"action\":\"hang\"}");
	rq.name = "left-hanging";
	rq.url = "http://127.0.0.1/left.qcow2";
	char hanging[ZS_JOB_UUID_LEN];
	zs_status *hst = NULL;
	ZST_CHECK(zs_client_start_job(t.client, IMG_M "AddImage", &rq.base, hanging, &hst, &jo) == 0,
	    "a download that hangs is running when the node is stopped");
	zs_status_free(hst);
	/* the simulator logs a command when it answers it: a hung one is never logged, so
	 * give the job the time to post its download */
	usleep(500000);

	inv_events_close(&ev);
	inv_stop(&t);
	ZST_CHECK(zst_sim_stop() == 0, "the simulator exits cleanly");
	curl_global_cleanup();
	printf("# image test: %lld ms\n", (long long) (zst_now_ms() - t0));
	return zst_summary();
}
