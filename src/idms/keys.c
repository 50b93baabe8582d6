/* IdMS signing keys: PEM files and a manifest in <data_dir>/idms/, generation, rotation with a grace period, the JWKS, and noticing another process's rotation. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define LOG_MODULE "idms"
#include "core/log.h"
#include "core/mem.h"
#include "http/jwt.h"
#include "idms/idms_int.h"
#include "core/banned.h"

#define MANIFEST     "keys"
#define LOCKFILE     "keys.lock"
#define KID_MAX      64
#define PATH_MAX_LEN 4096
#define RSA_BITS     2048

struct man_ent {
	char kid[KID_MAX];
	char alg[8];
	int64_t created, retired;
};

struct manifest {
	struct man_ent e[IDMS_KEYS_MAX + 1];
	size_t n;
};

static enum mcx_err path_join(char *out, size_t outlen, const char *dir, const char *name)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= outlen ? MCX_ELIMIT : MCX_OK;
}

static bool kid_ok(const char *kid)
{
	size_t k, n = strlen(kid);

	if (!n || n >= KID_MAX)
		return false;
	for (k = 0; k < n; k++)
		if (!((kid[k] >= 'a' && kid[k] <= 'z') || (kid[k] >= 'A' && kid[k] <= 'Z') ||
		      (kid[k] >= '0' && kid[k] <= '9') || kid[k] == '-' || kid[k] == '_'))
			return false;
	return true;
}

static bool alg_ok(const char *alg)
{
	return !strcmp(alg, "ES256") || !strcmp(alg, "RS256");
}

/* ---- files ---- */

static enum mcx_err file_read(const char *path, size_t max, char **pp, size_t *lenp)
{
	struct mcx_buf b;
	enum mcx_err err = MCX_OK;
	char chunk[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? MCX_ENOENT : MCX_EIO;
	buf_init(&b, max);
	while (!err && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0)
			err = errno == EINTR ? MCX_OK : MCX_EIO;
		else
			err = buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	if (!err && !b.p)
		err = buf_adds(&b, "");
	if (err) {
		buf_reset(&b);
		return err;
	}
	*pp = buf_take(&b, lenp);
	return MCX_OK;
}

static enum mcx_err fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	enum mcx_err err = MCX_OK;

	if (fd < 0)
		return MCX_EIO;
	if (fsync(fd))
		err = MCX_EIO;
	close(fd);
	return err;
}

