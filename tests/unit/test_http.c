/* Unit tests: the XCAP handler in-process. Runs every tests/cases/NNN-name.case
 * file through xcap_handle() (no sockets, no Digest: "Auth:" and "As:"
 * pseudo-headers become the identity; exchanges that expect 401 belong to
 * the HTTP layer and are skipped), so the same protocol cases also run
 * under ASan+UBSan and the leak checker. See tests/live/run_cases.py for
 * the file format. */
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "test.h"
#include "core/mem.h"
#include "http/handler.h"
#include "http/accounts.h"
#include "xcap/usage.h"

#define LINE_MAX_N 4096

struct exch {
	char method[16];
	char target[2048];
	char *req_hdrs[16];
	int nreq;
	char *req_body;
	int status;
	char *exp_hdrs[16];
	int nexp;
	char *exp_body;
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* In-place ${VAR} substitution into a new malloc'd string. */
static char *subst(const char *s, char vars[][2][128], int nvars)
{
	size_t cap = strlen(s) * 2 + 512, o = 0;
	char *out = malloc(cap);
	int v;

	while (*s && out) {
		int hit = 0;

		for (v = 0; v < nvars; v++) {
			char pat[140];
			size_t pl, vl;

			snprintf(pat, sizeof(pat), "${%s}", vars[v][0]);
			pl = strlen(pat);
			if (!strncmp(s, pat, pl)) {
				vl = strlen(vars[v][1]);
				if (o + vl + 1 >= cap)
					break;
				memcpy(out + o, vars[v][1], vl);
				o += vl;
				s += pl;
				hit = 1;
				break;
			}
		}
		if (hit)
			continue;
		if (o + 2 >= cap)
			break;
		out[o++] = *s++;
	}
	if (out)
		out[o] = '\0';
	return out;
}

static void exch_free(struct exch *e, int n)
{
	int i, k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < e[i].nreq; k++)
			free(e[i].req_hdrs[k]);
		for (k = 0; k < e[i].nexp; k++)
			free(e[i].exp_hdrs[k]);
		free(e[i].req_body);
		free(e[i].exp_body);
	}
}

/* A body ends at the next marker: the last line's break is part of the
 * body unless the line ends with a backslash (then neither is). */
static void end_body(struct exch *ex, int n, int exp, char *body, size_t blen)
{
	if (!body || n < 0) {
		free(body);
		return;
	}
	if (blen && body[blen - 1] == '\n')
		body[--blen] = '\0';
	if (blen && body[blen - 1] == '\\') {
		body[--blen] = '\0';
	} else {
		body[blen++] = '\n';
		body[blen] = '\0';
	}
	*(exp ? &ex[n].exp_body : &ex[n].req_body) = body;
}

/* Parse a case file into exchanges; returns the count or -1. */
static int parse_case(char *text, struct exch *ex, int max)
{
	char *line = text, *body = NULL;
	int n = -1, exp = 0;
	size_t blen = 0;

	while (line && *line) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (!strncmp(line, ">>> ", 4) || !strncmp(line, "<<< ", 4)) {
			end_body(ex, n, exp, body, blen);
			body = NULL;
			blen = 0;
			if (line[0] == '>') {
				char *sp;

				if (++n >= max)
					return -1;
				memset(&ex[n], 0, sizeof(ex[n]));
				sp = strchr(line + 4, ' ');
				if (!sp)
					return -1;
				snprintf(ex[n].method, sizeof(ex[n].method), "%.*s", (int)(sp - line - 4), line + 4);
				snprintf(ex[n].target, sizeof(ex[n].target), "%s", sp + 1);
				exp = 0;
			} else if (n >= 0) {
				ex[n].status = atoi(line + 4);
				exp = 1;
			}
		} else if (n < 0 || (line[0] == '#' && !body)) {
			/* comment */
		} else if (body) {
			size_t l = strlen(line);
			char *nb = realloc(body, blen + l + 3);

			if (!nb)
				return -1;
			body = nb;
			memcpy(body + blen, line, l);
			blen += l;
			body[blen++] = '\n';
			body[blen] = '\0';
		} else if (!*line) {
			body = calloc(1, 1);
		} else if (exp && ex[n].nexp < 16) {
			ex[n].exp_hdrs[ex[n].nexp++] = strdup(line);
		} else if (!exp && ex[n].nreq < 16) {
			ex[n].req_hdrs[ex[n].nreq++] = strdup(line);
		}
		line = nl ? nl + 1 : NULL;
	}
	end_body(ex, n, exp, body, blen);
	return n + 1;
}

static const char *hval(const char *h, const char *name)
{
	size_t l = strlen(name);

	if (strncasecmp(h, name, l) || h[l] != ':')
		return NULL;
	h += l + 1;
	while (*h == ' ')
		h++;
	return h;
}

