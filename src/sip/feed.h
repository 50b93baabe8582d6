/* The store's change feed as the SIP thread sees it. The store listener runs
 * on committing threads: it copies each change into a bounded queue and
 * wakes the SIP thread (one wakeup outstanding at most); the SIP thread
 * takes the queue in commit order. Past the bound, changes are dropped and
 * the taker is told, so it can send every subscriber its full state. */
#ifndef MCX_SIP_FEED_H
#define MCX_SIP_FEED_H

#include <stdbool.h>
#include <stddef.h>

#include "mcx/mcx.h"

struct mcx_store;
struct sip_feed;

/* One committed change; strings live in the same allocation. */
struct sip_change {
	struct sip_change *next;
	long long seq;
	long long version; /* the version written (a deletion is one too) */
	char *path;
	char *prev_etag; /* "" when created */
	char *new_etag;	 /* "" when deleted */
};

/* Called with the feed's lock held, from a committing thread: must only
 * signal (libre's mqueue_push), never call back into the feed. */
typedef void(sip_feed_wake_h)(void *arg);

/* Listen to st. The store owns the feed from then on and frees it at
 * store_close; it stays idle (changes ignored) until feed_start. */
MCX_WUR enum mcx_err feed_open(struct sip_feed **fp, struct mcx_store *st, size_t max);
void feed_start(struct sip_feed *f, sip_feed_wake_h *wake, void *arg);
/* No wakeup happens after this returns; queued changes are freed. */
void feed_stop(struct sip_feed *f);
/* Every queued change, oldest first (free with feed_free_list); *lost is
 * true when changes were dropped since the last take. */
struct sip_change *feed_take(struct sip_feed *f, bool *lost);
void feed_free_list(struct sip_change *c);

#endif
