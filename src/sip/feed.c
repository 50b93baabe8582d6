/* The bounded change queue between committing threads and the SIP thread. */
#include <pthread.h>
#include <string.h>

#define LOG_MODULE "sip"
#include "core/log.h"
#include "core/mem.h"
#include "sip/feed.h"
#include "store/store.h"

struct sip_feed {
	pthread_mutex_t lock;
	sip_feed_wake_h *wake; /* NULL: stopped */
	void *arg;
	struct sip_change *head, *tail;
	size_t n, max;
	bool woken; /* a wakeup is outstanding */
	bool lost;
};

void feed_free_list(struct sip_change *c)
{
	while (c) {
		struct sip_change *next = c->next;

		mcx_free(c);
		c = next;
	}
}

static struct sip_change *change_dup(const struct store_change *sc)
{
	size_t lp = strlen(sc->path) + 1, la = strlen(sc->prev_etag) + 1;
	size_t lb = strlen(sc->new_etag) + 1;
	struct sip_change *c = mcx_malloc(sizeof(*c) + lp + la + lb);

	if (!c)
		return NULL;
	c->next = NULL;
	c->seq = sc->seq;
	c->version = sc->version;
	c->path = (char *)(c + 1);
	c->prev_etag = c->path + lp;
	c->new_etag = c->prev_etag + la;
	memcpy(c->path, sc->path, lp);
	memcpy(c->prev_etag, sc->prev_etag, la);
	memcpy(c->new_etag, sc->new_etag, lb);
	return c;
}

/* The store listener: runs on the thread leading a commit group. */
static void on_change(const struct store_change *sc, void *arg)
{
	struct sip_feed *f = arg;
	struct sip_change *c;

	pthread_mutex_lock(&f->lock);
	if (!f->wake)
		goto out;
	c = f->n < f->max ? change_dup(sc) : NULL;
	if (!c) {
		if (!f->lost)
			log_warn("change queue full or out of memory at seq %lld: subscribers "
				 "will get their full state",
				 sc->seq);
		f->lost = true;
	} else {
		if (f->tail)
			f->tail->next = c;
		else
			f->head = c;
		f->tail = c;
		f->n++;
	}
	if (!f->woken) {
		f->woken = true;
		f->wake(f->arg);
	}
out:
	pthread_mutex_unlock(&f->lock);
}

static void feed_free(void *arg)
{
	struct sip_feed *f = arg;

	feed_free_list(f->head);
	pthread_mutex_destroy(&f->lock);
	mcx_free(f);
}

enum mcx_err feed_open(struct sip_feed **fp, struct mcx_store *st, size_t max)
{
	struct sip_feed *f = mcx_calloc(1, sizeof(*f));
	enum mcx_err err;

	if (!f)
		return MCX_ENOMEM;
	pthread_mutex_init(&f->lock, NULL);
	f->max = max;
	err = store_listen_owned(st, on_change, f, feed_free);
	if (err) {
		feed_free(f);
		return err;
	}
	*fp = f;
	return MCX_OK;
}

void feed_start(struct sip_feed *f, sip_feed_wake_h *wake, void *arg)
{
	pthread_mutex_lock(&f->lock);
	f->wake = wake;
	f->arg = arg;
	f->woken = false;
	f->lost = false;
	pthread_mutex_unlock(&f->lock);
}

void feed_stop(struct sip_feed *f)
{
	struct sip_change *c;

	pthread_mutex_lock(&f->lock);
	f->wake = NULL;
	c = f->head;
	f->head = f->tail = NULL;
	f->n = 0;
	pthread_mutex_unlock(&f->lock);
	feed_free_list(c);
}

struct sip_change *feed_take(struct sip_feed *f, bool *lost)
{
	struct sip_change *c;

	pthread_mutex_lock(&f->lock);
	c = f->head;
	f->head = f->tail = NULL;
	f->n = 0;
	*lost = f->lost;
	f->lost = false;
	f->woken = false;
	pthread_mutex_unlock(&f->lock);
	return c;
}
