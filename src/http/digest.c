/* HTTP Digest authentication (RFC 7616): parser, stateless nonces, challenges, responses. */
#include <string.h>

#include "http/digest.h"
#include "core/banned.h"

#define NONCE_RAW  32                         /* time 8 + random 8 + MAC 16 */
#define NONCE_B64  (4 * ((NONCE_RAW + 2) / 3) + 1) /* what b64url_encode() asks for */
#define JOIN_MAX   (DIGEST_HDR_MAX + 256)      /* longest input hashed by hash_join() */

const enum mcx_hash digest_offer[DIGEST_OFFER_N] = { MCX_HASH_SHA256, MCX_HASH_MD5 };

/* Known parameters, in the order of field_ptrs(); the first NREQUIRED are required. */
static const char *const field_name[] = {
	"username", "realm", "nonce", "uri", "response",
	"algorithm", "cnonce", "opaque", "qop", "nc", "userhash",
};
#define NFIELDS   (sizeof(field_name) / sizeof(field_name[0]))
#define NREQUIRED 5

struct parser {
	const char *p;
	size_t len;
	size_t i;                            /* next byte of p to read */
	const char *target;                  /* raw request target, for uri="..." */
	size_t tlen;
	struct digest_params *out;
	struct pl *field[NFIELDS];
	struct pl seen[DIGEST_PARAMS_MAX];   /* parameter names so far */
	size_t nseen;
	size_t used;                         /* bytes of out->scratch in use */
};

