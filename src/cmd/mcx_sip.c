/* mcx sip: list, show and end the SIP notifier's stored subscriptions on
 * the data directory. Ending marks the row; the running mcxd sends the
 * final NOTIFY within sip-admin-poll-ms (or the next one does at start). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cmd/mcx.h"
#include "core/mem.h"
#include "sip/persist.h"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: mcx [--data-dir DIR] sip COMMAND\n"
	    "  list [--json]                 one line per subscription: id, subscriber,\n"
	    "                                remote target, mode, expires in, resources\n"
	    "  show ID [--json]              everything stored about one subscription\n"
	    "  end ID [--reason R]           end it: the running mcxd sends the final NOTIFY\n"
	    "                                (Subscription-State: terminated;reason=R) within\n"
	    "                                sip-admin-poll-ms; if mcxd is not running, the next\n"
	    "                                start does. R: " PERSIST_END_REASONS "\n"
	    "                                (default deactivated)\n"
	    "ID is the subscription's id (its dialog's local tag) or a unique prefix of it,\n"
	    "at least 4 characters. Access tokens are never printed.\n");
}

/* One row, decoded. */
struct row {
	char *id;
	unsigned flags;
	char *json; /* the stored record */
	size_t len;
	struct sip_sub_rec r;
};

static void row_free(struct row *w)
{
	mcx_free(w->id);
	mcx_free(w->json);
	persist_rec_free(&w->r);
}

/* "1h02m03s", or "expired" */
static const char *left_str(int64_t expires, char *buf, size_t len)
{
	int64_t left = expires - (int64_t)time(NULL);

	if (left <= 0)
		return "expired";
	if (left >= 3600)
		snprintf(buf, len, "%lldh%02lldm%02llds", (long long)left / 3600,
			 (long long)left % 3600 / 60, (long long)left % 60);
	else if (left >= 60)
		snprintf(buf, len, "%lldm%02llds", (long long)left / 60, (long long)left % 60);
	else
		snprintf(buf, len, "%llds", (long long)left);
	return buf;
}

/* ---- list ---- */

struct lister {
	bool json;
	json_t *arr;
	unsigned n, bad;
};

static json_t *summary_json(const struct store_sub *row, const struct sip_sub_rec *r)
{
	const char *reason = persist_reason_name(row->flags);

	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s?}", "id", row->id, "subscriber",
			 r->who.xui, "remote-target", dlg_get(&r->dlg, DLG_TARGET),
			 "diff-processing", sip_diff_mode_name(r->ev.mode), "expires",
			 (json_int_t)r->expires, "resources", (json_int_t)r->nuris, "ending",
			 reason);
}

static int list_one(const struct store_sub *row, void *arg)
{
	struct lister *l = arg;
	const char *reason = persist_reason_name(row->flags);
	struct sip_sub_rec r;
	char left[32];

	if (persist_decode(&r, row->data, row->len, SIZE_MAX)) {
		fprintf(stderr, "mcx: subscription %s: the stored record is unreadable\n", row->id);
		l->bad++;
		persist_rec_free(&r);
		return 0;
	}
	l->n++;
	if (l->json) {
		json_t *o = summary_json(row, &r);

		if (!o || json_array_append_new(l->arr, o))
			l->bad++;
	} else {
		printf("%-16s  %-30s  %-36s  %-13s  %9s  %zu%s%s\n", row->id, r.who.xui,
		       dlg_get(&r.dlg, DLG_TARGET), sip_diff_mode_name(r.ev.mode),
		       left_str(r.expires, left, sizeof(left)), r.nuris, reason ? "  ending: " : "",
		       reason ? reason : "");
	}
	persist_rec_free(&r);
	return 0;
}