/* Write dir/name with mode through a temporary file and rename (atomic). */
static enum mcx_err file_write(const char *dir, const char *name, const void *p, size_t n,
			       mode_t mode)
{
	char path[PATH_MAX_LEN], tmp[PATH_MAX_LEN + 8];
	enum mcx_err err;
	size_t off = 0;
	int fd;

	err = path_join(path, sizeof(path), dir, name);
	if (err)
		return err;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return MCX_EIO;
	while (off < n) {
		ssize_t w = write(fd, (const char *)p + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	err = off == n && fchmod(fd, mode) == 0 && fsync(fd) == 0 ? MCX_OK : MCX_EIO;
	close(fd);
	if (!err && rename(tmp, path))
		err = MCX_EIO;
	if (err)
		unlink(tmp);
	else
		err = fsync_dir(dir);
	return err;
}

static int lock_dir(const char *dir)
{
	char path[PATH_MAX_LEN];
	int fd;

	if (path_join(path, sizeof(path), dir, LOCKFILE))
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void unlock_dir(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

/* ---- manifest ---- */

static enum mcx_err manifest_parse(struct manifest *m, const char *text)
{
	const char *line = text;

	memset(m, 0, sizeof(*m));
	while (*line) {
		const char *nl = strchr(line, '\n');
		struct man_ent *e = &m->e[m->n];
		long long created, retired;
		char kid[KID_MAX + 1], alg[9];

		if (*line != '#' && *line != '\n') {
			if (m->n == IDMS_KEYS_MAX ||
			    sscanf(line, "%64s %8s %lld %lld", kid, alg, &created, &retired) != 4 ||
			    !kid_ok(kid) || !alg_ok(alg) || created < 0 || retired < 0)
				return MCX_EINVAL;
			memcpy(e->kid, kid, strlen(kid) + 1);
			memcpy(e->alg, alg, strlen(alg) + 1);
			e->created = created;
			e->retired = retired;
			m->n++;
		}
		line = nl ? nl + 1 : line + strlen(line);
	}
	return MCX_OK;
}

static enum mcx_err manifest_read(const char *dir, struct manifest *m)
{
	char path[PATH_MAX_LEN], *text = NULL;
	enum mcx_err err;

	memset(m, 0, sizeof(*m));
	err = path_join(path, sizeof(path), dir, MANIFEST);
	if (!err)
		err = file_read(path, IDMS_MANIFEST_MAX, &text, NULL);
	if (err == MCX_ENOENT)
		return MCX_OK;
	if (!err)
		err = manifest_parse(m, text);
	mcx_free(text);
	return err;
}

static enum mcx_err manifest_write(const char *dir, const struct manifest *m)
{
	struct mcx_buf b;
	enum mcx_err err;
	size_t k;

	buf_init(&b, IDMS_MANIFEST_MAX);
	err = buf_adds(&b, "# IdMS signing keys (mcxd, mcx idms rotate-keys): "
		       "kid alg created retired-at (0 = current); key-<kid>.pem\n");
	for (k = 0; !err && k < m->n; k++)
		err = buf_addf(&b, "%s %s %" PRId64 " %" PRId64 "\n", m->e[k].kid, m->e[k].alg,
			       m->e[k].created, m->e[k].retired);
	if (!err)
		err = file_write(dir, MANIFEST, b.p, b.len, 0600);
	buf_reset(&b);
	return err;
}

static int manifest_current(const struct manifest *m)
{
	int cur = -1;
	size_t k;

	for (k = 0; k < m->n; k++)
		if (!m->e[k].retired)
			cur = (int)k;
	return cur;
}

/* ---- key generation ---- */

static enum mcx_err pem_of(EVP_PKEY *pk, char **pem, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	enum mcx_err err = MCX_EINTERNAL;
	char *data;
	long n;

	if (bio && PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) == 1 &&
	    (n = BIO_get_mem_data(bio, &data)) > 0) {
		*pem = mcx_strndup(data, (size_t)n);
		*len = (size_t)n;
		err = *pem ? MCX_OK : MCX_ENOMEM;
	}
	BIO_free(bio);
	ERR_clear_error();
	return err;
}

/* The kid jwt.c derived (RFC 7638 thumbprint), from the public JWK. */
static enum mcx_err kid_of(const struct jwt_key *k, char *kid)
{
	struct mcx_buf b;
	enum mcx_err err;
	json_t *j = NULL;
	const char *s;

	buf_init(&b, 4096);
	err = jwt_key_public_jwk(k, &b);
	if (!err)
		j = json_loadb(b.p, b.len, 0, NULL);
	s = json_string_value(json_object_get(j, "kid"));
	if (!err && (!s || strlen(s) >= KID_MAX || !kid_ok(s)))
		err = MCX_EINTERNAL;
	if (!err)
		memcpy(kid, s, strlen(s) + 1);
	json_decref(j);
	buf_reset(&b);
	return err;
}

/* A new private key of alg written as key-<kid>.pem; *e describes it. */
static enum mcx_err key_create(const char *dir, const char *alg, int64_t now, struct man_ent *e)
{
	EVP_PKEY *pk = strcmp(alg, "RS256") ? EVP_EC_gen("P-256") : EVP_RSA_gen(RSA_BITS);
	struct jwt_key *k = NULL;
	char *pem = NULL, name[KID_MAX + 16];
	enum mcx_err err;
	size_t len = 0;

	err = pk ? pem_of(pk, &pem, &len) : MCX_EINTERNAL;
	EVP_PKEY_free(pk);
	ERR_clear_error();
	if (!err)
		err = jwt_key_load_pem(&k, pem, len, NULL, NULL, 0);
	if (!err)
		err = kid_of(k, e->kid);
	if (!err) {
		snprintf(name, sizeof(name), "key-%s.pem", e->kid);
		err = file_write(dir, name, pem, len, 0600);
	}
	if (pem)
		OPENSSL_cleanse(pem, len);
	mcx_free(pem);
	jwt_key_free(k);
	if (!err) {
		memcpy(e->alg, alg, strlen(alg) + 1);
		e->created = now;
		e->retired = 0;
	}
	return err;
}

/* Drop the oldest retired keys until IDMS_KEYS_MAX - 1 remain (room for
 * one); their kids go to gone[] so the files can be removed once the new
 * manifest no longer names them. */
static size_t manifest_prune(struct manifest *m, char gone[][KID_MAX])
{
	size_t ngone = 0;

	while (m->n >= IDMS_KEYS_MAX) {
		size_t k, old = m->n;

		for (k = 0; k < m->n; k++)
			if (m->e[k].retired && (old == m->n || m->e[k].retired < m->e[old].retired))
				old = k;
		if (old == m->n)
			break;
		memcpy(gone[ngone++], m->e[old].kid, KID_MAX);
		memmove(&m->e[old], &m->e[old + 1], (m->n - old - 1) * sizeof(m->e[0]));
		m->n--;
	}
	return ngone;
}

static void keys_unlink(const char *dir, char gone[][KID_MAX], size_t n)
{
	char path[PATH_MAX_LEN], name[KID_MAX + 16];
	size_t k;

	for (k = 0; k < n; k++) {
		snprintf(name, sizeof(name), "key-%s.pem", gone[k]);
		if (!path_join(path, sizeof(path), dir, name))
			unlink(path);
	}
}

/* With the directory locked: a new current key of alg; when !force only if
 * there is no current key of that algorithm. */
static enum mcx_err rotate_locked(const char *dir, const char *alg, int64_t now, bool force,
				  char *errbuf, size_t errlen)
{
	char gone[IDMS_KEYS_MAX][KID_MAX];
	struct manifest m;
	struct man_ent e;
	enum mcx_err err;
	size_t k, ngone;
	int cur;

	err = manifest_read(dir, &m);
	if (err) {
		snprintf(errbuf, errlen, "%s/" MANIFEST ": unreadable or malformed", dir);
		return err;
	}
	cur = manifest_current(&m);
	if (!force && cur >= 0 && !strcmp(m.e[cur].alg, alg))
		return MCX_OK;
	ngone = manifest_prune(&m, gone);
	if (m.n >= IDMS_KEYS_MAX) {
		snprintf(errbuf, errlen, "%s/" MANIFEST ": too many current keys", dir);
		return MCX_EINVAL;
	}
	err = key_create(dir, alg, now, &e);
	if (err) {
		snprintf(errbuf, errlen, "%s: cannot create a %s key: %s", dir, alg, mcx_strerror(err));
		return err;
	}
	for (k = 0; k < m.n; k++)
		if (!m.e[k].retired)
			m.e[k].retired = now;
	m.e[m.n++] = e;
	err = manifest_write(dir, &m);
	if (err) {
		snprintf(errbuf, errlen, "%s/" MANIFEST ": cannot write", dir);
		return err;
	}
	keys_unlink(dir, gone, ngone);
	log_info("signing key %s (%s) is now current", e.kid, alg);
	return MCX_OK;
}

static enum mcx_err dir_make(const char *dir, char *errbuf, size_t errlen)
{
	struct stat sb;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		snprintf(errbuf, errlen, "%s: %s", dir, strerror(errno));
		return MCX_EIO;
	}
	if (stat(dir, &sb) || !S_ISDIR(sb.st_mode)) {
		snprintf(errbuf, errlen, "%s: not a directory", dir);
		return MCX_EIO;
	}
	return MCX_OK;
}

static enum mcx_err rotate(const char *dir, const char *alg, int64_t now, bool force,
			   char *errbuf, size_t errlen)
{
	enum mcx_err err;
	int fd;

	err = dir_make(dir, errbuf, errlen);
	if (err)
		return err;
	fd = lock_dir(dir);
	if (fd < 0) {
		snprintf(errbuf, errlen, "%s/" LOCKFILE ": %s", dir, strerror(errno));
		return MCX_EIO;
	}
	err = rotate_locked(dir, alg, now, force, errbuf, errlen);
	unlock_dir(fd);
	return err;
}

enum mcx_err idms_rotate_keys(const char *data_dir, const char *alg, char *errbuf, size_t errlen)
{
	char dir[PATH_MAX_LEN];
	int n;

	if (!alg || !*alg)
		alg = "ES256";
	if (!data_dir || !alg_ok(alg)) {
		snprintf(errbuf, errlen, "key algorithm must be ES256 or RS256");
		return MCX_EINVAL;
	}
	n = snprintf(dir, sizeof(dir), "%s/idms", data_dir);
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		snprintf(errbuf, errlen, "data directory path too long");
		return MCX_ELIMIT;
	}
	return rotate(dir, alg, (int64_t)time(NULL), true, errbuf, errlen);
}

/* ---- loading and the key set ---- */

static void ents_free(struct idms_keyent *ent, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		jwt_key_free(ent[k].key);
		mcx_free(ent[k].kid);
	}
}

