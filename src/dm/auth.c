/* syncml:auth-basic, syncml:auth-md5, x-syncml-hmac and nonce handling. */
#include <string.h>
#include <strings.h>

#include "core/crypto.h"
#include "dm/auth.h"
#include "dm/b64.h"
#include "dm/status.h"
#include "core/banned.h"

static const char *const type_names[] = {
	[DM_AUTH_NONE] = "",
	[DM_AUTH_BASIC] = DM_AUTH_BASIC_TYPE,
	[DM_AUTH_MD5] = DM_AUTH_MD5_TYPE,
	[DM_AUTH_HMAC] = DM_AUTH_HMAC_TYPE,
};

const char *dm_auth_type_name(enum dm_auth_type t)
{
	return (size_t)t < sizeof(type_names) / sizeof(type_names[0]) ? type_names[t] : "";
}

enum dm_auth_type dm_auth_type_of(const char *s)
{
	if (!s)
		return DM_AUTH_NONE;
	if (!strcasecmp(s, DM_AUTH_BASIC_TYPE))
		return DM_AUTH_BASIC;
	if (!strcasecmp(s, DM_AUTH_MD5_TYPE))
		return DM_AUTH_MD5;
	if (!strcasecmp(s, DM_AUTH_HMAC_TYPE))
		return DM_AUTH_HMAC;
	return DM_AUTH_NONE;
}

/* --- nonces --- */

enum mcx_err dm_nonce_set(struct dm_nonce *n, const void *p, size_t len)
{
	if (len > sizeof(n->b))
		return MCX_ELIMIT;
	memcpy(n->b, p, len);
	n->len = len;
	return MCX_OK;
}

enum mcx_err dm_nonce_fresh(struct dm_nonce *n)
{
	n->len = DM_NONCE_LEN;
	return crypto_random(n->b, n->len);
}

enum mcx_err dm_nonce_from_b64(struct dm_nonce *n, const char *b64)
{
	long len = b64_decode(b64, strlen(b64), n->b, sizeof(n->b));

	if (len < 0)
		return MCX_EINVAL;
	n->len = (size_t)len;
	return MCX_OK;
}

enum mcx_err dm_nonce_to_b64(const struct dm_nonce *n, char *out, size_t outlen)
{
	if (outlen < B64_ENC_LEN(n->len))
		return MCX_ELIMIT;
	b64_encode(n->b, n->len, out);
	return MCX_OK;
}

enum mcx_err dm_nonce_accept(const struct dm_meta *meta, bool sender_authenticated,
			     struct dm_nonce *use, struct dm_nonce *stored)
{
	struct dm_nonce got;
	enum mcx_err err;

	if (!meta || !meta->next_nonce)
		return MCX_ENOENT;
	err = dm_nonce_from_b64(&got, meta->next_nonce);
	if (err)
		return err;
	*use = got;
	if (sender_authenticated && stored)
		*stored = got;
	return MCX_OK;
}

/* --- digests --- */

static void md5(const void *p, size_t n, uint8_t out[16])
{
	crypto_hash(MCX_HASH_MD5, p, n, out);
}

/* B64(MD5(user ":" pwd)) into out (DM_B64_MD5_LEN). */
static enum mcx_err ha(const char *user, const char *pwd, char out[DM_B64_MD5_LEN])
{
	struct mcx_buf b;
	uint8_t d[16];
	enum mcx_err err;

	buf_init(&b, 2 * DM_CRED_MAX + 1);
	err = buf_addf(&b, "%s:%s", user, pwd);
	if (!err) {
		md5(b.p, b.len, d);
		b64_encode(d, sizeof(d), out);
	}
	buf_reset(&b);
	return err;
}

/* B64(MD5(ha ":" nonce [":" extra])) into out. */
static enum mcx_err outer(const char *ha_b64, const struct dm_nonce *nonce, const char *extra,
			  char out[DM_B64_MD5_LEN])
{
	struct mcx_buf b;
	uint8_t d[16];
	enum mcx_err err;

	buf_init(&b, 2 * DM_CRED_MAX + DM_NONCE_MAX);
	err = buf_adds(&b, ha_b64);
	if (!err)
		err = buf_add(&b, ":", 1);
	if (!err && nonce)
		err = buf_add(&b, nonce->b, nonce->len);
	if (!err && extra) {
		err = buf_add(&b, ":", 1);
		if (!err)
			err = buf_adds(&b, extra);
	}
	if (!err) {
		md5(b.p, b.len, d);
		b64_encode(d, sizeof(d), out);
	}
	buf_reset(&b);
	return err;
}

enum mcx_err dm_auth_basic(const char *user, const char *pwd, char *out, size_t outlen)
{
	struct mcx_buf b;
	enum mcx_err err;