static int cmd_list(struct mcx_ctx *x, bool json)
{
	struct lister l = {json, json ? json_array() : NULL, 0, 0};
	enum mcx_err err;

	if (json && !l.arr)
		return 1;
	if (!json)
		printf("%-16s  %-30s  %-36s  %-13s  %9s  %s\n", "ID", "SUBSCRIBER", "REMOTE TARGET",
		       "MODE", "EXPIRES", "RESOURCES");
	err = store_sub_list(x->store, false, list_one, &l);
	if (err) {
		fprintf(stderr, "mcx: cannot list the subscriptions: %s\n", mcx_strerror(err));
		json_decref(l.arr);
		return 1;
	}
	if (json) {
		char *text = json_dumps(l.arr, JSON_INDENT(2));

		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(l.arr);
		if (!text)
			return 1;
	}
	return l.bad ? 1 : 0;
}

/* ---- finding one ---- */

struct finder {
	const char *prefix;
	size_t plen;
	unsigned matches;
	struct row *w;
	enum mcx_err err;
};

static int find_one(const struct store_sub *row, void *arg)
{
	struct finder *f = arg;

	if (strncmp(row->id, f->prefix, f->plen))
		return 0;
	if (++f->matches > 1)
		return 1;
	f->w->id = mcx_strdup(row->id);
	f->w->json = mcx_strndup(row->data, row->len);
	f->w->len = row->len;
	f->w->flags = row->flags;
	if (!f->w->id || !f->w->json)
		f->err = MCX_ENOMEM;
	return 0;
}

/* The row whose id is id or starts with it (unique, 4 characters at least). */
static int find(struct mcx_ctx *x, const char *id, struct row *w)
{
	struct finder f = {id, strlen(id), 0, w, MCX_OK};
	enum mcx_err err;

	memset(w, 0, sizeof(*w));
	if (f.plen < 4) {
		fprintf(stderr, "mcx: give at least 4 characters of the subscription id\n");
		return 2;
	}
	err = store_sub_list(x->store, false, find_one, &f);
	if (!err)
		err = f.err;
	if (err) {
		fprintf(stderr, "mcx: cannot read the subscriptions: %s\n", mcx_strerror(err));
		return 1;
	}
	if (f.matches != 1) {
		fprintf(stderr,
			f.matches ? "mcx: %s names several subscriptions: give more of it\n"
				  : "mcx: no subscription %s (see mcx sip list)\n",
			id);
		return 1;
	}
	err = persist_decode(&w->r, w->json, w->len, SIZE_MAX);
	if (err) {
		fprintf(stderr, "mcx: subscription %s: the stored record is unreadable (%s)\n",
			w->id, mcx_strerror(err));
		return 1;
	}
	return 0;
}

/* ---- show ---- */

static void print_time(const char *label, int64_t t)
{
	char buf[64];
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		printf("%-20s %s\n", label, buf);
}

static void show_text(const struct row *w)
{
	const struct sip_sub_rec *r = &w->r;
	const char *reason = persist_reason_name(w->flags);
	char left[32];
	size_t i;

	printf("%-20s %s\n", "id", w->id);
	printf("%-20s %s%s\n", "subscriber", r->who.xui, r->who.admin ? " (administrator)" : "");
	if (r->token) {
		printf("%-20s access token (not shown)\n", "identified by");
		printf("%-20s %s\n", "token scopes", r->who.scopes);
		if (r->who.token_exp)
			print_time("token expires", r->who.token_exp);
	} else {
		printf("%-20s P-Asserted-Identity from a trusted SIP core\n", "identified by");
	}
	printf("%-20s %s\n", "state", reason ? "ending (marked by mcx sip end)" : "active");
	if (reason)
		printf("%-20s %s\n", "end reason", reason);
	print_time("created", r->created);
	print_time("expires", r->expires);
	printf("%-20s %s\n", "expires in", left_str(r->expires, left, sizeof(left)));
	printf("%-20s xcap-diff%s%s\n", "event", r->ev.id[0] ? ";id=" : "", r->ev.id);
	printf("%-20s %s\n", "diff-processing", sip_diff_mode_name(r->ev.mode));
	printf("%-20s %s\n", "call-id", dlg_get(&r->dlg, DLG_CALLID));
	printf("%-20s %s\n", "local tag", dlg_get(&r->dlg, DLG_LTAG));
	printf("%-20s %s\n", "remote tag", dlg_get(&r->dlg, DLG_RTAG));
	printf("%-20s %s\n", "local uri", dlg_get(&r->dlg, DLG_LURI));
	printf("%-20s %s\n", "remote uri", dlg_get(&r->dlg, DLG_RURI));
	printf("%-20s %s\n", "remote target", dlg_get(&r->dlg, DLG_TARGET));
	printf("%-20s %s\n", "route set",
	       *dlg_get(&r->dlg, DLG_ROUTE) ? dlg_get(&r->dlg, DLG_ROUTE) : "(none)");
	printf("%-20s %u (reserved up to)\n", "local cseq", (unsigned)r->lseq_ceil);
	printf("%-20s %u\n", "remote cseq", (unsigned)r->dlg.rseq);
	printf("%-20s %zu\n", "resources", r->nuris);
	for (i = 0; i < r->nuris; i++)
		printf("  %s\n", r->uris[i]);
}

