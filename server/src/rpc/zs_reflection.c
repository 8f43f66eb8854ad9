/* zs_reflection.c: lists the services a node serves, their methods and message fields,
 * straight from the protobuf-c descriptors the routes hold, with the fields' comments
 * from the protos (zs_reflection_doc.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zs_call_impl.h"
#include "zs_reflection.h"
#include "zs_router.h"

/* Length of the service part of "pkg.Service/Method". */
static size_t
refl_service_len(const char *full)
{
	const char *slash = strchr(full, '/');
	return slash ? (size_t) (slash - full) : strlen(full);
}

static void
refl_list_services(Zs__Reflection__V1__Reflection_Service *svc, const Zs__Reflection__V1__ListServicesRequest *in,
    Zs__Reflection__V1__ListServicesResponse_Closure closure, void *closure_data)
{
	(void) svc;
	(void) in;
	const zs_rpc *rpc = ((zs_call *) closure_data)->rpc;
	size_t n = zs_router_len(rpc->router);
	Zs__Reflection__V1__ServiceInfo *infos = calloc(n ? n : 1, sizeof *infos);
	Zs__Reflection__V1__ServiceInfo **ptrs = calloc(n ? n : 1, sizeof *ptrs);
	char **names = calloc(n ? n : 1, sizeof *names);
	if (infos == NULL || ptrs == NULL || names == NULL) {
		free(infos);
		free(ptrs);
		free(names);
		zs_call_fail(closure_data, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
		return;
	}
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		/* routes are sorted, so a service's methods sit together */
		const zs_route *rt = zs_router_at(rpc->router, i);
		size_t sl = refl_service_len(rt->full_name);
		if (len > 0 && strlen(infos[len - 1].name) == sl &&
		    strncmp(infos[len - 1].name, rt->full_name, sl) == 0) {
			infos[len - 1].methods++;
			continue;
		}
		zs__reflection__v1__service_info__init(&infos[len]);
		names[len] = strndup(rt->full_name, sl);
		infos[len].name = names[len] ? names[len] : (char *) "";
		infos[len].plugin = (char *) rt->plugin_id;
		infos[len].methods = 1;
		ptrs[len] = &infos[len];
		len++;
	}
	Zs__Reflection__V1__ListServicesResponse out = ZS__REFLECTION__V1__LIST_SERVICES_RESPONSE__INIT;
	out.services = ptrs;
	out.n_services = len;
	closure(&out, closure_data);
	for (size_t i = 0; i < len; i++)
		free(names[i]);
	free(names);
	free(infos);
	free(ptrs);
}

static const char *
refl_type_name(const ProtobufCFieldDescriptor *f)
{
	static const char *scalar[] = {
		[PROTOBUF_C_TYPE_INT32] = "int32", [PROTOBUF_C_TYPE_SINT32] = "sint32",
		[PROTOBUF_C_TYPE_SFIXED32] = "sfixed32", [PROTOBUF_C_TYPE_INT64] = "int64",
		[PROTOBUF_C_TYPE_SINT64] = "sint64", [PROTOBUF_C_TYPE_SFIXED64] = "sfixed64",
		[PROTOBUF_C_TYPE_UINT32] = "uint32", [PROTOBUF_C_TYPE_FIXED32] = "fixed32",
		[PROTOBUF_C_TYPE_UINT64] = "uint64", [PROTOBUF_C_TYPE_FIXED64] = "fixed64",
		[PROTOBUF_C_TYPE_FLOAT] = "float", [PROTOBUF_C_TYPE_DOUBLE] = "double",
		[PROTOBUF_C_TYPE_BOOL] = "bool", [PROTOBUF_C_TYPE_STRING] = "string",
		[PROTOBUF_C_TYPE_BYTES] = "bytes",
	};
	if (f->type == PROTOBUF_C_TYPE_MESSAGE)
		return ((const ProtobufCMessageDescriptor *) f->descriptor)->name;
	if (f->type == PROTOBUF_C_TYPE_ENUM)
		return ((const ProtobufCEnumDescriptor *) f->descriptor)->name;
	return scalar[f->type];
}

static const char *
refl_label(const ProtobufCFieldDescriptor *f)
{
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return "repeated";
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL)
		return "optional";
	return "";
}