static enum mcx_err ent_load(const char *dir, const struct man_ent *me, struct idms_keyent *ke)
{
	char path[PATH_MAX_LEN], name[KID_MAX + 16], *pem = NULL;
	enum mcx_err err;
	struct stat sb;
	size_t len = 0;

	snprintf(name, sizeof(name), "key-%s.pem", me->kid);
	err = path_join(path, sizeof(path), dir, name);
	if (!err)
		err = file_read(path, IDMS_KEY_PEM_MAX, &pem, &len);
	if (!err && !stat(path, &sb) && (sb.st_mode & 077))
		log_warn("%s: readable by others (chmod 600 it)", path);
	if (!err)
		err = jwt_key_load_pem(&ke->key, pem, len, me->kid, NULL, 0);
	if (pem)
		OPENSSL_cleanse(pem, len);
	mcx_free(pem);
	if (!err) {
		ke->kid = mcx_strdup(me->kid);
		err = ke->kid ? MCX_OK : MCX_ENOMEM;
	}
	if (!err) {
		memcpy(ke->alg, me->alg, sizeof(ke->alg));
		ke->created = me->created;
		ke->retired = me->retired;
	}
	return err;
}

/* Load the keys of the manifest m into ent; *cur gets the current one.
 * A retired key whose file is gone is skipped; the current one must load. */
