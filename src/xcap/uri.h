/* XCAP request URIs (RFC 4825 §6): XCAP root, document selector (AUID,
 * global or users/<XUI> tree, document path), node selector after "~~" and
 * the xmlns() query. Sans-I/O: a request target in, decoded parts out.
 * Field clients send '"', '[' and ']' unescaped: that is accepted. */
#ifndef MCX_XCAP_URI_H
#define MCX_XCAP_URI_H

#include <stddef.h>
#include <stdbool.h>

#include "mcx/mcx.h"
#include "xcap/selector.h"

#define XCAP_NSBIND_MAX 16

struct xcap_uri {
	char *auid;
	bool global;
	char *xui;               /* users tree: decoded XUI; NULL for global */
	char *docname;           /* path below the tree ("index", "a/b"); "" for a collection */
	bool collection;         /* the document selector ends with '/' */
	char *docpath;           /* canonical store key "<auid>/<global|users/xui>/<docname>" */
	char *node;              /* decoded node selector, NULL when none */
	size_t node_len;
	struct xsel_nsbind binds[XCAP_NSBIND_MAX];
	unsigned nbinds;
	char *pool;              /* owns every string above */
	char alt_path[1024];     /* docpath rewritten by a usage's resolve hook */
	bool read_only;          /* set by a resolve hook (e.g. a global lookup) */
};

enum xcap_uri_res {
	XCAP_URI_OK,
	XCAP_URI_NOT_ROOT,       /* not under the XCAP root: 404 */
	XCAP_URI_NOT_FOUND,      /* no AUID / tree / document part: 404 */
	XCAP_URI_BAD             /* malformed: 400 */
};

/* Parse target[0..len) (path plus optional "?query", not yet decoded).
 * root is the XCAP root path without trailing '/', e.g. "/xcap-root" or "".
 * errbuf says what is wrong. */
enum xcap_uri_res xcap_uri_parse(struct xcap_uri *u, const char *target, size_t len,
				 const char *root, size_t max_len,
				 char *errbuf, size_t errlen);
void xcap_uri_free(struct xcap_uri *u);

/* Percent-decode src into dst (same size is enough); false on a bad escape.
 * Rejects decoded NUL bytes. */
bool pct_decode(const char *src, size_t n, char *dst, size_t *outlen);

#endif
