/* Login throttling in memory: account lockout after consecutive failures and a per-peer failure rate limit (lost on restart). */
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "idms/idms_int.h"
#include "core/banned.h"

#define THR_KEY_MAX (IDMS_USERNAME_MAX + 3)

/* One account ("a:<name>") or peer ("p:<address>"). */
struct idms_thr_ent {
	char key[THR_KEY_MAX];
	long long failures;        /* consecutive (account) or in the window (peer) */
	int64_t since;             /* window start (peer) */
	int64_t locked_until;      /* account */
	int64_t touched;
};

void throttle_init(struct idms_throttle *t)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
}

void throttle_free(struct idms_throttle *t)
{
	mcx_free(t->e);
	pthread_mutex_destroy(&t->lock);
}

static void make_key(char *key, char kind, const char *name)
{
	key[0] = kind;
	key[1] = ':';
	snprintf(key + 2, THR_KEY_MAX - 2, "%s", name ? name : "-");
}

static struct idms_thr_ent *find(struct idms_throttle *t, const char *key)
{
	size_t k;

	for (k = 0; k < t->n; k++)
		if (!strcmp(t->e[k].key, key))
			return &t->e[k];
	return NULL;
}

/* The slot to reuse when full: an unlocked entry touched longest ago. */
static struct idms_thr_ent *victim(struct idms_throttle *t, int64_t now)
{
	struct idms_thr_ent *v = NULL;
	size_t k;

	for (k = 0; k < t->n; k++) {
		struct idms_thr_ent *e = &t->e[k];

		if (e->locked_until > now)
			continue;
		if (!v || e->touched < v->touched)
			v = e;
	}
	return v ? v : &t->e[0];
}

/* The entry for key, created (or recycled) if needed; NULL without memory. */
static struct idms_thr_ent *get(struct idms_throttle *t, const char *key, int64_t now)
{
	struct idms_thr_ent *e = find(t, key);

	if (e)
		return e;
	if (t->n == t->cap && t->cap < IDMS_THROTTLE_MAX) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		void *p = mcx_realloc(t->e, cap * sizeof(*t->e));

		if (p) {
			t->e = p;
			t->cap = cap;
		}
	}
	if (t->n < t->cap)
		e = &t->e[t->n++];
	else if (t->n)
		e = victim(t, now);
	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, strlen(key) + 1);
	e->since = now;
	return e;
}

int64_t throttle_locked(struct idms_throttle *t, const char *account, int64_t now)
{
	char key[THR_KEY_MAX];
	struct idms_thr_ent *e;
	int64_t left = 0;

	make_key(key, 'a', account);
	pthread_mutex_lock(&t->lock);
	e = find(t, key);
	if (e && e->locked_until > now)
		left = e->locked_until - now;
	else if (e && e->locked_until)
		e->locked_until = e->failures = 0; /* the lockout is over: a fresh start */
	pthread_mutex_unlock(&t->lock);
	return left;
}

bool throttle_peer_blocked(struct idms_throttle *t, const char *peer, int64_t now)
{
	char key[THR_KEY_MAX];
	struct idms_thr_ent *e;
	bool blocked;

	make_key(key, 'p', peer);
	pthread_mutex_lock(&t->lock);
	e = find(t, key);
	blocked = e && now - e->since < IDMS_PEER_WINDOW && e->failures >= IDMS_PEER_FAILS_MAX;
	pthread_mutex_unlock(&t->lock);
	return blocked;
}

static void peer_fail(struct idms_throttle *t, const char *peer, int64_t now)
{
	char key[THR_KEY_MAX];
	struct idms_thr_ent *e;

	make_key(key, 'p', peer);
	e = get(t, key, now);
	if (!e)
		return;
	if (now - e->since >= IDMS_PEER_WINDOW) {
		e->since = now;
		e->failures = 0;
	}
	e->failures++;
	e->touched = now;
}

int64_t throttle_fail(struct idms_throttle *t, const char *account, const char *peer, int64_t now,
		      long long max_failures, long long lockout)
{
	char key[THR_KEY_MAX];
	struct idms_thr_ent *e;
	int64_t locked = 0;

	make_key(key, 'a', account);
	pthread_mutex_lock(&t->lock);
	peer_fail(t, peer, now);
	e = get(t, key, now);
	if (e) {
		e->touched = now;
		if (++e->failures >= max_failures) {
			e->locked_until = now + lockout;
			locked = lockout;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return locked;
}

void throttle_ok(struct idms_throttle *t, const char *account)
{
	char key[THR_KEY_MAX];
	struct idms_thr_ent *e;

	make_key(key, 'a', account);
	pthread_mutex_lock(&t->lock);
	e = find(t, key);
	if (e)
		e->failures = e->locked_until = 0;
	pthread_mutex_unlock(&t->lock);
}
