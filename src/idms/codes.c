/* Authorization codes, in memory: 256-bit random, kept by their SHA-256, single use, remembered after use until they expire so a replay can be detected. */
#include <stdio.h>
#include <string.h>

#include "core/crypto.h"
#include "core/mem.h"
#include "idms/idms_int.h"
#include "core/banned.h"

void codes_init(struct idms_codes *cs)
{
	memset(cs, 0, sizeof(*cs));
	pthread_mutex_init(&cs->lock, NULL);
}

void code_clear(struct idms_code *c)
{
	mcx_free(c->client_id);
	mcx_free(c->redirect_uri);
	mcx_free(c->challenge);
	mcx_free(c->nonce);
	mcx_free(c->xui);
	memset(c, 0, sizeof(*c));
}

static void code_free(struct idms_code *c)
{
	if (!c)
		return;
	code_clear(c);
	mcx_free(c);
}

void codes_free(struct idms_codes *cs)
{
	size_t k;

	for (k = 0; k < cs->n; k++)
		code_free(cs->c[k]);
	cs->n = 0;
	pthread_mutex_destroy(&cs->lock);
}

static char *dup_opt(const char *s, bool *fail)
{
	char *d;

	if (!s)
		return NULL;
	d = mcx_strdup(s);
	if (!d)
		*fail = true;
	return d;
}

/* Copy src's strings and fields into dst (zeroed). */
static enum mcx_err code_copy(struct idms_code *dst, const struct idms_code *src)
{
	bool fail = false;

	*dst = *src;
	dst->client_id = dup_opt(src->client_id, &fail);
	dst->redirect_uri = dup_opt(src->redirect_uri, &fail);
	dst->challenge = dup_opt(src->challenge, &fail);
	dst->nonce = dup_opt(src->nonce, &fail);
	dst->xui = dup_opt(src->xui, &fail);
	if (fail) {
		code_clear(dst);
		return MCX_ENOMEM;
	}
	return MCX_OK;
}

/* With the lock held: drop codes past their expiry. */
static void purge(struct idms_codes *cs, int64_t now)
{
	size_t a, b = 0;

	for (a = 0; a < cs->n; a++) {
		if (cs->c[a]->exp <= now)
			code_free(cs->c[a]);
		else
			cs->c[b++] = cs->c[a];
	}
	cs->n = b;
}

enum mcx_err codes_add(struct idms_codes *cs, const struct idms_code *tmpl, int64_t now,
		       char out[IDMS_SECRET_B64])
{
	uint8_t raw[IDMS_SECRET_BYTES];
	struct idms_code *c;
	enum mcx_err err;

	c = mcx_calloc(1, sizeof(*c));
	if (!c)
		return MCX_ENOMEM;
	err = code_copy(c, tmpl);
	if (!err)
		err = crypto_random(raw, sizeof(raw));
	if (err) {
		code_free(c);
		return err;
	}
	b64url_encode(raw, sizeof(raw), out);
	crypto_hash(MCX_HASH_SHA256, out, strlen(out), c->hash);
	c->used = false;
	c->family[0] = c->jti[0] = '\0';
	pthread_mutex_lock(&cs->lock);
	purge(cs, now);
	if (cs->n < IDMS_CODES_MAX)
		cs->c[cs->n++] = c;
	else
		err = MCX_ELIMIT;
	pthread_mutex_unlock(&cs->lock);
	if (err)
		code_free(c);
	return err;
}

static struct idms_code *find(struct idms_codes *cs, const uint8_t hash[32])
{
	size_t k;

	for (k = 0; k < cs->n; k++)
		if (crypto_eq(cs->c[k]->hash, hash, 32))
			return cs->c[k];
	return NULL;
}

static void code_bind(struct idms_code *c, const char *family, const char *jti, int64_t access_exp)
{
	snprintf(c->family, sizeof(c->family), "%s", family);
	snprintf(c->jti, sizeof(c->jti), "%s", jti);
	c->access_exp = access_exp;
	c->used = true;
}

enum code_result codes_take(struct idms_codes *cs, const char *code, int64_t now,
			    const char *family, const char *jti, int64_t access_exp,
			    struct idms_code *out, enum mcx_err *err)
{
	enum code_result res = CODE_OK;
	uint8_t hash[32];
	struct idms_code *c;

	memset(out, 0, sizeof(*out));
	*err = MCX_OK;
	crypto_hash(MCX_HASH_SHA256, code, strlen(code), hash);
	pthread_mutex_lock(&cs->lock);
	c = find(cs, hash);
	if (!c) {
		res = CODE_UNKNOWN;
	} else if (c->exp <= now) {
		res = CODE_EXPIRED;
	} else if (c->used) {
		res = CODE_REPLAYED;
		memcpy(out->family, c->family, sizeof(out->family));
		memcpy(out->jti, c->jti, sizeof(out->jti));
		out->access_exp = c->access_exp;
		out->client_id = mcx_strdup(c->client_id);
		out->xui = mcx_strdup(c->xui);
	} else {
		*err = code_copy(out, c);
		if (!*err)
			code_bind(c, family, jti, access_exp);
	}
	purge(cs, now);
	pthread_mutex_unlock(&cs->lock);
	return res;
}
