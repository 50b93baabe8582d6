/* The header checks of a SUBSCRIBE for xcap-diff (RFC 6665 §4.2.1, RFC 5875
 * §4): the event package with its diff-processing and id parameters, the
 * Accept list and the subscription duration. Sans-I/O: header values in,
 * decisions out. */
#ifndef MCX_SIP_SUBSCRIBE_H
#define MCX_SIP_SUBSCRIBE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/pl.h"
#include "sip/limits.h"
#include "sip/diffmode.h"

#define SIP_EVENT_PACKAGE "xcap-diff"
#define MIME_XCAP_DIFF    "application/xcap-diff+xml"

struct sip_event {
	enum sip_diff_mode mode;
	char id[SIP_EVENT_ID_MAX];   /* the id parameter; "" when absent */
};

/* Parse an Event header value. False when the package is not xcap-diff or
 * the id is too long (489 Bad Event). An unknown diff-processing value
 * gives the default, no-patching (RFC 5875 §4.3 lets the notifier choose). */
bool sip_event_parse(struct pl value, struct sip_event *ev);
/* Does one Accept header value list application/xcap-diff+xml (or a
 * wildcard that covers it)? */
bool sip_accept_ok(struct pl accept);

struct sip_expiry {
	uint32_t min, max, dfl;      /* seconds */
};

/* The duration to grant for an Expires value (present = the header is
 * there). 0 on success with *granted set (0 = unsubscribe or fetch);
 * 400 for a malformed value; 423 when below min (answer with Min-Expires). */
int sip_expires_grant(const struct sip_expiry *c, bool present, struct pl value,
		      uint32_t *granted);

#endif
