/*
 * zs/bus.h: service-to-service calls inside the node, without sockets: the
 * request and reply messages are passed by pointer, never serialized.
 * Generated *.zsb.h files give typed versions of zs_bus_call. A service gets the bus
 * from zs_node_bus(); any thread may call.
 */
#ifndef ZS_BUS_H
#define ZS_BUS_H

#include <protobuf-c/protobuf-c.h>
#include "zs/api.h"
#include "zs/call.h"
#include "zs/status.h"

typedef struct zs_bus zs_bus;

/* Called once with the outcome. reply and status are borrowed: valid during the call only.
 * fn and arg are what the caller gave zs_bus_call (generated code keeps its typed callback in fn). */
typedef void (*zs_bus_cb)(int code, const zs_status *status, const ProtobufCMessage *reply,
    void (*fn)(void), void *arg);

/*
 * Messages match the method's types by full name (each plugin links its own copy of the
 * generated code): a handler must not compare descriptor pointers.
 * Calls method in process. request must stay valid until cb runs. parent (may be NULL) is the call being served: the new call
 * inherits its session and what is left of its deadline. reply_desc is the expected
 * output type. cb runs exactly once, possibly before zs_bus_call returns. Returns 0; a
 * call that cannot be made (unknown method, wrong types) still answers through cb.
 */
ZS_API int zs_bus_call(zs_bus *bus, const zs_call *parent, const char *method,
    const ProtobufCMessage *request, const ProtobufCMessageDescriptor *reply_desc,
    zs_bus_cb cb, void (*fn)(void), void *arg);

#endif
