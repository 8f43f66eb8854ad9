/*
 * kvmsim.h: zs-kvmsim, a simulator of many KVM host agents in one process. One thread
 * serves HTTP (epoll, plain code: kvmsim_net.c) on one port, on every loopback address a
 * simulated host was given; a request reaches a host by the address it was sent to
 * (http://127.0.1.7:7070/vm/start) or by a path prefix (http://127.0.0.1:7070/hosts/h7/vm/start).
 * Host state (VMs, volumes, bridges, capacity, facts) lives in kvmsim_agent.c, the control
 * API (/sim/...) with faults and the command log in kvmsim_control.c, and the asynchronous
 * answers are POSTed to the node's callback URL by kvmsim_send.c's threads.
 * Everything but the senders runs on the serving thread: no locks on the state.
 */
#ifndef KVMSIM_H
#define KVMSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <jansson.h>

typedef struct sim sim;
typedef struct sim_conn sim_conn;
typedef struct sim_host sim_host;
typedef struct sim_send sim_send;

/* One request, parsed. */
typedef struct sim_req {
	const char *method, *path;       /* path without the /hosts/NAME prefix */
	const char *task_uuid;           /* header taskuuid, or NULL */
	const char *callback_url;        /* header callbackurl, or NULL */
	const char *body;
	size_t body_len;
	const char *local_ip;            /* the address it was sent to */
	const char *prefix_host;         /* NAME of /hosts/NAME/..., or NULL */
} sim_req;

/* What to answer: status + JSON body; or nothing for a while (delay_ms), or never. */
typedef struct sim_answer {
	int status;                      /* 0: no answer (hang) */
	char *body;                      /* owned */
	int64_t delay_ms;
	bool close;                      /* close the connection instead (a dead host) */
} sim_answer;

struct sim_host {
	char *name, *ip;                 /* ip may be NULL: reached by prefix only */
	int64_t cpu, memory;             /* capacity */
	json_t *facts;                   /* object */
	json_t *vms;                     /* uuid -> {state, cpuNum, memory, volumes{}, nics{}} */
	json_t *bridges;                 /* name -> the create command */
	json_t *tasks;                   /* task uuids seen (duplicates dropped) */
	char *host_uuid;                 /* from /host/connect */
	json_t *bs;                      /* backup storage agent state (kvmsim_backup.c) */
	bool dead;
	uint64_t commands;
};

struct sim {
	int port;
	int64_t started_ms;
	sim_host **hosts;
	size_t nhosts, cap_hosts;
	json_t *by_name, *by_ip;         /* name/ip -> index into hosts */
	json_t *default_facts;           /* shared by hosts added without facts of their own */
	json_t *faults;                  /* array of fault objects */
	json_t *log;                     /* array of entries (the last log_max) */
	size_t log_max;
	uint64_t log_total, requests, connections, callbacks_queued, dropped_duplicates;
	uint64_t rand_state;
	volatile sig_atomic_t quit;      /* SIGINT/SIGTERM or POST /sim/quit */
	char *kill_ip;                   /* a host died on this address: stop listening there */
	struct sim_net *net;
	sim_send *send;
	json_t *storage;                 /* kvmsim_storage.c's disks, shares and mounts */
};

/* kvmsim_net.c: the server. */
int sim_net_new(sim *s, const char *ip, int port);
/* Listens on ip (127.x.y.z) at the port too, if not already. 0 or -1 (errno). */
int sim_net_listen(sim *s, const char *ip);
/* Stops listening on ip and closes its connections (a dead host); the main address stays. */
void sim_net_unlisten(sim *s, const char *ip);
/* Serves until s->quit. */
void sim_net_run(sim *s);
void sim_net_free(sim *s);

/* kvmsim_control.c: routes one request (control or agent). */
void sim_handle(sim *s, const sim_req *req, sim_answer *ans);
/* A JSON answer (takes over o). */
void sim_answer_json(sim_answer *ans, int status, json_t *o);
uint64_t sim_rand(sim *s);

/* kvmsim_agent.c: hosts and agent paths. */
sim_host *sim_host_find(sim *s, const char *name);
sim_host *sim_host_by_ip(sim *s, const char *ip);
/* Adds a host from its description ({name, ip, cpu, memory, facts}); NULL with why. */
sim_host *sim_host_add(sim *s, const json_t *desc, char *why, size_t whylen);
json_t *sim_host_json(const sim_host *h, bool detail);
/* *slot, made an empty object first if NULL. */
json_t *sim_obj(json_t **slot);
void sim_host_reset(sim_host *h);
void sim_host_free(sim_host *h);
/* True for the paths answered in the response body (connect, echo). */
bool sim_agent_sync(const char *path);
/* Runs the command cmd on h: the answer object (success, error, ...); NULL for an unknown path. */
json_t *sim_agent_run(sim *s, sim_host *h, const char *path, const json_t *cmd);

/* kvmsim_storage.c: /localstorage/... and /nfsprimarystorage/... (NULL: not one of them). */
json_t *sim_storage_run(sim *s, sim_host *h, const char *path, const json_t *cmd);
void sim_storage_reset(sim *s);
/* kvmsim_backup.c: the backup storage agent's paths (/sftpbackupstorage/...). */
void sim_backup_init(sim_host *h, const json_t *desc);
void sim_backup_reset(sim_host *h);
/* The answer of path on h's backup storage agent; NULL for an unknown path. */
json_t *sim_backup_run(sim *s, sim_host *h, const char *path, const json_t *cmd);

/* kvmsim_send.c: asynchronous answers, POSTed to callback URLs by sender threads. */
int sim_send_new(sim_send **out, int threads);
/* Queues body (taken over) for url with header taskuuid, due delay_ms from now; it counts
 * as a command of path (may be NULL: none) in flight until a sender takes it. */
void sim_send_post(sim_send *q, const char *url, const char *task, char *body, int64_t delay_ms,
    const char *path);
/* Drops every answer not yet sent (their commands are no longer in flight). */
void sim_send_clear(sim_send *q);
/* {PATH: {now, max, total}} of the commands answered through the queue: in flight now, the
 * most at once and how many since the last reset (caller decrefs). */
json_t *sim_send_inflight(sim_send *q);
/* Starts the counts again: max is what is in flight now, total 0. */
void sim_send_inflight_reset(sim_send *q);
void sim_send_stats(sim_send *q, uint64_t *sent, uint64_t *failed, size_t *pending);
void sim_send_free(sim_send *q);

int64_t sim_now_ms(void);

#endif
