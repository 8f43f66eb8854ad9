/*
 * zs/flow.h: the workflow engine (ZStack's FlowChain): ordered steps that share a
 * small store and roll back in reverse order when one fails, so a failed operation
 * leaves nothing half-made behind.
 *
 *	zs_flow_chain *c = zs_flow_chain_new("create-vm");
 *	zs_flow_chain_add(c, "allocate-host", alloc_host, free_host, svc, 0);
 *	zs_flow_chain_add(c, "create-volume", create_vol, delete_vol, svc, 0);
 *	zs_flow_chain_start(c, vm_created, call);   // c now belongs to the engine
 *
 * Steps run one at a time, in order. A step's run() ends exactly once, with
 * zs_flow_next() or zs_flow_fail(), before it returns or later from any thread. The
 * next step never starts before the previous run() has returned, even when the step
 * completes on another thread while its run() is still on the stack. Steps that
 * complete before run() returns are chained in a loop, not by recursion: a chain of any
 * length runs in constant stack.
 *
 * When a step fails, the steps that ended with next() roll back, last first; the
 * failing step does not (it is expected to clean up after itself), unless it was added
 * with ZS_FLOW_ROLLBACK_SELF, in which case its rollback runs first. Steps added
 * without rollback are skipped. A rollback ends exactly once with
 * zs_flow_rollback_done() or zs_flow_rollback_fail(), again possibly on another
 * thread. A failed rollback does not stop the others.
 *
 * Then done(chain, status, arg) runs once, on the thread that finished last: status is
 * NULL on success. On failure it is the failing step's status (or the cancel status),
 * whose message names the step ("step NAME: " is prefixed unless the message already
 * contains NAME as a word, i.e. not inside a longer run of letters, digits, '-', '_'
 * and '.'; a failure with code OK becomes UNKNOWN), with one detail line per failed
 * rollback, in the order they ran:
 *	"rollback of step NAME failed[: CODE[ ERROR_CODE]: message[; caused by CODE: ...]]"
 * Each failed rollback also joins the end of the status's cause chain, as its own status
 * ("rollback of step NAME failed: ..."), so a client walking the chain sees every
 * failure with its code. The status is
 * borrowed for the call; zs_status_copy() it to keep it. The store is still readable in
 * done(); after done() returns, the chain frees itself, its store values (with their
 * free functions) and every handle.
 *
 * A step that never ends (neither next() nor fail()) hangs its chain forever: that is
 * the step's bug, and the engine cannot see it (no timeout: a step that waits on
 * something slow sets its own, e.g. with zs/timer.h). A second next()/fail() (or a rollback
 * completion from a run, and so on) is refused with ZS_FAILED_PRECONDITION and changes
 * nothing; its status is freed. Such a call is always caught when made before run()
 * returns (the chain cannot move on until then); made later, the handle must still be
 * valid, i.e. the chain must not have ended.
 *
 * Functions that can fail return 0 or a canonical code (zs/status.h): never abort.
 * Nothing here is global: every chain is independent.
 */
#ifndef ZS_FLOW_H
#define ZS_FLOW_H

#include "zs/api.h"

#include "zs/status.h"

typedef struct zs_flow_chain zs_flow_chain;
/* One step of a running chain: the handle run() and rollback() get. Valid from the
 * moment the step starts until the chain ends. */
typedef struct zs_flow zs_flow;

/* A step's run or rollback function; arg is what zs_flow_chain_add() was given. */
typedef void (*zs_flow_fn)(zs_flow *flow, void *arg);
/* The end of a chain: status is NULL on success, borrowed otherwise. */
typedef void (*zs_flow_done_fn)(zs_flow_chain *chain, const zs_status *status, void *arg);

/* Flags of zs_flow_chain_add(). */
enum {
	/* When this step itself fails, run its rollback too (first). */
	ZS_FLOW_ROLLBACK_SELF = 1u << 0,
};

