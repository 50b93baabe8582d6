/* Minting the IdMS tokens: the access token and id token claims (TS 33.180 annex B, OIDC Core §2) signed as JWTs, and random secrets and ids. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/crypto.h"
#include "core/mem.h"
#include "idms/idms_int.h"
#include "core/banned.h"

enum mcx_err secret_new(char out[IDMS_SECRET_B64], char hash[IDMS_HASH_HEX])
{
	uint8_t raw[IDMS_SECRET_BYTES];
	enum mcx_err err;

	err = crypto_random(raw, sizeof(raw));
	if (err)
		return err;
	b64url_encode(raw, sizeof(raw), out);
	secret_hash(out, hash);
	return MCX_OK;
}

void secret_hash(const char *secret, char hash[IDMS_HASH_HEX])
{
	crypto_hash_hex(MCX_HASH_SHA256, secret, strlen(secret), hash);
}

enum mcx_err id_new(char out[IDMS_ID_B64])
{
	uint8_t raw[16];
	enum mcx_err err;

	err = crypto_random(raw, sizeof(raw));
	if (!err)
		b64url_encode(raw, sizeof(raw), out);
	return err;
}

/* "aud" of access tokens: the configured resource servers, else the client. */
static json_t *audience(const struct idms *i, const char *client_id)
{
	const char *p = i->conf.audiences;
	json_t *a;

	if (!p || !*p)
		return json_string(client_id);
	a = json_array();
	while (a && *p) {
		size_t n;

		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n && json_array_append_new(a, json_stringn(p, n))) {
			json_decref(a);
			return NULL;
		}
		p += n;
	}
	return a;
}

/* Sign the claims object c (consumed) into out. */
static enum mcx_err sign(struct idms *i, json_t *c, struct mcx_buf *out)
{
	char *text = c ? json_dumps(c, JSON_COMPACT) : NULL;
	enum mcx_err err;

	json_decref(c);
	if (!text)
		return MCX_ENOMEM;
	err = keys_sign(i, text, out);
	free(text);
	return err;
}

enum mcx_err mint_access(struct idms *i, const struct idms_mint *m, struct mcx_buf *out)
{
	json_t *aud = audience(i, m->client_id);
	json_t *c;

	if (!aud)
		return MCX_ENOMEM;
	c = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:I, s:I, s:s}",
		      "iss", i->conf.issuer, "sub", m->xui, "mcptt_id", m->xui, "aud", aud,
		      "scope", m->scope, "client_id", m->client_id, "azp", m->client_id,
		      "iat", (json_int_t)m->now, "exp", (json_int_t)(m->now + i->conf.access_ttl),
		      "jti", m->jti);
	return sign(i, c, out);
}

enum mcx_err mint_id(struct idms *i, const struct idms_mint *m, struct mcx_buf *out)
{
	json_t *c;

	c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s}",
		      "iss", i->conf.issuer, "sub", m->xui, "aud", m->client_id,
		      "exp", (json_int_t)(m->now + i->conf.id_ttl), "iat", (json_int_t)m->now,
		      "auth_time", (json_int_t)m->auth_time, "mcptt_id", m->xui,
		      "azp", m->client_id);
	if (c && m->nonce && json_object_set_new(c, "nonce", json_string(m->nonce))) {
		json_decref(c);
		c = NULL;
	}
	return sign(i, c, out);
}
