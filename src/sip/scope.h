/* What one subscription covers: the XCAP URIs of its resource list that the
 * subscriber may read, resolved to store paths (documents, and collections
 * ending in '/'), with the subscriber's identity. Every document notified is
 * checked again against the access model at the time (xcap_may_read), so a
 * collection never shows a document its subscriber may not read, and a
 * content condition (a UE configuration's organisation) is re-evaluated on
 * every change. Used on the SIP thread only; not thread-safe. */
#ifndef MCX_SIP_SCOPE_H
#define MCX_SIP_SCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcx/mcx.h"
#include "core/buf.h"
#include "sip/who.h"

struct xcap_handler;
struct sip_scope;

/* Keep the URIs (relative to the XCAP root, absolute-path, or absolute
 * http(s) URIs) that who may read; *refused counts the others, which are
 * dropped without a trace in the scope. MCX_ENOENT when none is readable. */
MCX_WUR enum mcx_err scope_build(struct sip_scope **sp, struct xcap_handler *h,
				 const struct sip_who *who, char *const *uris, size_t n,
				 unsigned *refused);
void scope_free(struct sip_scope *s);
size_t scope_count(const struct sip_scope *s);
const char *scope_xui(const struct sip_scope *s);
/* The token's expiry (unix seconds); 0 when none or not by token. */
int64_t scope_token_exp(const struct sip_scope *s);
/* The subscriber, copied out. */
void scope_who(const struct sip_scope *s, struct sip_who *out);
/* The subscriber's identity changed (a refreshed token): later checks use
 * it. On MCX_ENOMEM the old one stays. */
MCX_WUR enum mcx_err scope_set_who(struct sip_scope *s, const struct sip_who *who);

/* Append a <document sel new-etag> for every readable document in scope
 * (collections expanded) to b, which holds an open <xcap-diff>. */
MCX_WUR enum mcx_err scope_full_state(struct sip_scope *s, struct xcap_handler *h,
				      struct mcx_buf *b);
/* Does a change of the document at path concern the subscription, and may
 * its subscriber see it now? sel gets the XCAP URI (relative to the root)
 * to name it by. A deleted document cannot be given to a content condition
 * any more: its deletion is notified only where the access table alone
 * grants reading. */
bool scope_match(struct sip_scope *s, struct xcap_handler *h, const char *path, char *sel,
		 size_t sellen);

/* Element and attribute subscriptions (a resource-list URI with a node
 * selector, RFC 5875 §4.4, §4.5): each is read as a GET by the subscriber
 * would read it. The document at path changed: mark the nodes of it whose
 * content (or existence) differs from what was last notified; true if any.
 * A node the subscriber may not read now is neither marked nor told. */
bool scope_node_changed(struct sip_scope *s, struct xcap_handler *h, const char *path);
/* Append an <element>/<attribute> with the current content (exists="0"
 * when gone) for every marked node, or every node when all (the full
 * state), to b, which holds an open <xcap-diff>; unmarks them. */
MCX_WUR enum mcx_err scope_nodes(struct sip_scope *s, struct xcap_handler *h, struct mcx_buf *b,
				 bool all);

#endif
