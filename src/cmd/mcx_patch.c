/* mcx patch: the RFC 5261 engine (src/patch/) from the command line, for
 * people checking what a subscriber gets: `diff` prints the operations that
 * turn one document into another (as an xcap-diff <document> would carry
 * them), `apply` applies an xcap-diff NOTIFY body (or a bare <diff>) to a
 * document and, for xcap-diff, checks the result's ETag against new-etag,
 * exactly as the CMC does. */
#include <stdio.h>
#include <string.h>

#include "cmd/mcx.h"
#include "core/buf.h"
#include "patch/patch.h"
#include "xcap/etag.h"
#include "cmc/notify.h"

#define PATCH_CLI_MAX (PATCH_MAX_DOC + (1u << 20)) /* a file read */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mcx patch COMMAND\n"
		"  diff OLD NEW                  the RFC 5261 operations turning OLD into NEW\n"
		"                                (the content of an xcap-diff <document>)\n"
		"  apply DOC PATCH [--sel SEL]   apply PATCH to DOC and print the result. PATCH is\n"
		"                                an xcap-diff document (a NOTIFY body: the <document>\n"
		"                                named SEL, or its only one; previous-etag must be\n"
		"                                DOC's ETag and the result's must be new-etag) or an\n"
		"                                RFC 5261 <diff> document\n"
		"Files may be - for standard input (one of them).\n"
		"Exit status: 0 done, 1 the patch does not apply or an ETag differs, 2 usage or I/O.\n");
}

static enum mcx_err slurp(const char *path, struct mcx_buf *b)
{
	enum mcx_err err;

	buf_init(b, PATCH_CLI_MAX);
	err = buf_add_file(b, path);
	if (err)
		buf_reset(b);
	return err;
}

static int read2(const char *a, const char *b, struct mcx_buf *x, struct mcx_buf *y)
{
	enum mcx_err err = slurp(a, x);

	if (err) {
		fprintf(stderr, "mcx patch: %s: %s\n", a, mcx_strerror(err));
		return 2;
	}
	err = slurp(b, y);
	if (err) {
		fprintf(stderr, "mcx patch: %s: %s\n", b, mcx_strerror(err));
		buf_reset(x);
		return 2;
	}
	return 0;
}

static int diff(int argc, char **argv)
{
	struct mcx_buf a, b, out;
	struct patch_status st;
	enum mcx_err err;
	int rc;

	if (argc != 4) {
		usage(stderr);
		return 2;
	}
	rc = read2(argv[2], argv[3], &a, &b);
	if (rc)
		return rc;
	buf_init(&out, PATCH_CLI_MAX);
	memset(&st, 0, sizeof(st));
	err = patch_diff(a.p ? a.p : "", a.len, b.p ? b.p : "", b.len, NULL, &out, &st);
	if (err) {
		fprintf(stderr, "mcx patch: no patch: %s\n", st.detail[0] ? st.detail : mcx_strerror(err));
		rc = 1;
	} else if (out.len) {
		fwrite(out.p, 1, out.len, stdout);
		fputc('\n', stdout);
	}
	buf_reset(&a);
	buf_reset(&b);
	buf_reset(&out);
	return rc;
}

/* The <document> of n named sel, or its only one when sel is NULL. */
static const struct cmc_ndoc *pick(const struct cmc_notify *n, const char *sel)
{
	unsigned i;

	if (!sel)
		return n->ndocs == 1 ? &n->docs[0] : NULL;
	for (i = 0; i < n->ndocs; i++)
		if (!strcmp(n->docs[i].sel, sel))
			return &n->docs[i];
	return NULL;
}

static int apply_xdiff(const struct mcx_buf *doc, const struct mcx_buf *p, const char *sel)
{
	struct cmc_notify *n = NULL;
	const struct cmc_ndoc *nd;
	char eb[200], why[300], etag[XCAP_ETAG_LEN + 1];
	struct mcx_buf out;
	int rc = 1;

	if (cmc_notify_parse(&n, p->p, p->len, eb, sizeof(eb))) {
		fprintf(stderr, "mcx patch: not an xcap-diff document: %s\n", eb);
		return 1;
	}
	nd = pick(n, sel);
	if (!nd) {
		fprintf(stderr, "mcx patch: %s\n",
			sel ? "no <document> with that sel" : "several <document>s: name one with --sel");
		cmc_notify_free(n);
		return 2;
	}
	xcap_etag(doc->p ? doc->p : "", doc->len, etag);
	buf_init(&out, PATCH_CLI_MAX);
	switch (cmc_notify_decide(nd, doc->p ? doc->p : "", doc->len, etag, &out, why, sizeof(why))) {
	case CMC_PATCHED:
		fwrite(out.p, 1, out.len, stdout);
		fprintf(stderr, "mcx patch: %s (new-etag %s)\n", why, nd->next);
		rc = 0;
		break;
	case CMC_KEEP:
		fwrite(doc->p, 1, doc->len, stdout);
		fprintf(stderr, "mcx patch: %s\n", why);
		rc = 0;
		break;
	default:
		fprintf(stderr, "mcx patch: %s\n", why);
		break;
	}
	buf_reset(&out);
	cmc_notify_free(n);
	return rc;
}

static int apply(int argc, char **argv)
{
	const char *sel = NULL;
	struct mcx_buf doc, p, out;
	struct patch_status st;
	int rc;

	if (argc == 6 && !strcmp(argv[4], "--sel"))
		sel = argv[5];
	else if (argc != 4) {
		usage(stderr);
		return 2;
	}
	rc = read2(argv[2], argv[3], &doc, &p);
	if (rc)
		return rc;
	if (p.len && memmem(p.p, p.len, "urn:ietf:params:xml:ns:xcap-diff", 32)) {
		rc = apply_xdiff(&doc, &p, sel);
	} else {
		buf_init(&out, PATCH_CLI_MAX);
		memset(&st, 0, sizeof(st));
		if (patch_apply(doc.p ? doc.p : "", doc.len, p.p ? p.p : "", p.len, NULL, &out, &st)) {
			fprintf(stderr, "mcx patch: %s (op %u): %s\n", patch_error_name(st.code),
				(unsigned)st.op, st.detail);
			rc = 1;
		} else {
			fwrite(out.p, 1, out.len, stdout);
		}
		buf_reset(&out);
	}
	buf_reset(&doc);
	buf_reset(&p);
	return rc;
}

int cmd_patch(struct mcx_ctx *x, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	(void)x;
	if (!sub || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		usage(sub ? stdout : stderr);
		return sub ? 0 : 2;
	}
	if (!strcmp(sub, "diff"))
		return diff(argc, argv);
	if (!strcmp(sub, "apply"))
		return apply(argc, argv);
	fprintf(stderr, "mcx patch: unknown command '%s' (try mcx patch --help)\n", sub);
	return 2;
}