	buf_init(&b, 2 * DM_CRED_MAX + 1);
	err = buf_addf(&b, "%s:%s", user, pwd);
	if (!err && outlen < B64_ENC_LEN(b.len))
		err = MCX_ELIMIT;
	if (!err)
		b64_encode((const uint8_t *)b.p, b.len, out);
	buf_reset(&b);
	return err;
}

enum mcx_err dm_auth_md5_from_ha(const char *ha_b64, const struct dm_nonce *nonce,
				 char out[DM_B64_MD5_LEN])
{
	return outer(ha_b64, nonce, NULL, out);
}

enum mcx_err dm_auth_md5(const char *user, const char *pwd, const struct dm_nonce *nonce,
			 char out[DM_B64_MD5_LEN])
{
	char h[DM_B64_MD5_LEN];
	enum mcx_err err = ha(user, pwd, h);

	if (!err)
		err = outer(h, nonce, NULL, out);
	return err;
}

enum mcx_err dm_auth_cred_set(struct dm_msg *m, enum dm_auth_type t, const char *user,
			      const char *pwd, const struct dm_nonce *nonce)
{
	char data[B64_ENC_LEN(2 * DM_CRED_MAX + 1)];
	struct dm_cred *cr;
	enum mcx_err err;

	if (t == DM_AUTH_BASIC)
		err = dm_auth_basic(user, pwd, data, sizeof(data));
	else if (t == DM_AUTH_MD5)
		err = dm_auth_md5(user, pwd, nonce, data);
	else
		return MCX_EINVAL;	/* HMAC travels in the transport header */
	if (err)
		return err;
	cr = pool_zalloc(&m->pool, sizeof(*cr));
	if (!cr)
		return dm_msg_err(m);
	err = dm_meta_get(m, &cr->meta);
	if (!err)
		err = dm_set(m, &cr->meta->type, dm_auth_type_name(t));
	if (!err)
		err = dm_set(m, &cr->meta->format, "b64");
	if (!err)
		err = dm_data_set(m, &cr->data, DM_DATA_TEXT, data, strlen(data));
	if (!err && t == DM_AUTH_MD5)
		err = dm_set(m, &m->hdr.source_name, user);
	if (!err)
		m->hdr.cred = cr;
	return err;
}

/* --- the server side --- */

static bool cred_eq(const struct dm_data *d, const char *want)
{
	size_t n = strlen(want);

	return d && d->len == n && crypto_eq(d->p, want, n);
}

static enum mcx_err check_basic(const struct dm_hdr *h, const struct dm_auth_policy *p)
{
	char want[B64_ENC_LEN(2 * DM_CRED_MAX + 1)];
	enum mcx_err err;

	if (!p->tls)
		return MCX_EPERM;
	err = dm_auth_basic(p->user, p->pwd, want, sizeof(want));
	if (err)
		return err == MCX_ELIMIT ? MCX_EAUTH : err;
	return cred_eq(h->cred->data, want) ? MCX_OK : MCX_EAUTH;
}

static enum mcx_err check_md5(const struct dm_hdr *h, const struct dm_auth_policy *p)
{
	char want[DM_B64_MD5_LEN];
	enum mcx_err err;

	if (!p->nonce)
		return MCX_EAUTH;
	if (h->source_name && strcmp(h->source_name, p->user))
		return MCX_EAUTH;
	err = dm_auth_md5(p->user, p->pwd, p->nonce, want);
	if (err)
		return err == MCX_ELIMIT ? MCX_EAUTH : err;
	return cred_eq(h->cred->data, want) ? MCX_OK : MCX_EAUTH;
}

enum mcx_err dm_auth_check(const struct dm_hdr *h, const struct dm_auth_policy *p)
{
	const struct dm_cred *cr = h->cred;
	const char *fmt, *type;

	if (!cr || !cr->data)
		return MCX_ENOENT;
	fmt = cr->meta ? cr->meta->format : NULL;
	if (fmt && strcmp(fmt, "b64"))
		return MCX_EINVAL;
	/* SyncML's default credential type is auth-basic */
	type = cr->meta && cr->meta->type ? cr->meta->type : DM_AUTH_BASIC_TYPE;
	switch (dm_auth_type_of(type)) {
	case DM_AUTH_BASIC:
		return check_basic(h, p);
	case DM_AUTH_MD5:
		return check_md5(h, p);
	default:
		return MCX_EINVAL;
	}
}

unsigned dm_auth_status(enum mcx_err check)
{
	switch (check) {
	case MCX_OK:
		return DM_ST_AUTH_ACCEPTED;
	case MCX_ENOENT:
		return DM_ST_MISSING_CRED;
	default:
		return DM_ST_INVALID_CRED;
	}
}

