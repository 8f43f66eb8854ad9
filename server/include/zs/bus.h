/*
 * zs/bus.h: service-to-service calls inside the node, without sockets: the
 * request and reply messages are passed by pointer, never serialized.
 * Generated *.zsb.h files give typed versions of zs_bus_call. A service gets the bus
 * from zs_node_bus(); any thread may call.
 */
#ifndef ZS_BUS_H
#define ZS_BUS_H

#include <stdbool.h>
#include <stdint.h>
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

/*
 * A stand-in parent for bus calls (and zs_http_req.call) that a service makes on behalf of
 * the call it serves: parent's session and account, a deadline no later than deadline_ms
 * (0: parent's own), and with as_node the node's rights (admin) instead of the account's:
 * a VM workflow a normal account started makes its volumes (owned by that account) through
 * admin-only services, and ends its steps early enough to undo them and answer before the
 * caller gives up. It is never answered and runs nothing; it must not outlive parent.
 * Free it with zs_bus_parent_free once the calls made with it have answered. NULL on no
 * memory. Any thread.
 */
ZS_API zs_call *zs_bus_parent_new(const zs_call *parent, int64_t deadline_ms, bool as_node);
ZS_API void zs_bus_parent_free(zs_call *stand_in);

#endif