static int show_json(const struct row *w)
{
	const char *reason = persist_reason_name(w->flags);
	json_t *o = json_loadb(w->json, w->len, 0, NULL);
	char *text = NULL;

	if (o) {
		bool tok = json_object_get(o, "token") != NULL;

		json_object_del(o, "token"); /* a credential: never printed */
		if (json_object_set_new(o, "id", json_string(w->id)) ||
		    json_object_set_new(o, "token", json_boolean(tok)) ||
		    json_object_set_new(o, "ending", reason ? json_string(reason) : json_null()))
			json_object_clear(o);
		text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	}
	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(o);
	return text ? 0 : 1;
}

/* ---- end ---- */

static int cmd_end(struct mcx_ctx *x, const struct row *w, const char *reason)
{
	unsigned code = persist_reason_code(reason);
	enum mcx_err err;

	if (!code) {
		fprintf(stderr, "mcx: '%s' is not an RFC 6665 reason: use one of %s\n", reason,
			PERSIST_END_REASONS);
		return 2;
	}
	err = store_sub_mark(x->store, w->id, code);
	if (err == MCX_ENOENT) {
		fprintf(stderr, "mcx: subscription %s ended meanwhile\n", w->id);
		return 1;
	}
	if (err) {
		fprintf(stderr, "mcx: cannot mark subscription %s: %s\n", w->id, mcx_strerror(err));
		return 1;
	}
	printf("subscription %s (%s) marked to end with reason %s: mcxd sends the final NOTIFY\n",
	       w->id, w->r.who.xui, reason);
	return 0;
}

int cmd_sip(struct mcx_ctx *x, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL, *id = NULL, *reason = "deactivated";
	bool json = false;
	struct row w;
	int i, rc;

	if (!sub || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		usage(sub ? stdout : stderr);
		return sub ? 0 : 2;
	}
	if (strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "end")) {
		fprintf(stderr, "mcx: unknown sip command '%s'\n", sub);
		usage(stderr);
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--reason") && i + 1 < argc) {
			reason = argv[++i];
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] != '-' && !id) {
			id = argv[i];
		} else {
			fprintf(stderr, "mcx: sip %s: unexpected argument '%s'\n", sub, argv[i]);
			return 2;
		}
	}
	if (x->server) {
		fprintf(stderr, "mcx: sip commands work on the data directory (--data-dir), not "
				"--server\n");
		return 2;
	}
	if (strcmp(sub, "list") && !id) {
		fprintf(stderr, "mcx: sip %s needs a subscription id (see mcx sip list)\n", sub);
		return 2;
	}
	if (!strcmp(sub, "end") && !persist_reason_code(reason)) {
		fprintf(stderr, "mcx: '%s' is not an RFC 6665 reason: use one of %s\n", reason,
			PERSIST_END_REASONS);
		return 2;
	}
	if (mcx_open(x))
		return 1;
	if (!strcmp(sub, "list"))
		return cmd_list(x, json);
	rc = find(x, id, &w);
	if (!rc && !strcmp(sub, "show")) {
		if (json)
			rc = show_json(&w);
		else
			show_text(&w);
	} else if (!rc) {
		rc = cmd_end(x, &w, reason);
	}
	row_free(&w);
	return rc;
}
