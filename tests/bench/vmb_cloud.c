/*
 * vmb_cloud.c: the cloud zsbench_vm creates its VMs in, built through libzsclient as a
 * user would: a zone, a KVM cluster of simulated hosts, LocalStorage, an Sftp backup
 * storage with an image, an L3 network of one /16 range and an instance offering.
 */
#include <stdio.h>
#include <string.h>

#include "vmb.h"
#include "zs/backupstorage/v1/backupstorage.pb-c.h"
#include "zs/cluster/v1/cluster.pb-c.h"
#include "zs/image/v1/image.pb-c.h"
#include "zs/kvm/v1/kvm.pb-c.h"
#include "zs/network/v1/network.pb-c.h"
#include "zs/offering/v1/offering.pb-c.h"
#include "zs/primarystorage/v1/primarystorage.pb-c.h"
#include "zs/zone/v1/zone.pb-c.h"

#define VMB_SETUP_MS 30000

int
vmb_call(zs_client *c, const char *session, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *reply, char uuid[VMB_UUID], uint32_t timeout_ms)
{
	ProtobufCMessage *out = NULL;
	zs_status *st = NULL;
	zs_call_opts opts = { .timeout_ms = timeout_ms, .session = session };
	int code = zs_client_call(c, method, req, reply, &out, &st, &opts);
	if (code != 0) {
		printf("  %s: %s: %s%s%s\n", method, zs_client_code_name(code),
		    st != NULL && st->message != NULL ? st->message : "failed",
		    st != NULL && st->cause != NULL ? ": " : "",
		    st != NULL && st->cause != NULL && st->cause->message ? st->cause->message : "");
	} else if (uuid != NULL) {
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field_by_name(out->descriptor, "uuid");
		snprintf(uuid, VMB_UUID, "%s", f != NULL ?
		    *(char **) (void *) ((char *) out + f->offset) : "");
	}
	zs_status_free(st);
	zs_reply_free(out);
	return code;
}

/* AddImage as a job, waited for; its uuid to uuid. */
static int
vmb_image(zs_client *c, const char *session, const char *bs, char uuid[VMB_UUID])
{
	Zs__Image__V1__AddImageRequest req = ZS__IMAGE__V1__ADD_IMAGE_REQUEST__INIT;
	char *bss[1] = { (char *) bs };
	req.name = "bench-image";
	req.url = "http://127.0.0.1/bench.qcow2?size=1G&actualSize=200M";
	req.format = "qcow2";
	req.n_backup_storage_uuids = 1;
	req.backup_storage_uuids = bss;
	char job[ZS_JOB_UUID_LEN];
	zs_status *st = NULL;
	zs_call_opts opts = { .timeout_ms = VMB_SETUP_MS, .session = session };
	int code = zs_client_start_job(c, "zs.image.v1.Image/AddImage", &req.base, job, &st, &opts);
	ProtobufCMessage *reply = NULL;
	if (code == 0)
		code = zs_client_wait_job(c, job, &zs__image__v1__image_info__descriptor, &reply, &st,
		    NULL, NULL, &opts);
	if (code != 0)
		printf("  AddImage: %s: %s\n", zs_client_code_name(code),
		    st != NULL && st->message != NULL ? st->message : "failed");
	else
		snprintf(uuid, VMB_UUID, "%s", ((Zs__Image__V1__ImageInfo *) reply)->uuid);
	zs_reply_free(reply);
	zs_status_free(st);
	return code;
}