static int schema_ok(const char *name, const char *body, size_t len)
{
	char path[256];
	xmlSchemaParserCtxtPtr pc;

	snprintf(path, sizeof(path), "schemas/%s.xsd", name);
	pc = xmlSchemaNewParserCtxt(path);
	xmlSchemaPtr sc = pc ? xmlSchemaParse(pc) : NULL;
	xmlSchemaValidCtxtPtr vc = sc ? xmlSchemaNewValidCtxt(sc) : NULL;
	xmlDocPtr d = xmlReadMemory(body, (int)len, NULL, NULL, XML_PARSE_NONET);
	int ok = d && vc && xmlSchemaValidateDoc(vc, d) == 0;

	xmlFreeDoc(d);
	if (vc)
		xmlSchemaFreeValidCtxt(vc);
	if (sc)
		xmlSchemaFree(sc);
	if (pc)
		xmlSchemaFreeParserCtxt(pc);
	return ok;
}

/* Identity of an Auth: user:password pseudo-header (Digest is not run). */
static void auth_identity(struct xcap_handler *h, const char *v, char *xui, size_t len, bool *admin)
{
	char user[128];
	const char *colon = strchr(v, ':');
	struct store_user *u = NULL;
	int i;

	snprintf(user, sizeof(user), "%.*s", colon ? (int)(colon - v) : 0, v);
	if (!strchr(user, '@')) {
		size_t l = strlen(user);

		snprintf(user + l, sizeof(user) - l, "@example.org");
	}
	snprintf(xui, len, "sip:%s", user);
	for (i = 0; demo_users[i].xui; i++)
		if (!strcmp(demo_users[i].xui, xui) && colon && strcmp(colon + 1, demo_users[i].password))
			xui[0] = '\0';   /* wrong password: not authenticated */
	*admin = false;
	if (xui[0] && !store_user_get(h->store, xui, &u)) {
		*admin = (u->roles & STORE_ROLE_ADMIN) != 0;
		store_user_free(u);
	}
}

static int run_exchange(struct test_ctx *t, struct xcap_handler *h, const struct exch *e,
			char vars[][2][128], int *nvars, int idx, char *why, size_t wl)
{
	struct xcap_request rq;
	struct xcap_response rs;
	char *target = subst(e->target, vars, *nvars), *body = NULL, xui[256] = "";
	char *hdrv[16] = { 0 };
	const char *b;
	size_t bl;
	bool admin = false;
	int k, bad = 0;

	(void)t;
	memset(&rq, 0, sizeof(rq));
	rq.method = e->method;
	rq.target = target;
	rq.target_len = strlen(target);
	for (k = 0; k < e->nreq; k++) {
		const char *v;

		hdrv[k] = subst(e->req_hdrs[k], vars, *nvars);
		if ((v = hval(hdrv[k], "Content-Type")) || (v = hval(hdrv[k], "Contact-Type")))
			rq.content_type = v;
		else if ((v = hval(hdrv[k], "X-3GPP-Intended-Identity")))
			rq.who.intended = v;
		else if ((v = hval(hdrv[k], "If-Match")))
			rq.if_match = v;
		else if ((v = hval(hdrv[k], "If-None-Match")))
			rq.if_none_match = v;
		else if ((v = hval(hdrv[k], "As"))) {
			const char *lt = strchr(v, '<');

			snprintf(xui, sizeof(xui), "%s", lt ? lt + 1 : v);
			xui[strcspn(xui, ">")] = '\0';
			{
				struct store_user *u = NULL;

				if (!store_user_get(h->store, xui, &u)) {
					admin = (u->roles & STORE_ROLE_ADMIN) != 0;
					store_user_free(u);
				}
			}
		} else if ((v = hval(hdrv[k], "Auth")))
			auth_identity(h, v, xui, sizeof(xui), &admin);
	}
	if (e->req_body) {
		body = subst(e->req_body, vars, *nvars);
		rq.body = body;
		rq.body_len = strlen(body);
	}
	rq.who.xui = xui[0] ? xui : NULL;
	rq.who.admin = admin && xui[0];
	xcap_response_init(&rs);
	xcap_handle(h, &rq, &rs);
	b = xcap_response_body(&rs, &bl);
	if (rs.status == 304)
		bl = 0;
	if (rs.status != e->status) {
		snprintf(why, wl, "exchange %d %.15s: status %d (%.200s), expected %d", idx, e->method,
			 rs.status, rs.xs.phrase, e->status);
		bad = 1;
	}
	for (k = 0; !bad && k < e->nexp; k++) {
		char *hx = subst(e->exp_hdrs[k], vars, *nvars);
		const char *v;

		if ((v = hval(hx, "Body-Contains"))) {
			if (!memmem(b, bl, v, strlen(v))) {
				snprintf(why, wl, "exchange %d: body lacks %s", idx, v);
				bad = 1;
			}
		} else if ((v = hval(hx, "Body-Schema"))) {
			if (!schema_ok(v, b, bl)) {
				snprintf(why, wl, "exchange %d: body does not validate", idx);
				bad = 1;
			}
		} else if ((v = hval(hx, "Content-Type"))) {
			if (!rs.content_type || strcmp(rs.content_type, v)) {
				snprintf(why, wl, "exchange %d: content type %s, expected %s", idx,
					 rs.content_type ? rs.content_type : "none", v);
				bad = 1;
			}
		} else if ((v = hval(hx, "Allow"))) {
			if (!rs.allow || strcmp(rs.allow, v)) {
				snprintf(why, wl, "exchange %d: Allow %s, expected %s", idx,
					 rs.allow ? rs.allow : "none", v);
				bad = 1;
			}
		} else if ((v = hval(hx, "ETag")) && v[0] == '"') {
			if (strlen(v) < 2 || strncmp(rs.etag, v + 1, strlen(v) - 2) ||
			    strlen(rs.etag) != strlen(v) - 2) {
				snprintf(why, wl, "exchange %d: ETag %s, expected %s", idx, rs.etag, v);
				bad = 1;
			}
		}
		free(hx);
	}
	if (!bad && e->exp_body && (bl != strlen(e->exp_body) || memcmp(b, e->exp_body, bl))) {
		char *want = subst(e->exp_body, vars, *nvars);

		if (bl != strlen(want) || memcmp(b, want, bl)) {
			snprintf(why, wl, "exchange %d: body \"%.*s\", expected \"%.200s\"", idx,
				 (int)(bl > 200 ? 200 : bl), b, want);
			bad = 1;
		}
		free(want);
	}
	if (rs.etag[0] && *nvars < 30) {
		snprintf(vars[*nvars][0], 128, "ETAG%d", idx);
		snprintf(vars[*nvars][1], 128, "\"%s\"", rs.etag);
		(*nvars)++;
		snprintf(vars[1][1], 128, "\"%s\"", rs.etag);
	}
	xcap_response_free(&rs);
	for (k = 0; k < e->nreq; k++)
		free(hdrv[k]);
	free(body);
	free(target);
	return bad;
}