enum mcx_err dm_auth_chal_set(struct dm_msg *m, struct dm_cmd *status, enum dm_auth_type t,
			      const struct dm_nonce *next)
{
	char b64[B64_ENC_LEN(DM_NONCE_MAX)];
	enum mcx_err err = dm_meta_get(m, &status->chal);

	if (!err)
		err = dm_set(m, &status->chal->type, dm_auth_type_name(t));
	if (!err)
		err = dm_set(m, &status->chal->format, "b64");
	if (!err && next && t != DM_AUTH_BASIC) {
		err = dm_nonce_to_b64(next, b64, sizeof(b64));
		if (!err)
			err = dm_set(m, &status->chal->next_nonce, b64);
	}
	return err;
}

/* --- HMAC --- */

enum mcx_err dm_hmac_mac(const char *user, const char *pwd, const struct dm_nonce *nonce,
			 const void *body, size_t len, char out[DM_B64_MD5_LEN])
{
	char h[DM_B64_MD5_LEN], hb[DM_B64_MD5_LEN];
	uint8_t d[16];
	enum mcx_err err = ha(user, pwd, h);

	if (err)
		return err;
	md5(body, len, d);
	b64_encode(d, sizeof(d), hb);
	return outer(h, nonce, hb, out);
}

enum mcx_err dm_hmac_build(const char *user, const char *pwd, const struct dm_nonce *nonce,
			   const void *body, size_t len, struct mcx_buf *out)
{
	char mac[DM_B64_MD5_LEN];
	enum mcx_err err = dm_hmac_mac(user, pwd, nonce, body, len, mac);

	if (err)
		return err;
	if (strpbrk(user, "\"\\\r\n"))
		return MCX_EINVAL;
	return buf_addf(out, "algorithm=MD5, username=\"%s\", mac=%s", user, mac);
}

static bool ws(char c)
{
	return c == ' ' || c == '\t';
}

/* One "name=value" or "name=\"value\"" at *i; false at the end. */
static enum mcx_err param(const char *v, size_t n, size_t *i, struct pl *name, struct pl *val)
{
	size_t k = *i, s;

	while (k < n && (ws(v[k]) || v[k] == ','))
		k++;
	if (k == n)
		return MCX_ENOENT;
	for (s = k; k < n && v[k] != '=' && v[k] != ',' && !ws(v[k]); k++)
		;
	*name = pl_make(v + s, k - s);
	while (k < n && ws(v[k]))
		k++;
	if (!name->l || k == n || v[k] != '=')
		return MCX_EINVAL;
	for (k++; k < n && ws(v[k]); k++)
		;
	if (k < n && v[k] == '"') {
		for (s = ++k; k < n && v[k] != '"'; k++)
			;
		if (k == n)
			return MCX_EINVAL;
		*val = pl_make(v + s, k - s);
		k++;
	} else {
		for (s = k; k < n && v[k] != ',' && !ws(v[k]); k++)
			;
		*val = pl_make(v + s, k - s);
	}
	*i = k;
	return MCX_OK;
}

enum mcx_err dm_hmac_parse(const char *v, size_t n, struct dm_hmac_hdr *h)
{
	struct pl name, val;
	size_t i = 0;
	enum mcx_err err;

	memset(h, 0, sizeof(*h));
	if (n > DM_HMAC_HDR_MAX)
		return MCX_EINVAL;
	while ((err = param(v, n, &i, &name, &val)) == MCX_OK) {
		struct pl *slot = pl_eqcase(name, PL("algorithm")) ? &h->algorithm
				: pl_eqcase(name, PL("username")) ? &h->username
				: pl_eqcase(name, PL("mac")) ? &h->mac : NULL;

		if (slot && slot->p)
			return MCX_EINVAL;	/* a parameter twice */
		if (slot)
			*slot = val;
	}
	if (err != MCX_ENOENT)
		return err;
	if (!h->username.p || !h->mac.l)
		return MCX_EINVAL;
	if (!h->algorithm.p)
		h->algorithm = PL("MD5");
	return MCX_OK;
}

enum mcx_err dm_hmac_verify(const char *v, size_t n, const char *user, const char *pwd,
			    const struct dm_nonce *nonce, const void *body, size_t len)
{
	struct dm_hmac_hdr h;
	char want[DM_B64_MD5_LEN];
	enum mcx_err err = dm_hmac_parse(v, n, &h);

	if (err)
		return err;
	if (!pl_eqcase(h.algorithm, PL("MD5")) || !pl_eqs(h.username, user))
		return MCX_EAUTH;
	err = dm_hmac_mac(user, pwd, nonce, body, len, want);
	if (err)
		return err == MCX_ELIMIT ? MCX_EAUTH : err;
	return h.mac.l == strlen(want) && crypto_eq(h.mac.p, want, h.mac.l) ? MCX_OK : MCX_EAUTH;
}
