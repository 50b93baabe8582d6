/* mcx userdb: the MCPTT user database view (TS 29.283's role): pull a
 * user's profiles, update one, and watch profile changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/mcx.h"
#include "core/buf.h"
#include "http/userdb.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mcx [--data-dir DIR] userdb COMMAND\n"
		"  pull MCPTT-ID [--xml]        the user's profiles: index, pre-selected, ETag, path\n"
		"                               (--xml: the documents themselves)\n"
		"  update MCPTT-ID FILE|-       create or replace the profile the document's\n"
		"                               user-profile-index names (validated, versioned)\n"
		"  watch [MCPTT-ID] [--from SEQ] [--count N]\n"
		"                               print one JSON line per committed profile change\n"
		"                               (from any writer: mcxd, mcx) from now on, or after\n"
		"                               the change SEQ; stop after N (default: never)\n");
}

static int print_profile(const struct userdb_profile *p, void *arg)
{
	const bool *xml = arg;

	if (*xml) {
		fwrite(p->bytes, 1, p->len, stdout);
		return 0;
	}
	printf("index=%ld%s etag=%s path=%s\n", p->index, p->preselected ? " pre-selected" : "",
	       p->etag, p->path);
	return 0;
}

struct watch {
	const char *who;
	long long last;
	long count;
};

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void watch_one(const struct store_change *c, void *arg)
{
	struct watch *w = arg;
	char who[512];

	w->last = c->seq;
	if (!userdb_path_user(c->path, who, sizeof(who)) || (w->who && strcmp(w->who, who)))
		return;
	printf("{\"seq\":%lld,\"mcptt_id\":", c->seq);
	json_str(who);
	printf(",\"path\":");
	json_str(c->path);
	printf(",\"previous_etag\":");
	json_str(c->prev_etag);
	printf(",\"new_etag\":");
	json_str(c->new_etag);
	printf(",\"author\":");
	json_str(c->author ? c->author : "");
	printf("}\n");
	fflush(stdout);
	if (w->count > 0)
		w->count--;
}

static void note_seq(const struct store_change *c, void *arg)
{
	*(long long *)arg = c->seq;
}

static int watch(struct mcx_ctx *x, int argc, char **argv)
{
	struct watch w = { NULL, -1, -1 };
	int i;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--from") && i + 1 < argc)
			w.last = strtoll(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			w.count = strtol(argv[++i], NULL, 10);
		else
			w.who = argv[i];
	}
	if (w.last < 0) {   /* from now on */
		w.last = 0;
		if (store_changes_since(x->store, 0, note_seq, &w.last))
			return 1;
	}
	while (w.count != 0) {
		if (store_changes_since(x->store, w.last, watch_one, &w)) {
			fprintf(stderr, "mcx: cannot read the change feed\n");
			return 1;
		}
		if (w.count != 0)
			usleep(100 * 1000);
	}
	return 0;
}

int cmd_userdb(struct mcx_ctx *x, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		usage(sub ? stdout : stderr);
		return sub ? 0 : 2;
	}
	if (x->server) {
		fprintf(stderr, "mcx: userdb works on the data directory (--data-dir)\n");
		return 2;
	}
	if (mcx_open(x))
		return 1;
	if (!strcmp(sub, "watch"))
		return watch(x, argc, argv);
	if (argc < 3) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(sub, "pull")) {
		bool xml = argc > 3 && !strcmp(argv[3], "--xml");

		return userdb_pull(x->store, argv[2], print_profile, &xml) ? 1 : 0;
	}
	if (!strcmp(sub, "update") && argc >= 4) {
		struct xcap_response rs;
		struct mcx_buf b;
		enum mcx_err err;
		int rc;

		buf_init(&b, x->cfg.xcap.max_document_size);
		err = buf_add_file(&b, argv[3]);
		if (err) {
			fprintf(stderr, "mcx: %s: %s\n", argv[3],
				err == MCX_ELIMIT ? "larger than max-document-size" : "cannot read it");
			buf_reset(&b);
			return 1;
		}
		xcap_response_init(&rs);
		userdb_update(&x->h, argv[2], b.p ? b.p : "", b.len, "mcx userdb", &rs);
		rc = rs.status == 200 || rs.status == 201 ? 0 : 1;
		if (rc)
			fprintf(stderr, "mcx: %d %s\n", rs.status, rs.xs.phrase);
		else
			fprintf(stderr, "%d %s ETag \"%s\"\n", rs.status, rs.docpath, rs.etag);
		xcap_response_free(&rs);
		buf_reset(&b);
		return rc;
	}
	usage(stderr);
	return 2;
}
