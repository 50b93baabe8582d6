/* The SIP role of mcxd: a SIP listener (UDP and TCP) that serves SUBSCRIBE
 * with the xcap-diff event package (RFC 6665, RFC 5875) and sends a NOTIFY
 * for every committed change in a subscription's scope. libre's event loop
 * runs on a thread of its own; committed changes reach it from the
 * committing threads through the feed (sip/feed.h) and a libre mqueue. */
#ifndef MCX_SIP_SERVER_H
#define MCX_SIP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "mcx/mcx.h"

struct xcap_handler;
struct auth_conf;
struct mcx_store;
struct sip_server;

struct sip_server_conf {
	const char *listen;	     /* "addr:port" ("[v6]:port") */
	const char *transports;	     /* "udp tcp", "udp" or "tcp" */
	const char *domain;	     /* Request-URI host accepted; "" = any */
	const char *trusted_proxies; /* may assert P-Asserted-Identity */
	const char *xcap_root;	     /* absolute XCAP root URI for NOTIFY bodies */
	const char *contact_user;    /* user part of our Contact; NULL = "cms" */
	uint32_t min_expires, max_expires, default_expires;
	unsigned notify_retries;
	size_t max_subscriptions, max_entries, max_body, max_pending, queue_max;
	const char *tls_listen;	     /* "addr:port" of SIP over TLS; NULL or "" = none */
	const char *tls_cert;	     /* PEM files of the TLS listener */
	const char *tls_key;
	uint32_t notify_interval_ms; /* aggregation window per subscription; 0 = none */
	size_t max_patch;	     /* bytes of one document's patch; 0 = etags only */
	uint32_t poll_ms;	     /* read other processes' changes; 0 = never */
	unsigned max_inflight;	     /* NOTIFYs awaiting their answer, all subscriptions */
	unsigned max_unanswered;     /* UDP NOTIFYs unanswered after T1, out of that window */
	uint32_t admin_poll_ms;	     /* look for subscriptions marked to end; 0 = never */
};

/* Start listening. h answers the access questions, st (h's store) gives
 * the documents and their changes, auth (NULL: tokens refused) validates
 * access tokens as the HTTP front does. They and the strings in c must
 * outlive the server. */
MCX_WUR enum mcx_err sip_server_start(struct sip_server **sp, const struct sip_server_conf *c,
				      struct xcap_handler *h, struct mcx_store *st,
				      const struct auth_conf *auth, char *errbuf, size_t errlen);
/* Stop the thread and drop every subscription without a NOTIFY: they stay
 * stored, and the next start notifies them again. NULL is fine. */
void sip_server_stop(struct sip_server *s);

#endif
