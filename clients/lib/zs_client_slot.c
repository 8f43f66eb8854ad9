/*
 * zs_client_slot.c: the pool of ctx/aio pairs of a client. A call takes an idle slot (or
 * makes one) and gives it back when done; the pool grows to the peak of calls in flight
 * and is freed by zs_client_close.
 */
#include <stdlib.h>

#include "zs_client_internal.h"

static int
zs_client_slot_new(zs_client *client, int async, zs_client_slot **out)
{
	int rv;
	zs_client_slot *slot = calloc(1, sizeof *slot);
	if (slot == NULL)
		return NNG_ENOMEM;
	slot->client = client;
	slot->async = async;
	if ((rv = nng_ctx_open(&slot->ctx, client->sock)) != 0) {
		free(slot);
		return rv;
	}
	if ((rv = nng_aio_alloc(&slot->aio, async ? zs_client_async_done : NULL, slot)) != 0) {
		nng_ctx_close(slot->ctx);
		free(slot);
		return rv;
	}
	*out = slot;
	return 0;
}

/* Takes an idle slot of the given kind, or makes one, and counts the call in flight.
 * Returns 0 or an nng error (NNG_ECLOSED once the client is closing). */
int
zs_client_slot_take(zs_client *client, int async, zs_client_slot **out)
{
	pthread_mutex_lock(&client->mtx);
	if (client->closing) {
		pthread_mutex_unlock(&client->mtx);
		return NNG_ECLOSED;
	}
	zs_client_slot **list = async ? &client->free_async : &client->free_sync;
	zs_client_slot *slot = *list;
	if (slot != NULL)
		*list = slot->next;
	client->in_flight++;
	pthread_mutex_unlock(&client->mtx);
	if (slot == NULL) {
		int rv = zs_client_slot_new(client, async, &slot);
		if (rv != 0) {
			pthread_mutex_lock(&client->mtx);
			if (--client->in_flight == 0 && client->closing)
				pthread_cond_signal(&client->idle);
			pthread_mutex_unlock(&client->mtx);
			return rv;
		}
	}
	slot->next = NULL;
	*out = slot;
	return 0;
}

/* Returns a slot to the pool; the caller must not touch it afterwards. */
void
zs_client_slot_give(zs_client_slot *slot)
{
	zs_client *client = slot->client;
	pthread_mutex_lock(&client->mtx);
	zs_client_slot **list = slot->async ? &client->free_async : &client->free_sync;
	slot->next = *list;
	*list = slot;
	if (--client->in_flight == 0 && client->closing)
		pthread_cond_signal(&client->idle);
	pthread_mutex_unlock(&client->mtx);
}

static void
zs_client_slot_destroy_list(zs_client_slot *slot)
{
	while (slot != NULL) {
		zs_client_slot *next = slot->next;
		nng_aio_free(slot->aio);
		nng_ctx_close(slot->ctx);
		free(slot);
		slot = next;
	}
}

/* Frees every slot; only when no call is in flight. */
void
zs_client_slot_destroy_all(zs_client *client)
{
	zs_client_slot_destroy_list(client->free_sync);
	zs_client_slot_destroy_list(client->free_async);
	client->free_sync = NULL;
	client->free_async = NULL;
}