int
vmb_cloud_build(zs_client *c, const char *s, long hosts, const char *bs_ip, vmb_cloud *cl)
{
	memset(cl, 0, sizeof *cl);
	Zs__Zone__V1__CreateZoneRequest zr = ZS__ZONE__V1__CREATE_ZONE_REQUEST__INIT;
	zr.name = "bench-zone";
	if (vmb_call(c, s, "zs.zone.v1.Zone/CreateZone", &zr.base, &zs__zone__v1__zone_info__descriptor,
	    cl->zone, VMB_SETUP_MS) != 0)
		return -1;
	Zs__Cluster__V1__CreateClusterRequest cr = ZS__CLUSTER__V1__CREATE_CLUSTER_REQUEST__INIT;
	cr.zone_uuid = cl->zone;
	cr.name = "bench-cluster";
	cr.hypervisor_type = "KVM";
	if (vmb_call(c, s, "zs.cluster.v1.Cluster/CreateCluster", &cr.base,
	    &zs__cluster__v1__cluster_info__descriptor, cl->cluster, VMB_SETUP_MS) != 0)
		return -1;
	for (long i = 0; i < hosts; i++) {
		char name[32], ip[32];
		snprintf(name, sizeof name, "h%ld", i + 1);
		snprintf(ip, sizeof ip, "127.0.%ld.%ld", 1 + (i + 1) / 256, (i + 1) % 256);
		Zs__Kvm__V1__AddKvmHostRequest hr = ZS__KVM__V1__ADD_KVM_HOST_REQUEST__INIT;
		hr.cluster_uuid = cl->cluster;
		hr.name = name;
		hr.management_ip = ip;
		hr.username = "root";
		hr.password = "password";
		if (vmb_call(c, s, "zs.kvm.v1.Kvm/AddKvmHost", &hr.base,
		    &zs__kvm__v1__kvm_host_info__descriptor, NULL, VMB_SETUP_MS) != 0)
			return -1;
	}
	Zs__Primarystorage__V1__AddPrimaryStorageRequest pr =
	    ZS__PRIMARYSTORAGE__V1__ADD_PRIMARY_STORAGE_REQUEST__INIT;
	pr.zone_uuid = cl->zone;
	pr.name = "bench-local";
	pr.type = "LocalStorage";
	pr.url = "/var/lib/zstack/local";
	Zs__Primarystorage__V1__AttachPrimaryStorageToClusterRequest par =
	    ZS__PRIMARYSTORAGE__V1__ATTACH_PRIMARY_STORAGE_TO_CLUSTER_REQUEST__INIT;
	par.primary_storage_uuid = cl->ps;
	par.cluster_uuid = cl->cluster;
	if (vmb_call(c, s, "zs.primarystorage.v1.PrimaryStorage/AddPrimaryStorage", &pr.base,
	    &zs__primarystorage__v1__primary_storage_info__descriptor, cl->ps, VMB_SETUP_MS) != 0 ||
	    vmb_call(c, s, "zs.primarystorage.v1.PrimaryStorage/AttachPrimaryStorageToCluster",
	    &par.base, &zs__primarystorage__v1__primary_storage_info__descriptor, NULL,
	    VMB_SETUP_MS) != 0)
		return -1;
	Zs__Backupstorage__V1__AddBackupStorageRequest br =
	    ZS__BACKUPSTORAGE__V1__ADD_BACKUP_STORAGE_REQUEST__INIT;
	br.name = "bench-bs";
	br.hostname = (char *) bs_ip;
	br.url = "/zstack_bs";
	br.username = "root";
	br.password = "password";
	Zs__Backupstorage__V1__AttachBackupStorageToZoneRequest bar =
	    ZS__BACKUPSTORAGE__V1__ATTACH_BACKUP_STORAGE_TO_ZONE_REQUEST__INIT;
	bar.backup_storage_uuid = cl->bs;
	bar.zone_uuid = cl->zone;
	if (vmb_call(c, s, "zs.backupstorage.v1.BackupStorage/AddBackupStorage", &br.base,
	    &zs__backupstorage__v1__backup_storage_info__descriptor, cl->bs, VMB_SETUP_MS) != 0 ||
	    vmb_call(c, s, "zs.backupstorage.v1.BackupStorage/AttachBackupStorageToZone", &bar.base,
	    &zs__backupstorage__v1__backup_storage_info__descriptor, NULL, VMB_SETUP_MS) != 0 ||
	    vmb_image(c, s, cl->bs, cl->image) != 0)
		return -1;
	Zs__Network__V1__CreateL2NoVlanNetworkRequest l2r =
	    ZS__NETWORK__V1__CREATE_L2_NO_VLAN_NETWORK_REQUEST__INIT;
	l2r.name = "bench-l2";
	l2r.physical_interface = "eth0";
	l2r.zone_uuid = cl->zone;
	Zs__Network__V1__AttachL2NetworkToClusterRequest l2a =
	    ZS__NETWORK__V1__ATTACH_L2_NETWORK_TO_CLUSTER_REQUEST__INIT;
	l2a.l2_network_uuid = cl->l2;
	l2a.cluster_uuid = cl->cluster;
	Zs__Network__V1__CreateL3NetworkRequest l3r = ZS__NETWORK__V1__CREATE_L3_NETWORK_REQUEST__INIT;
	l3r.name = "bench-l3";
	l3r.l2_network_uuid = cl->l2;
	if (vmb_call(c, s, "zs.network.v1.L2Network/CreateL2NoVlanNetwork", &l2r.base,
	    &zs__network__v1__l2_network_info__descriptor, cl->l2, VMB_SETUP_MS) != 0 ||
	    vmb_call(c, s, "zs.network.v1.L2Network/AttachL2NetworkToCluster", &l2a.base,
	    &zs__network__v1__l2_network_attachment__descriptor, NULL, 120000) != 0 ||
	    vmb_call(c, s, "zs.network.v1.L3Network/CreateL3Network", &l3r.base,
	    &zs__network__v1__l3_network_info__descriptor, cl->l3, VMB_SETUP_MS) != 0)
		return -1;
	Zs__Network__V1__AddIpRangeByNetworkCidrRequest rr =
	    ZS__NETWORK__V1__ADD_IP_RANGE_BY_NETWORK_CIDR_REQUEST__INIT;
	rr.name = "bench-r1";
	rr.l3_network_uuid = cl->l3;
	rr.network_cidr = "10.0.0.0/16";
	if (vmb_call(c, s, "zs.network.v1.IpRange/AddIpRangeByNetworkCidr", &rr.base,
	    &zs__network__v1__ip_range_info__descriptor, NULL, VMB_SETUP_MS) != 0)
		return -1;
	cl->cpu_num = 1;
	cl->memory = 256ll << 20;
	Zs__Offering__V1__CreateInstanceOfferingRequest or =
	    ZS__OFFERING__V1__CREATE_INSTANCE_OFFERING_REQUEST__INIT;
	or.name = "bench-small";
	or.cpu_num = (uint32_t) cl->cpu_num;
	or.memory_size = (uint64_t) cl->memory;
	if (vmb_call(c, s, "zs.offering.v1.InstanceOffering/CreateInstanceOffering", &or.base,
	    &zs__offering__v1__instance_offering_info__descriptor, cl->offering, VMB_SETUP_MS) != 0)
		return -1;
	return 0;
}
