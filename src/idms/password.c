/* Account passwords for the IdMS: argon2id hashes (libargon2) in the store's meta table, with a cap on concurrent hashing. */
#include <stdio.h>
#include <string.h>

#include <argon2.h>

#define LOG_MODULE "idms"
#include "core/crypto.h"
#include "core/log.h"
#include "core/mem.h"
#include "idms/idms_int.h"
#include "core/banned.h"

#define META_KEY_MAX (sizeof(IDMS_PW_META_PREFIX) + IDMS_USERNAME_MAX + 1)

/* At most IDMS_PW_CONCURRENT hashes at once in the process: each takes
 * IDMS_PW_M_KIB of memory. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static unsigned gate_busy;

static void gate_enter(void)
{
	pthread_mutex_lock(&gate_lock);
	while (gate_busy >= IDMS_PW_CONCURRENT)
		pthread_cond_wait(&gate_cond, &gate_lock);
	gate_busy++;
	pthread_mutex_unlock(&gate_lock);
}

static void gate_leave(void)
{
	pthread_mutex_lock(&gate_lock);
	gate_busy--;
	pthread_cond_signal(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

static enum mcx_err meta_key(const char *xui, char *key)
{
	size_t n = xui ? strlen(xui) : 0;

	if (!n || n > IDMS_USERNAME_MAX)
		return MCX_EINVAL;
	snprintf(key, META_KEY_MAX, IDMS_PW_META_PREFIX "%s", xui);
	return MCX_OK;
}

static enum mcx_err hash_encoded(const char *pw, unsigned t, unsigned m, char *out, size_t outlen)
{
	uint8_t salt[IDMS_PW_SALT];
	enum mcx_err err;
	int r;

	err = crypto_random(salt, sizeof(salt));
	if (err)
		return err;
	gate_enter();
	r = argon2id_hash_encoded(t, m, IDMS_PW_LANES, pw, strlen(pw), salt, sizeof(salt),
				  IDMS_PW_HASH, out, outlen);
	gate_leave();
	if (r == ARGON2_MEMORY_ALLOCATION_ERROR)
		return MCX_ENOMEM;
	if (r != ARGON2_OK) {
		log_err("argon2id: %s", argon2_error_message(r));
		return MCX_EINTERNAL;
	}
	return MCX_OK;
}

static bool verify(const char *encoded, const char *pw)
{
	int r;

	gate_enter();
	r = argon2id_verify(encoded, pw, strlen(pw));
	gate_leave();
	return r == ARGON2_OK;
}

enum mcx_err idms_password_set_cost(struct mcx_store *st, const char *xui, const char *password,
				    unsigned t_cost, unsigned m_kib)
{
	char key[META_KEY_MAX], enc[IDMS_PW_ENCODED_MAX];
	struct store_user *u = NULL;
	enum mcx_err err;

	if (!st || !password || !*password || strlen(password) > IDMS_PW_MAX)
		return MCX_EINVAL;
	err = meta_key(xui, key);
	if (err)
		return err;
	err = store_user_get(st, xui, &u);
	store_user_free(u);
	if (err)
		return err;
	err = hash_encoded(password, t_cost ? t_cost : IDMS_PW_T_COST,
			   m_kib ? m_kib : IDMS_PW_M_KIB, enc, sizeof(enc));
	if (!err)
		err = store_meta_put(st, key, enc, strlen(enc));
	return err;
}

enum mcx_err idms_password_set(struct mcx_store *st, const char *xui, const char *password)
{
	return idms_password_set_cost(st, xui, password, 0, 0);
}

/* The stored encoded hash of xui into *enc (caller frees); MCX_ENOENT if none. */
static enum mcx_err stored(struct mcx_store *st, const char *xui, char **enc)
{
	char key[META_KEY_MAX];
	enum mcx_err err;

	*enc = NULL;
	err = meta_key(xui, key);
	if (!err)
		err = store_meta_get(st, key, enc, NULL);
	if (!err && strncmp(*enc, "$argon2id$", 10)) {
		mcx_free(*enc);
		*enc = NULL;
		err = MCX_ENOENT;
	}
	return err;
}

bool idms_password_check(struct mcx_store *st, const char *xui, const char *password)
{
	char *enc = NULL;
	bool ok;

	if (!st || !password || strlen(password) > IDMS_PW_MAX || stored(st, xui, &enc))
		return false;
	ok = verify(enc, password);
	mcx_free(enc);
	return ok;
}

static unsigned cfg_t(const struct idms *i)
{
	return i->conf.pw_t_cost ? i->conf.pw_t_cost : IDMS_PW_T_COST;
}

static unsigned cfg_m(const struct idms *i)
{
	return i->conf.pw_m_kib ? i->conf.pw_m_kib : IDMS_PW_M_KIB;
}

/* Does enc use other parameters than the configured ones? */
static bool needs_rehash(const struct idms *i, const char *enc)
{
	unsigned v, m, t, p;

	if (sscanf(enc, "$argon2id$v=%u$m=%u,t=%u,p=%u$", &v, &m, &t, &p) != 4)
		return true;
	return v != ARGON2_VERSION_NUMBER || m != cfg_m(i) || t != cfg_t(i) || p != IDMS_PW_LANES;
}

/* The same work as a real check, for accounts that do not exist. */
static void dummy_verify(struct idms *i, const char *password)
{
	char enc[IDMS_PW_ENCODED_MAX];
	uint8_t rnd[16];
	char pw[sizeof(rnd) * 2 + 1];
	const char *dummy;

	pthread_mutex_lock(&i->pw_lock);
	if (!i->pw_dummy && !crypto_random(rnd, sizeof(rnd))) {
		hex_encode(rnd, sizeof(rnd), pw);
		if (!hash_encoded(pw, cfg_t(i), cfg_m(i), enc, sizeof(enc)))
			i->pw_dummy = mcx_strdup(enc);
	}
	dummy = i->pw_dummy; /* set once, freed at idms_close */
	pthread_mutex_unlock(&i->pw_lock);
	if (dummy)
		(void)verify(dummy, password);
}

bool password_login_check(struct idms *i, const char *xui, const char *password, bool *rehash)
{
	char *enc = NULL;
	bool ok = false;

	*rehash = false;
	if (!password || strlen(password) > IDMS_PW_MAX) {
		dummy_verify(i, "");
		return false;
	}
	if (!xui || stored(i->st, xui, &enc)) {
		dummy_verify(i, password);
		return false;
	}
	ok = verify(enc, password);
	*rehash = ok && needs_rehash(i, enc);
	mcx_free(enc);
	return ok;
}

enum mcx_err password_rehash(struct idms *i, const char *xui, const char *password)
{
	return idms_password_set_cost(i->st, xui, password, cfg_t(i), cfg_m(i));
}