/* Fills info from desc; fields[] and ptrs[] are the caller's storage for desc's fields. */
static void
refl_message(const ProtobufCMessageDescriptor *desc, Zs__Reflection__V1__MessageInfo *info,
    Zs__Reflection__V1__FieldInfo *fields, Zs__Reflection__V1__FieldInfo **ptrs)
{
	zs__reflection__v1__message_info__init(info);
	info->name = (char *) desc->name;
	const char *const *comments = zs_reflection_comments(desc);
	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &desc->fields[i];
		zs__reflection__v1__field_info__init(&fields[i]);
		fields[i].name = (char *) f->name;
		fields[i].number = f->id;
		fields[i].type = (char *) refl_type_name(f);
		fields[i].label = (char *) refl_label(f);
		const char *comment = zs_reflection_comment(comments, f->name);
		if (comment != NULL)
			fields[i].comment = (char *) comment;
		ptrs[i] = &fields[i];
	}
	info->fields = ptrs;
	info->n_fields = desc->n_fields;
}

static void
refl_describe_service(Zs__Reflection__V1__Reflection_Service *svc,
    const Zs__Reflection__V1__DescribeServiceRequest *in,
    Zs__Reflection__V1__DescribeServiceResponse_Closure closure, void *closure_data)
{
	(void) svc;
	const zs_rpc *rpc = ((zs_call *) closure_data)->rpc;
	const ProtobufCServiceDescriptor *sd = NULL;
	const char *plugin = NULL;
	for (size_t i = 0; i < zs_router_len(rpc->router) && sd == NULL; i++) {
		const zs_route *rt = zs_router_at(rpc->router, i);
		if (strcmp(rt->service->descriptor->name, in->name) == 0) {
			sd = rt->service->descriptor;
			plugin = rt->plugin_id;
		}
	}
	if (sd == NULL) {
		zs_call_fail(closure_data, ZS_NOT_FOUND, NULL, "unknown service \"%s\" (zsctl list shows them)",
		    in->name);
		return;
	}
	size_t nf = 0;
	for (unsigned i = 0; i < sd->n_methods; i++)
		nf += sd->methods[i].input->n_fields + sd->methods[i].output->n_fields;
	Zs__Reflection__V1__MethodInfo *methods = calloc(sd->n_methods + 1, sizeof *methods);
	Zs__Reflection__V1__MethodInfo **mptrs = calloc(sd->n_methods + 1, sizeof *mptrs);
	Zs__Reflection__V1__MessageInfo *msgs = calloc(2 * sd->n_methods + 1, sizeof *msgs);
	Zs__Reflection__V1__FieldInfo *fields = calloc(nf + 1, sizeof *fields);
	Zs__Reflection__V1__FieldInfo **fptrs = calloc(nf + 1, sizeof *fptrs);
	char **full = calloc(sd->n_methods + 1, sizeof *full);
	if (!methods || !mptrs || !msgs || !fields || !fptrs || !full) {
		zs_call_fail(closure_data, ZS_RESOURCE_EXHAUSTED, NULL, "out of memory");
	} else {
		size_t fo = 0;
		for (unsigned i = 0; i < sd->n_methods; i++) {
			const ProtobufCMethodDescriptor *m = &sd->methods[i];
			zs__reflection__v1__method_info__init(&methods[i]);
			methods[i].name = (char *) m->name;
			if (asprintf(&full[i], "%s/%s", sd->name, m->name) < 0)
				full[i] = NULL;
			methods[i].full_name = full[i] ? full[i] : (char *) "";
			refl_message(m->input, &msgs[2 * i], fields + fo, fptrs + fo);
			fo += m->input->n_fields;
			refl_message(m->output, &msgs[2 * i + 1], fields + fo, fptrs + fo);
			fo += m->output->n_fields;
			methods[i].input = &msgs[2 * i];
			methods[i].output = &msgs[2 * i + 1];
			mptrs[i] = &methods[i];
		}
		Zs__Reflection__V1__DescribeServiceResponse out =
		    ZS__REFLECTION__V1__DESCRIBE_SERVICE_RESPONSE__INIT;
		out.name = (char *) sd->name;
		out.plugin = (char *) plugin;
		out.methods = mptrs;
		out.n_methods = sd->n_methods;
		closure(&out, closure_data);
	}
	for (unsigned i = 0; full != NULL && i < sd->n_methods; i++)
		free(full[i]);
	free(full);
	free(methods);
	free(mptrs);
	free(msgs);
	free(fields);
	free(fptrs);
}

void
zs_reflection_init(Zs__Reflection__V1__Reflection_Service *svc)
{
	Zs__Reflection__V1__Reflection_Service init = ZS__REFLECTION__V1__REFLECTION__INIT(refl_);
	*svc = init;
}
