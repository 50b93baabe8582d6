/* The SUBSCRIBE decision for the xcap-diff event package (RFC 6665 §4.2.1,
 * RFC 5875 §4, TS 24.484 §6.3.13): Event and its diff-processing parameter,
 * Accept, Expires, the body (access token and resource list), the
 * subscriber's identity and the resources they may read. Sans-I/O: header
 * values and body in; a status with its reason, the granted duration and
 * the subscription's scope out. The glue (server.c) sends what it decides.
 * Statuses: 489 not xcap-diff; 406 Accept without application/xcap-diff+xml;
 * 400 bad Expires, missing or malformed body; 423 too brief (Min-Expires);
 * 413 body too large; 415 body type; 403 bad token, no identity, nothing
 * readable; 500 out of memory. */
#ifndef MCX_SIP_SUBSCRIBE_H
#define MCX_SIP_SUBSCRIBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/diffmode.h"
#include "sip/limits.h"
#include "sip/who.h"

#define SIP_EVENT_PACKAGE "xcap-diff"
#define MIME_XCAP_DIFF "application/xcap-diff+xml"

struct xcap_handler;
struct auth_conf;
struct mcx_store;
struct sip_scope;

struct sip_policy {
	struct xcap_handler *h;
	const struct auth_conf *auth; /* NULL: access tokens are refused */
	struct mcx_store *store;
	uint32_t min_expires, max_expires, default_expires;
	size_t max_body, max_entries;
};

/* A header value or body as bytes; p == NULL means absent. */
struct sip_bytes {
	const char *p;
	size_t l;
};

struct sip_subscribe_in {
	struct sip_bytes event, accept, expires, ctype, body;
	const char *asserted; /* P-Asserted-Identity from a trusted peer only; else NULL */
	int64_t now;	      /* unix seconds */
};

struct sip_event {
	enum sip_diff_mode mode;
	char id[SIP_EVENT_ID_MAX]; /* the id parameter; "" when absent */
};

struct sip_subscribe_out {
	int status;	      /* 200 or a refusal */
	const char *reason;   /* reason phrase */
	char why[200];	      /* detail for the log and a Warning header */
	uint32_t expires;     /* granted; 0 = unsubscribe (or a fetch) */
	uint32_t min_expires; /* with a 423 */
	bool terminate;	      /* a refresh refused for good: end the subscription */
	struct sip_event ev;
	struct sip_who who;	 /* the subscriber (refresh: the new identity, if any) */
	bool who_changed;	 /* refresh: a new token came with it */
	struct sip_scope *scope; /* new subscription with 200: the caller owns it */
	unsigned refused;	 /* resource-list entries left out */
};

/* A SUBSCRIBE that creates a subscription. */
void sip_subscribe_new(const struct sip_policy *p, const struct sip_subscribe_in *in,
		       struct sip_subscribe_out *out);
/* An in-dialog SUBSCRIBE (refresh, or unsubscribe with Expires: 0) of a
 * subscription whose subscriber is cur. A body with an access token must
 * name the same MCPTT ID and replaces the token; without one, an expired
 * token ends the subscription (403, terminate). The resource list of a
 * refresh is not read: the scope stays as subscribed. */
void sip_subscribe_refresh(const struct sip_policy *p, const struct sip_subscribe_in *in,
			   const struct sip_who *cur, struct sip_subscribe_out *out);

/* The parts, exposed for tests. Event: false unless xcap-diff (an unknown
 * diff-processing value gives no-patching, RFC 5875 §4.3). */
bool sip_event_parse(const char *p, size_t l, struct sip_event *ev);
/* Does one Accept value list application/xcap-diff+xml or a wildcard? */
bool sip_accept_ok(const char *p, size_t l);
/* 0 with *granted, 400 malformed, 423 below min. */
int sip_expires_grant(const struct sip_policy *c, const char *p, size_t l, uint32_t *granted);

#endif
