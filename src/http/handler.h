/* The XCAP request handler: the sans-I/O core of the HTTP front. A parsed
 * HTTP request (method, target, headers that matter, body, identity) goes in,
 * a response (status, headers, body) comes out. The MHD glue (server.c) and
 * `mcx doc` on a data directory both call it, so every writer takes the same
 * path: URI -> usage -> access -> operation -> validation -> store_commit. */
#ifndef MCX_HTTP_HANDLER_H
#define MCX_HTTP_HANDLER_H

#include <stdbool.h>
#include <stddef.h>

#include "mcx/mcx.h"
#include "core/buf.h"
#include "xcap/error.h"
#include "xcap/xmldoc.h"
#include "store/store.h"

struct xcap_handler_conf {
	const char *root;          /* XCAP root path, e.g. "/xcap-root" */
	size_t max_doc;            /* bytes per document (413 beyond) */
	size_t max_uri;            /* bytes of request target */
	struct xmldoc_limits xml;  /* depth, element and attribute caps */
	unsigned max_steps;        /* node selector steps */
	bool test_usage;           /* serve the opt-in test usage */
	unsigned commit_retries;   /* on concurrent change without If-Match */
	const char *default_org;   /* organisation of tel: users */
	const char *servers;       /* space-separated authorised MCPTT server identities */
};

struct xcap_handler {
	struct xcap_handler_conf conf;
	struct mcx_store *store;
};

struct xcap_identity {
	const char *xui;           /* authenticated XUI, NULL = anonymous */
	bool admin;                /* an administrator of the XUI's organisation */
	bool root;                 /* a local tool on the data directory: everything */
	const char *scopes;        /* space-separated access-token scopes; NULL = not a token */
	const char *intended;      /* X-3GPP-Intended-Identity (administrators only) */
};

struct xcap_request {
	const char *method;
	const char *target;        /* raw request target: path and query */
	size_t target_len;
	const char *content_type;  /* NULL when absent */
	const char *if_match;
	const char *if_none_match;
	const char *body;
	size_t body_len;
	struct xcap_identity who;
};

struct xcap_response {
	int status;
	const char *content_type;  /* static string or NULL */
	const char *allow;         /* for 405 */
	char etag[STORE_ETAG_MAX];   /* without quotes; "" = none */
	struct mcx_buf body;       /* owned body, or: */
	struct store_doc *doc;     /* a referenced stored version, and */
	const char *view;          /* a view into it (or into body) */
	size_t view_len;
	struct xcap_status xs;     /* detail, also for logs */
	const char *bearer_error;  /* "insufficient_scope" with 403 for token users */
	const char *bearer_scope;  /* the scope that was missing */
	char docpath[512];         /* for logs */
};

void xcap_handler_init(struct xcap_handler *h, const struct xcap_handler_conf *c,
		       struct mcx_store *st);
/* Fill rs for rq. Always sets rs->status; never fails. */
void xcap_handle(struct xcap_handler *h, const struct xcap_request *rq,
		 struct xcap_response *rs);
/* May who read target (a request target as a GET would send it: XCAP root
 * path, document selector, optional node selector)? Runs the URI parser,
 * the usage's resolve hook, the access table and the usage's content
 * condition exactly as a GET, without building a body. Returns 200 when
 * allowed, else the status the GET would get (400, 401, 403, 404, ...). A
 * collection ("dir/") gets 200 when the table grants reading in that tree
 * at all: ask again for each document inside. On 200, docpath_out (may be
 * NULL) gets the resolved store path (collections end in '/'). Thread-safe
 * like xcap_handle. */
int xcap_may_read(struct xcap_handler *h, const struct xcap_identity *who,
		  const char *target, size_t len, char *docpath_out, size_t outlen);
void xcap_response_init(struct xcap_response *rs);
void xcap_response_free(struct xcap_response *rs);
/* The body bytes to send (view into doc or the owned buffer). */
const char *xcap_response_body(const struct xcap_response *rs, size_t *len);

#endif