static void cases(struct test_ctx *t)
{
	char dir[] = "/tmp/mcx-unit-http-XXXXXX", eb[256], why[1024] = "";
	struct store_opts so = { 0 };
	struct mcx_store *st = NULL;
	struct xcap_handler h;
	struct xcap_handler_conf hc = { 0 };
	struct dirent **names = NULL;
	int n, i, ran = 0, failed = 0;

	CHECK(t, mkdtemp(dir) != NULL);
	so.dir = dir;
	so.history_keep = 10;
	so.cache_max = 1 << 20;
	so.sync_full = false;
	CHECK(t, xcap_usages_init(eb, sizeof(eb)) == MCX_OK);
	CHECK(t, store_open(&st, &so, eb, sizeof(eb)) == MCX_OK);
	hc.root = "/xcap-root";
	hc.max_doc = 1024 * 1024;
	hc.max_uri = 8192;
	hc.xml.max_depth = 64;
	hc.xml.max_elements = 100000;
	hc.xml.max_attrs = 256;
	hc.max_steps = 64;
	hc.test_usage = true;
	hc.commit_retries = 4;
	hc.default_org = "example.org";
	hc.servers = "sip:mcptt-server@example.org";
	xcap_handler_init(&h, &hc, st);
	if (demo_seed(&h, eb, sizeof(eb))) {
		store_close(st);
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		CHECK(t, !"demo seed failed");
	}
	n = scandir("tests/cases", &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		char path[512], *text;
		struct exch ex[24];
		char vars[32][2][128];
		int nvars = 2, ne, k;
		size_t len;

		if (!strstr(names[i]->d_name, ".case")) {
			free(names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "tests/cases/%s", names[i]->d_name);
		snprintf(vars[0][0], 128, "CASE");
		snprintf(vars[0][1], 128, "%.*s", (int)(strlen(names[i]->d_name) - 5), names[i]->d_name);
		snprintf(vars[1][0], 128, "ETAG");
		vars[1][1][0] = '\0';
		text = test_read_file(path, &len);
		ne = text ? parse_case(text, ex, 24) : -1;
		free(text);
		if (ne < 0) {
			snprintf(why, sizeof(why), "%s: cannot parse", path);
			failed++;
			free(names[i]);
			break;
		}
		for (k = 0; k < ne; k++) {
			char w[900];

			if (ex[k].status == 401)
				continue;
			if (run_exchange(t, &h, &ex[k], vars, &nvars, k + 1, w, sizeof(w))) {
				snprintf(why, sizeof(why), "%.100s: %.800s", names[i]->d_name, w);
				failed++;
				break;
			}
		}
		exch_free(ex, ne);
		ran++;
		free(names[i]);
		if (failed)
			break;
	}
	for (i++; i < n; i++)
		free(names[i]);
	free(names);
	store_close(st);
	xcap_usages_cleanup();
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	CHECK(t, failed || ran >= 10);
	if (failed)
		test_fail(t, __FILE__, __LINE__, "%s", why);
}

const struct test tests_http[] = {
	{ "http_cases_in_process", cases, false },
	{ NULL, NULL, false }
};