static enum mcx_err ents_load(const char *dir, const struct manifest *m,
			      struct idms_keyent *ent, size_t *n, int *cur)
{
	int mc = manifest_current(m);
	enum mcx_err err;
	size_t k;

	*n = 0;
	*cur = -1;
	if (mc < 0)
		return MCX_ENOENT;
	for (k = 0; k < m->n; k++) {
		memset(&ent[*n], 0, sizeof(ent[*n]));
		err = ent_load(dir, &m->e[k], &ent[*n]);
		if (err) {
			ents_free(&ent[*n], 1);
			if ((int)k == mc || err == MCX_ENOMEM) {
				ents_free(ent, *n);
				*n = 0;
				return err;
			}
			log_warn("signing key %s: cannot load (%s); left out", m->e[k].kid,
				 mcx_strerror(err));
			continue;
		}
		if ((int)k == mc)
			*cur = (int)*n;
		(*n)++;
	}
	return MCX_OK;
}

/* Free superseded key sets held longer than IDMS_JWKS_HOLD; when the list
 * is full anyway, the oldest goes (a caller holds a set for one request). */
static void old_sets_gc(struct idms_keys *k, int64_t now)
{
	size_t a, b = 0;

	for (a = 0; a < k->nold; a++) {
		if (now - k->old[a].since > IDMS_JWKS_HOLD || (k->nold == IDMS_JWKS_OLD_MAX && a == 0))
			jwks_free(k->old[a].ks);
		else
			k->old[b++] = k->old[a];
	}
	k->nold = b;
}

/* Build the key set: the current key and retired keys still in grace. */
static enum mcx_err jwks_build(struct idms *i, int64_t now)
{
	struct idms_keys *k = &i->keys;
	int64_t until = INT64_MAX;
	struct jwks *ks = NULL;
	struct mcx_buf b;
	enum mcx_err err;
	size_t e, nk = 0;

	buf_init(&b, JWKS_MAX_LEN);
	err = buf_adds(&b, "{\"keys\":[");
	for (e = 0; !err && e < k->n; e++) {
		const struct idms_keyent *ke = &k->ent[e];

		if ((int)e != k->cur && (!ke->retired || now >= ke->retired + i->conf.key_grace))
			continue;
		if ((int)e != k->cur && ke->retired + i->conf.key_grace < until)
			until = ke->retired + i->conf.key_grace;
		if (nk++)
			err = buf_adds(&b, ",");
		if (!err)
			err = jwt_key_public_jwk(ke->key, &b);
	}
	if (!err)
		err = buf_adds(&b, "]}");
	if (!err)
		err = jwks_parse(&ks, b.p, b.len, NULL, 0);
	if (err) {
		buf_reset(&b);
		return err;
	}
	old_sets_gc(k, now);
	if (k->jwks) {
		k->old[k->nold].ks = k->jwks;
		k->old[k->nold].since = now;
		k->nold++;
	}
	k->jwks = ks;
	mcx_free(k->jwks_json);
	k->jwks_json = buf_take(&b, NULL);
	k->jwks_until = until;
	return MCX_OK;
}

static void manifest_stat(struct idms_keys *k, struct stat *sb, bool *ok)
{
	char path[PATH_MAX_LEN];

	*ok = !path_join(path, sizeof(path), k->dir, MANIFEST) && !stat(path, sb);
}

static bool manifest_changed(const struct idms_keys *k, const struct stat *sb)
{
	return k->m_ino != (unsigned long long)sb->st_ino ||
	       k->m_size != (unsigned long long)sb->st_size ||
	       k->m_sec != (long long)sb->st_mtim.tv_sec || k->m_nsec != (long long)sb->st_mtim.tv_nsec;
}