static void field_ptrs(struct digest_params *d, struct pl *f[NFIELDS])
{
	f[0] = &d->username;
	f[1] = &d->realm;
	f[2] = &d->nonce;
	f[3] = &d->uri;
	f[4] = &d->response;
	f[5] = &d->algorithm;
	f[6] = &d->cnonce;
	f[7] = &d->opaque;
	f[8] = &d->qop;
	f[9] = &d->nc;
	f[10] = &d->userhash;
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 7230 tchar. */
static bool is_tchar(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* qdtext: HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text. */
static bool is_qdtext(unsigned char c)
{
	return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
	       (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}

/* The byte after a backslash in a quoted-pair: HTAB / SP / VCHAR / obs-text. */
static bool is_qpchar(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static enum mcx_err fail(struct parser *ps, const char *why)
{
	ps->out->why = why;
	return MCX_EINVAL;
}

static void skip_ows(struct parser *ps)
{
	while (ps->i < ps->len && is_ows((unsigned char)ps->p[ps->i]))
		ps->i++;
}

static struct pl read_token(struct parser *ps)
{
	size_t s = ps->i;

	while (ps->i < ps->len && is_tchar((unsigned char)ps->p[ps->i]))
		ps->i++;
	return pl_make(ps->p + s, ps->i - s);
}

/* True when p[k..) is OWS then ',' or the end: where a parameter may end. */
static bool at_param_end(const struct parser *ps, size_t k)
{
	while (k < ps->len && is_ows((unsigned char)ps->p[k]))
		k++;
	return k == ps->len || ps->p[k] == ',';
}

static bool no_ctl(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* A quoted-string at ps->i: *raw is the text between the quotes, quoted-pairs
 * kept; *esc says whether there are any. */
static enum mcx_err read_quoted(struct parser *ps, struct pl *raw, bool *esc)
{
	size_t s = ps->i + 1, j;

	*esc = false;
	for (j = s; j < ps->len; j++) {
		unsigned char ch = (unsigned char)ps->p[j];

		if (ch == '"') {
			*raw = pl_make(ps->p + s, j - s);
			ps->i = j + 1;
			return MCX_OK;
		}
		if (ch == '\\') {
			if (j + 1 >= ps->len || !is_qpchar((unsigned char)ps->p[j + 1]))
				return fail(ps, "bad quoted-pair");
			*esc = true;
			j++;
		} else if (!is_qdtext(ch)) {
			return fail(ps, "control character in quoted-string");
		}
	}
	return fail(ps, "unterminated quoted-string");
}

/* The uri="..." value, which XCAP clients send with bare '"' in node
 * selectors. First choice: the request target itself followed by the closing
 * quote and the end of the parameter; it is taken literally. Otherwise the
 * first unescaped quote followed by OWS and ',' or the end closes it. */
static enum mcx_err read_uri(struct parser *ps, struct pl *raw, bool *esc)
{
	size_t s = ps->i + 1, j;
	size_t tl = ps->tlen;

	*esc = false;
	if (ps->target && tl && tl < ps->len - s && !memcmp(ps->p + s, ps->target, tl) &&
	    ps->p[s + tl] == '"' && at_param_end(ps, s + tl + 1) && no_ctl(ps->target, tl)) {
		*raw = pl_make(ps->p + s, tl);
		ps->i = s + tl + 1;
		return MCX_OK;
	}
	for (j = s; j < ps->len; j++) {
		unsigned char ch = (unsigned char)ps->p[j];

		if (ch == '"' && at_param_end(ps, j + 1)) {
			*raw = pl_make(ps->p + s, j - s);
			ps->i = j + 1;
			return MCX_OK;
		}
		if (ch == '\\') {
			if (j + 1 >= ps->len || !is_qpchar((unsigned char)ps->p[j + 1]))
				return fail(ps, "bad quoted-pair in uri");
			*esc = true;
			j++;
		} else if (ch != '"' && !is_qdtext(ch)) {
			return fail(ps, "control character in uri");
		}
	}
	return fail(ps, "unterminated uri");
}

/* Undo quoted-pairs of raw into out->scratch; *v views the result. */
static enum mcx_err unescape(struct parser *ps, struct pl raw, struct pl *v)
{
	char *dst = ps->out->scratch + ps->used;
	size_t i, o = 0;

	if (raw.l > sizeof(ps->out->scratch) - ps->used)
		return MCX_EINTERNAL; /* cannot happen: values are shorter than hdr */
	for (i = 0; i < raw.l; i++) {
		if (raw.p[i] == '\\' && i + 1 < raw.l)
			i++;
		dst[o++] = raw.p[i];
	}
	ps->used += o;
	*v = pl_make(dst, o);
	return MCX_OK;
}

static struct pl *field_of(struct parser *ps, struct pl name)
{
	size_t k;

	for (k = 0; k < NFIELDS; k++)
		if (pl_eqcase(name, pl_str(field_name[k])))
			return ps->field[k];
	return NULL;
}

static enum mcx_err remember(struct parser *ps, struct pl name)
{
	size_t k;

	for (k = 0; k < ps->nseen; k++)
		if (pl_eqcase(ps->seen[k], name))
			return fail(ps, "duplicate parameter");
	if (ps->nseen == DIGEST_PARAMS_MAX) {
		ps->out->why = "too many parameters";
		return MCX_ELIMIT;
	}
	ps->seen[ps->nseen++] = name;
	return MCX_OK;
}

/* The value at ps->i into *slot (NULL: an unknown parameter, skipped). */
static enum mcx_err read_value(struct parser *ps, struct pl *slot)
{
	struct pl raw;
	bool esc = false;
	enum mcx_err err;

	if (ps->i < ps->len && ps->p[ps->i] == '"') {
		if (slot == &ps->out->uri)
			err = read_uri(ps, &raw, &esc);
		else
			err = read_quoted(ps, &raw, &esc);
		if (err)
			return err;
	} else {
		raw = read_token(ps);
		if (!raw.l)
			return fail(ps, "expected a value");
	}
	if (!slot)
		return MCX_OK;
	if (esc)
		return unescape(ps, raw, slot);
	*slot = raw;
	return MCX_OK;
}

/* One auth-param: token BWS "=" BWS ( token / quoted-string ), then OWS and
 * ',' or the end. */
static enum mcx_err read_param(struct parser *ps)
{
	struct pl name;
	enum mcx_err err;

	name = read_token(ps);
	if (!name.l)
		return fail(ps, "expected a parameter name");
	err = remember(ps, name);
	if (err)
		return err;
	skip_ows(ps);
	if (ps->i == ps->len || ps->p[ps->i] != '=')
		return fail(ps, "expected '='");
	ps->i++;
	skip_ows(ps);
	err = read_value(ps, field_of(ps, name));
	if (err)
		return err;
	skip_ows(ps);
	if (ps->i < ps->len && ps->p[ps->i] != ',')
		return fail(ps, "expected ',' after a value");
	return MCX_OK;
}

/* "Digest" 1*SP, case-insensitive, after optional leading whitespace. */
static enum mcx_err read_scheme(struct parser *ps)
{
	struct pl scheme;

	skip_ows(ps);
	scheme = read_token(ps);
	if (!pl_eqcase(scheme, PL("Digest")))
		return fail(ps, "not a Digest credential");
	if (ps->i < ps->len && !is_ows((unsigned char)ps->p[ps->i]))
		return fail(ps, "expected a space after Digest");
	return MCX_OK;
}

static enum mcx_err check_required(struct parser *ps)
{
	static const char *const missing[NREQUIRED] = {
		"missing username", "missing realm", "missing nonce", "missing uri",
		"missing response",
	};
	size_t k;

	for (k = 0; k < NREQUIRED; k++)
		if (!ps->field[k]->p)
			return fail(ps, missing[k]);
	return MCX_OK;
}

enum mcx_err digest_parse(const char *hdr, size_t len, const char *request_target,
			  size_t target_len, struct digest_params *out)
{
	struct parser ps = { .p = hdr, .len = len, .target = request_target,
			     .tlen = target_len, .out = out };
	enum mcx_err err;
	size_t k;

	field_ptrs(out, ps.field);
	for (k = 0; k < NFIELDS; k++)
		*ps.field[k] = pl_make(NULL, 0);
	out->why = NULL;
	if (!hdr)
		return fail(&ps, "no header");
	if (len > DIGEST_HDR_MAX) {
		out->why = "header too long";
		return MCX_ELIMIT;
	}
	err = read_scheme(&ps);
	if (err)
		goto out;
	for (;;) {
		skip_ows(&ps);
		if (ps.i < ps.len && ps.p[ps.i] == ',') {
			ps.i++; /* empty list elements are allowed (RFC 7230 §7) */
			continue;
		}
		if (ps.i == ps.len)
			break;
		err = read_param(&ps);
		if (err)
			goto out;
	}
	err = check_required(&ps);
out:
	if (err) {
		for (k = 0; k < NFIELDS; k++)
			*ps.field[k] = pl_make(NULL, 0);
	}
	return err;
}

static bool is_hex(struct pl v, size_t n)
{
	size_t i;

	if (!v.p || v.l != n)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if (!is_digit(c) && !((c | 0x20) >= 'a' && (c | 0x20) <= 'f'))
			return false;
	}
	return true;
}

bool digest_alg_parse(struct pl name, enum mcx_hash *out)
{
	if (pl_eqcase(name, PL("MD5")))
		*out = MCX_HASH_MD5;
	else if (pl_eqcase(name, PL("SHA-256")))
		*out = MCX_HASH_SHA256;
	else
		return false;
	return true;
}

const char *digest_alg_name(enum mcx_hash alg)
{
	return alg == MCX_HASH_SHA256 ? "SHA-256" : "MD5";
}

enum digest_check digest_params_check(const struct digest_params *p, enum mcx_hash *alg)
{
	enum mcx_hash h = MCX_HASH_MD5;

	if (p->userhash.p) {
		if (pl_eqcase(p->userhash, PL("true")))
			return DIGEST_CHECK_USERHASH;
		if (!pl_eqcase(p->userhash, PL("false")))
			return DIGEST_CHECK_BAD;
	}
	if (p->algorithm.p && !digest_alg_parse(p->algorithm, &h))
		return DIGEST_CHECK_ALGORITHM;
	if (!p->qop.p || !pl_eqcase(p->qop, PL("auth")))
		return DIGEST_CHECK_QOP;
	if (!is_hex(p->nc, 8) || !p->cnonce.l)
		return DIGEST_CHECK_BAD;
	if (!is_hex(p->response, 2 * crypto_hash_len(h)))
		return DIGEST_CHECK_BAD;
	*alg = h;
	return DIGEST_CHECK_OK;
}

const char *digest_check_str(enum digest_check c)
{
	switch (c) {
	case DIGEST_CHECK_OK: return "ok";
	case DIGEST_CHECK_BAD: return "malformed nc, cnonce, response or userhash";
	case DIGEST_CHECK_ALGORITHM: return "unsupported algorithm (only MD5 and SHA-256)";
	case DIGEST_CHECK_QOP: return "unsupported qop (only auth)";
	case DIGEST_CHECK_USERHASH: return "userhash=true is not supported";
	}
	return "?";
}

/* Hash part[0] ":" part[1] ":" ... as lower-case hex into out; false when the
 * joined input exceeds JOIN_MAX. */
static bool hash_join(enum mcx_hash alg, const struct pl *part, size_t n, char *out)
{
	char in[JOIN_MAX];
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (part[i].l + (i > 0) > sizeof(in) - o)
			return false;
		if (i > 0)
			in[o++] = ':';
		if (part[i].l)
			memcpy(in + o, part[i].p, part[i].l);
		o += part[i].l;
	}
	crypto_hash_hex(alg, in, o, out);
	return true;
}

enum mcx_err digest_ha1_hex(enum mcx_hash alg, struct pl username, struct pl realm,
			    struct pl password, char out[DIGEST_HEX_MAX])
{
	const struct pl part[3] = { username, realm, password };

	if (username.l + realm.l + password.l > DIGEST_HDR_MAX)
		return MCX_ELIMIT;
	return hash_join(alg, part, 3, out) ? MCX_OK : MCX_ELIMIT;
}

static void hex_lower(struct pl v, char *out)
{
	size_t i;

	for (i = 0; i < v.l; i++) {
		char c = v.p[i];

		out[i] = (c >= 'A' && c <= 'F') ? (char)(c | 0x20) : c;
	}
	out[v.l] = '\0';
}

bool digest_response_ok(const struct digest_params *p, const char *method, enum mcx_hash alg,
			const char *ha1_hex)
{
	char ha1[DIGEST_HEX_MAX], ha2[DIGEST_HEX_MAX], want[DIGEST_HEX_MAX], got[DIGEST_HEX_MAX];
	struct pl part[6];
	enum mcx_hash h;
	size_t hl, ml;

	if (!p || !method || !ha1_hex)
		return false;
	if (digest_params_check(p, &h) != DIGEST_CHECK_OK || h != alg)
		return false;
	hl = 2 * crypto_hash_len(alg);
	ml = strnlen(method, DIGEST_METHOD_MAX + 1);
	if (!ml || ml > DIGEST_METHOD_MAX)
		return false;
	part[0] = pl_make(ha1_hex, strnlen(ha1_hex, hl + 1));
	if (!is_hex(part[0], hl))
		return false;
	hex_lower(part[0], ha1);
	part[0] = pl_make(method, ml);
	part[1] = p->uri;
	if (!hash_join(alg, part, 2, ha2))
		return false;
	part[0] = pl_make(ha1, hl);
	part[1] = p->nonce;
	part[2] = p->nc;
	part[3] = p->cnonce;
	part[4] = p->qop;
	part[5] = pl_make(ha2, hl);
	if (!hash_join(alg, part, 6, want))
		return false;
	hex_lower(p->response, got);
	return crypto_eq(want, got, hl);
}

/* Path and query of an absolute URI "scheme://authority[path][?query]". */
static bool abs_path_query(struct pl u, struct pl *pq)
{
	size_t i = 0;

	if (!u.l || !is_alpha((unsigned char)u.p[0]))
		return false;
	while (i < u.l && (is_alpha((unsigned char)u.p[i]) || is_digit((unsigned char)u.p[i]) ||
			   u.p[i] == '+' || u.p[i] == '-' || u.p[i] == '.'))
		i++;
	if (u.l - i < 3 || memcmp(u.p + i, "://", 3))
		return false;
	i += 3;
	while (i < u.l && u.p[i] != '/' && u.p[i] != '?' && u.p[i] != '#')
		i++;
	*pq = pl_make(u.p + i, u.l - i);
	return true;
}

bool digest_uri_matches(const struct digest_params *p, const char *target, size_t len)
{
	struct pl t = pl_make(target, len), pq;

	if (!p || !p->uri.p || !target || !len)
		return false;
	if (pl_eq(p->uri, t))
		return true;
	if (!abs_path_query(p->uri, &pq))
		return false;
	if (pq.l && pq.p[0] == '/')
		return pl_eq(pq, t);
	/* empty path: the origin form is "/" plus the query (RFC 7230 §5.3.1) */
	return target[0] == '/' && pl_eq(pq, pl_make(target + 1, len - 1));
}

bool digest_user_split(struct pl username, struct pl *name, struct pl *domain)
{
	size_t i = username.l;

	while (i && username.p[i - 1] != '@')
		i--;
	if (!i) {
		if (!username.l)
			return false;
		*name = username;
		*domain = pl_make(NULL, 0);
		return true;
	}
	if (i == 1 || i == username.l)
		return false;
	*name = pl_make(username.p, i - 1);
	*domain = pl_make(username.p + i, username.l - i);
	return true;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* HMAC-SHA256(key, head[0..16) || realm); realm is at most DIGEST_REALM_MAX. */
static void nonce_mac(const uint8_t *key, size_t keylen, const uint8_t *head, const char *realm,
		      size_t rlen, uint8_t mac[32])
{
	uint8_t in[16 + DIGEST_REALM_MAX];

	memcpy(in, head, 16);
	if (rlen)
		memcpy(in + 16, realm, rlen);
	crypto_hmac_sha256(key, keylen, in, 16 + rlen, mac);
}

static bool nonce_args_ok(const uint8_t *key, size_t keylen, const char *realm, size_t *rlen)
{
	if (!key || keylen < DIGEST_KEY_MIN || !realm)
		return false;
	*rlen = strnlen(realm, DIGEST_REALM_MAX + 1);
	return *rlen <= DIGEST_REALM_MAX;
}

enum mcx_err digest_nonce_make(const uint8_t *key, size_t keylen, const char *realm,
			       int64_t now, char out[DIGEST_NONCE_MAX])
{
	uint8_t raw[NONCE_RAW], mac[32];
	char b64[NONCE_B64];
	size_t rlen;
	enum mcx_err err;

	if (!nonce_args_ok(key, keylen, realm, &rlen))
		return MCX_EINVAL;
	put_be64(raw, (uint64_t)now);
	err = crypto_random(raw + 8, 8);
	if (err)
		goto out;
	nonce_mac(key, keylen, raw, realm, rlen, mac);
	memcpy(raw + 16, mac, 16);
	b64url_encode(raw, sizeof(raw), b64);
	memcpy(out, b64, DIGEST_NONCE_MAX);
out:
	return err;
}

enum digest_nonce_state digest_nonce_check(const uint8_t *key, size_t keylen, const char *realm,
					   struct pl nonce, int64_t now, uint32_t lifetime_s)
{
	uint8_t raw[NONCE_RAW], mac[32];
	char canon[NONCE_B64];
	size_t rlen;
	int64_t age;

	if (!nonce_args_ok(key, keylen, realm, &rlen) || !nonce.p || nonce.l != DIGEST_NONCE_LEN)
		return DIGEST_NONCE_BAD;
	if (b64url_decode(nonce.p, nonce.l, raw, sizeof(raw)) != NONCE_RAW)
		return DIGEST_NONCE_BAD;
	/* one spelling per nonce: no '+', '/', '=' or stray low bits */
	b64url_encode(raw, sizeof(raw), canon);
	if (memcmp(canon, nonce.p, DIGEST_NONCE_LEN))
		return DIGEST_NONCE_BAD;
	nonce_mac(key, keylen, raw, realm, rlen, mac);
	if (!crypto_eq(mac, raw + 16, 16))
		return DIGEST_NONCE_BAD;
	if (__builtin_sub_overflow(now, (int64_t)get_be64(raw), &age))
		return DIGEST_NONCE_STALE;
	if (age < -DIGEST_NONCE_SKEW || age > (int64_t)lifetime_s)
		return DIGEST_NONCE_STALE;
	return DIGEST_NONCE_OK;
}

/* Append s as a quoted-string, escaping '"' and '\'. */
static enum mcx_err add_quoted(struct mcx_buf *b, const char *s)
{
	enum mcx_err err;
	size_t run = 0, i;

	err = buf_add(b, "\"", 1);
	for (i = 0; !err && s[i]; i++) {
		if (s[i] != '"' && s[i] != '\\')
			continue;
		err = buf_add(b, s + run, i - run);
		if (!err)
			err = buf_add(b, "\\", 1);
		run = i;
	}
	if (!err)
		err = buf_add(b, s + run, i - run);
	if (!err)
		err = buf_add(b, "\"", 1);
	return err;
}

static bool text_ok(const char *s)
{
	return s && no_ctl(s, strlen(s));
}

enum mcx_err digest_challenge(struct mcx_buf *b, enum mcx_hash alg, const char *realm,
			      const char *nonce, const char *opaque, bool stale)
{
	size_t old = b->len;
	enum mcx_err err;

	if (!text_ok(realm) || !text_ok(nonce) || (opaque && !text_ok(opaque)))
		return MCX_EINVAL;
	err = buf_adds(b, "Digest realm=");
	if (err)
		goto out;
	err = add_quoted(b, realm);
	if (err)
		goto out;
	err = buf_addf(b, ", qop=\"auth\", algorithm=%s, nonce=", digest_alg_name(alg));
	if (err)
		goto out;
	err = add_quoted(b, nonce);
	if (err)
		goto out;
	if (opaque) {
		err = buf_adds(b, ", opaque=");
		if (!err)
			err = add_quoted(b, opaque);
		if (err)
			goto out;
	}
	if (stale)
		err = buf_adds(b, ", stale=true");
out:
	if (err) {
		b->len = old;
		if (b->p)
			b->p[old] = '\0';
	}
	return err;
}