/* New empty chain (caller owns until zs_flow_chain_start); name is copied, NULL means
 * "chain". NULL on no memory. */
ZS_API zs_flow_chain *zs_flow_chain_new(const char *name);
/* Appends a step (name copied). run is required; rollback may be NULL. Steps may only be
 * added before start. 0, ZS_INVALID_ARGUMENT, ZS_FAILED_PRECONDITION (started) or
 * ZS_RESOURCE_EXHAUSTED. */
ZS_API int zs_flow_chain_add(zs_flow_chain *chain, const char *name, zs_flow_fn run,
    zs_flow_fn rollback, void *arg, unsigned flags);
/* Runs the chain; done (may be NULL) runs once at its end, possibly before this returns.
 * The chain belongs to the engine from here on: the caller may use it again only as
 * zs_flow_chain_cancel() allows. 0, or ZS_INVALID_ARGUMENT for a NULL chain. (A step
 * that starts its own chain again gets ZS_FAILED_PRECONDITION.) */
ZS_API int zs_flow_chain_start(zs_flow_chain *chain, zs_flow_done_fn done, void *arg);
/* Frees a chain that was never started, with its store values; does nothing to a
 * started one. */
ZS_API void zs_flow_chain_free(zs_flow_chain *chain);
/*
 * Asks a running chain to stop: once the current step has ended, no further step
 * starts and the finished steps roll back; done() gets why (taken; NULL means
 * CANCELLED "chain NAME cancelled"). The running step is not interrupted and must still
 * end; a chain whose steps all ended, or that is already rolling back, is unaffected.
 * The first cancel wins. Call it only while the chain is known to live: from one of its
 * steps, or under a lock that the chain's done() also takes (check a flag done() sets).
 * 0, ZS_INVALID_ARGUMENT, ZS_RESOURCE_EXHAUSTED (why was NULL and no status could be
 * made) or ZS_FAILED_PRECONDITION (already cancelled; why freed).
 */
ZS_API int zs_flow_chain_cancel(zs_flow_chain *chain, zs_status *why);
ZS_API const char *zs_flow_chain_name(const zs_flow_chain *chain);

/*
 * The chain's store, shared by its steps and readable in done(). set stores value under
 * key (copied), replacing (and freeing) a previous value; value is taken in every case:
 * freed with free_fn (may be NULL) when replaced, at the chain's end, or when set fails.
 * 0, ZS_INVALID_ARGUMENT or ZS_RESOURCE_EXHAUSTED. get returns the value or NULL.
 * Both are thread-safe; a value got is valid until its key is set again or the chain ends.
 */
ZS_API int zs_flow_set(zs_flow_chain *chain, const char *key, void *value, void (*free_fn)(void *));
ZS_API void *zs_flow_get(zs_flow_chain *chain, const char *key);

/* Ends a step's run: go on. 0, or ZS_FAILED_PRECONDITION if the run already ended. */
ZS_API int zs_flow_next(zs_flow *flow);
/* Ends a step's run: fail the chain with why (taken; NULL, or a code of OK, means
 * UNKNOWN). 0, or ZS_FAILED_PRECONDITION if the run already ended (why is freed). */
ZS_API int zs_flow_fail(zs_flow *flow, zs_status *why);
/* Ends a step's rollback. 0, or ZS_FAILED_PRECONDITION if it is not rolling back. */
ZS_API int zs_flow_rollback_done(zs_flow *flow);
/* Ends a step's rollback as failed (why taken, may be NULL); the other rollbacks still
 * run and why shows in done()'s status. 0 or ZS_FAILED_PRECONDITION (why freed). */
ZS_API int zs_flow_rollback_fail(zs_flow *flow, zs_status *why);

/* The chain a step belongs to (for its store). */
ZS_API zs_flow_chain *zs_flow_chain_of(const zs_flow *flow);
/* The step's name, as added. */
ZS_API const char *zs_flow_step_name(const zs_flow *flow);

#endif