/* (Re)load every key from the manifest; on failure the old keys stay. */
static enum mcx_err keys_load(struct idms *i, int64_t now)
{
	struct idms_keys *k = &i->keys;
	struct idms_keyent ent[IDMS_KEYS_MAX];
	struct manifest m;
	enum mcx_err err;
	struct stat sb;
	size_t n = 0;
	bool ok;
	int cur;

	manifest_stat(k, &sb, &ok);
	err = manifest_read(k->dir, &m);
	if (!err)
		err = ents_load(k->dir, &m, ent, &n, &cur);
	if (err)
		return err;
	ents_free(k->ent, k->n);
	memcpy(k->ent, ent, n * sizeof(ent[0]));
	k->n = n;
	k->cur = cur;
	if (ok) {
		k->m_ino = (unsigned long long)sb.st_ino;
		k->m_size = (unsigned long long)sb.st_size;
		k->m_sec = (long long)sb.st_mtim.tv_sec;
		k->m_nsec = (long long)sb.st_mtim.tv_nsec;
	}
	return jwks_build(i, now);
}

/* With k->lock held: notice a rotation by another process (the manifest is
 * stat'ed at most once per clock second) and grace periods that ended. */
static void keys_refresh(struct idms *i)
{
	struct idms_keys *k = &i->keys;
	int64_t now = idms_now(i);
	struct stat sb;
	enum mcx_err err = MCX_OK;
	bool ok;

	if (now != k->checked) {
		k->checked = now;
		manifest_stat(k, &sb, &ok);
		if (ok && manifest_changed(k, &sb)) {
			err = keys_load(i, now);
			if (err)
				log_warn("signing keys: reload failed (%s); keeping the keys we have",
					 mcx_strerror(err));
			else
				log_info("signing keys reloaded: current %s", k->ent[k->cur].kid);
		}
	}
	if (now >= k->jwks_until) {
		err = jwks_build(i, now);
		if (err)
			log_warn("key set: rebuild failed (%s)", mcx_strerror(err));
	}
}

enum mcx_err keys_open(struct idms *i, char *errbuf, size_t errlen)
{
	struct idms_keys *k = &i->keys;
	enum mcx_err err;

	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->lock, NULL);
	k->cur = -1;
	k->dir = mcx_strdup(i->dir);
	if (!k->dir)
		return MCX_ENOMEM;
	err = rotate(k->dir, i->conf.key_alg, idms_now(i), false, errbuf, errlen);
	if (!err) {
		err = keys_load(i, idms_now(i));
		if (err)
			snprintf(errbuf, errlen, "%s: cannot load the signing keys: %s", k->dir,
				 mcx_strerror(err));
	}
	k->checked = idms_now(i);
	return err;
}

void keys_close(struct idms_keys *k)
{
	size_t e;

	ents_free(k->ent, k->n);
	jwks_free(k->jwks);
	for (e = 0; e < k->nold; e++)
		jwks_free(k->old[e].ks);
	mcx_free(k->jwks_json);
	mcx_free(k->dir);
	pthread_mutex_destroy(&k->lock);
	memset(k, 0, sizeof(*k));
}

enum mcx_err keys_sign(struct idms *i, const char *claims_json, struct mcx_buf *out)
{
	enum mcx_err err;

	pthread_mutex_lock(&i->keys.lock);
	keys_refresh(i);
	err = jwt_sign(i->keys.ent[i->keys.cur].key, claims_json, out);
	pthread_mutex_unlock(&i->keys.lock);
	return err;
}

enum mcx_err keys_jwks_json(struct idms *i, struct mcx_buf *out)
{
	enum mcx_err err;

	pthread_mutex_lock(&i->keys.lock);
	keys_refresh(i);
	err = buf_adds(out, i->keys.jwks_json);
	pthread_mutex_unlock(&i->keys.lock);
	return err;
}

const char *keys_alg(struct idms *i)
{
	const char *alg;

	pthread_mutex_lock(&i->keys.lock);
	alg = i->keys.ent[i->keys.cur].alg[0] == 'R' ? "RS256" : "ES256";
	pthread_mutex_unlock(&i->keys.lock);
	return alg;
}

const struct jwks *idms_jwks(struct idms *i)
{
	const struct jwks *ks;

	if (!i)
		return NULL;
	pthread_mutex_lock(&i->keys.lock);
	keys_refresh(i);
	ks = i->keys.jwks;
	pthread_mutex_unlock(&i->keys.lock);
	return ks;
}
