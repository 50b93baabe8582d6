/* The IdMS grant database (<data_dir>/idms/idms.db, SQLite, its own handle): refresh tokens by SHA-256, their families, and issued access-token ids for revocation; survives restarts. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LOG_MODULE "idms"
#include "core/log.h"
#include "idms/idms_int.h"
#include "core/banned.h"

#define DB_VERSION     1
#define DB_BUSY_MS     5000
#define REVOKED_KEEP   IDMS_DEF_REFRESH_TTL  /* a family revoked before it was stored */

enum { ST_LIVE = 0, ST_ROTATED = 1, ST_REVOKED = 2 };

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS family ("
	" id TEXT PRIMARY KEY, revoked INTEGER NOT NULL DEFAULT 0, exp INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS refresh ("
	" hash TEXT PRIMARY KEY,"          /* SHA-256 hex of the token */
	" family TEXT NOT NULL, state INTEGER NOT NULL,"
	" client_id TEXT NOT NULL, sub TEXT NOT NULL, scope TEXT NOT NULL,"
	" auth_time INTEGER NOT NULL, exp INTEGER NOT NULL, created INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS refresh_family ON refresh(family);"
	"CREATE TABLE IF NOT EXISTS access ("
	" jti TEXT PRIMARY KEY, family TEXT, exp INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0"
	") WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS access_family ON access(family);";

/* Prepare sql and bind the arguments: types has 's' (const char *, NULL =
 * SQL NULL) or 'i' (int64_t) per parameter. */
static enum mcx_err prep(sqlite3 *db, sqlite3_stmt **s, const char *sql, const char *types,
			 va_list ap)
{
	int r = sqlite3_prepare_v2(db, sql, -1, s, NULL);
	int k;

	for (k = 0; r == SQLITE_OK && types[k]; k++) {
		if (types[k] == 's') {
			const char *v = va_arg(ap, const char *);

			r = v ? sqlite3_bind_text(*s, k + 1, v, -1, SQLITE_STATIC)
			      : sqlite3_bind_null(*s, k + 1);
		} else {
			r = sqlite3_bind_int64(*s, k + 1, (sqlite3_int64)va_arg(ap, int64_t));
		}
	}
	if (r != SQLITE_OK) {
		log_err("grant database: %s", sqlite3_errmsg(db));
		sqlite3_finalize(*s);
		*s = NULL;
		return r == SQLITE_NOMEM ? MCX_ENOMEM : MCX_EDB;
	}
	return MCX_OK;
}

/* Run a statement that returns no rows. */
static enum mcx_err run(sqlite3 *db, const char *sql, const char *types, ...)
{
	sqlite3_stmt *s = NULL;
	enum mcx_err err;
	va_list ap;
	int r;

	va_start(ap, types);
	err = prep(db, &s, sql, types, ap);
	va_end(ap);
	if (err)
		return err;
	r = sqlite3_step(s);
	if (r != SQLITE_DONE && r != SQLITE_ROW) {
		log_err("grant database: %s", sqlite3_errmsg(db));
		err = r == SQLITE_NOMEM ? MCX_ENOMEM : MCX_EDB;
	}
	sqlite3_finalize(s);
	return err;
}

/* Prepare a query; the caller steps and finalizes. */
static enum mcx_err query(sqlite3 *db, sqlite3_stmt **s, const char *sql, const char *types, ...)
{
	enum mcx_err err;
	va_list ap;

	va_start(ap, types);
	err = prep(db, s, sql, types, ap);
	va_end(ap);
	return err;
}

static enum mcx_err end(sqlite3 *db, enum mcx_err err)
{
	if (err)
		(void)run(db, "ROLLBACK", "");
	else
		err = run(db, "COMMIT", "");
	return err;
}

static enum mcx_err db_schema(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	enum mcx_err err;
	int version = -1;

	err = query(db, &s, "PRAGMA user_version", "");
	if (!err && sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (err)
		return err;
	if (version < 0 || version > DB_VERSION)
		return MCX_EDB;
	if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK)
		return MCX_EDB;
	return run(db, "PRAGMA user_version = 1", "");
}

enum mcx_err db_open(struct idms_db *d, const char *path, char *errbuf, size_t errlen)
{
	enum mcx_err err = MCX_OK;
	int r;

	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	r = sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_busy_timeout(d->db, DB_BUSY_MS);
	if (r == SQLITE_OK)
		r = sqlite3_exec(d->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
				 NULL, NULL, NULL);
	if (r == SQLITE_OK)
		err = db_schema(d->db);
	if (r != SQLITE_OK || err) {
		snprintf(errbuf, errlen, "%s: %s", path, d->db ? sqlite3_errmsg(d->db) :
			 "cannot open");
		db_close(d);
		return r == SQLITE_NOMEM ? MCX_ENOMEM : MCX_EDB;
	}
	return MCX_OK;
}

void db_close(struct idms_db *d)
{
	if (d->db)
		sqlite3_close(d->db);
	d->db = NULL;
	pthread_mutex_destroy(&d->lock);
}

/* With the lock held: forget what has expired, at most every IDMS_PURGE_EVERY. */
static void purge(struct idms_db *d, int64_t now)
{
	if (now - d->purged < IDMS_PURGE_EVERY)
		return;
	d->purged = now;
	if (run(d->db, "DELETE FROM refresh WHERE exp < ?1", "i", now) ||
	    run(d->db, "DELETE FROM access WHERE exp < ?1", "i", now) ||
	    run(d->db, "DELETE FROM family WHERE exp < ?1", "i", now))
		log_warn("grant database: purge failed");
}

static enum mcx_err access_add(sqlite3 *db, const char *jti, const char *family, int64_t exp)
{
	return run(db, "INSERT INTO access (jti, family, exp) VALUES (?1, ?2, ?3)"
		   " ON CONFLICT (jti) DO NOTHING", "ssi", jti, family, exp);
}

static enum mcx_err refresh_add(sqlite3 *db, const char *hash, const struct idms_grant *g,
				int64_t exp, int64_t now)
{
	enum mcx_err err;

	err = run(db, "INSERT INTO refresh (hash, family, state, client_id, sub, scope, auth_time,"
		  " exp, created) VALUES (?1, ?2, 0, ?3, ?4, ?5, ?6, ?7, ?8)", "sssssiii", hash,
		  g->family, g->client_id, g->sub, g->scope, g->auth_time, exp, now);
	if (!err)
		err = run(db, "INSERT INTO family (id, exp) VALUES (?1, ?2) ON CONFLICT (id)"
			  " DO UPDATE SET exp = max(exp, excluded.exp)", "si", g->family, exp);
	return err;
}

enum mcx_err db_grant_new(struct idms_db *d, const struct idms_grant *g, const char *hash,
			  int64_t refresh_exp, const char *jti, int64_t access_exp, int64_t now)
{
	enum mcx_err err;

	pthread_mutex_lock(&d->lock);
	purge(d, now);
	err = run(d->db, "BEGIN IMMEDIATE", "");
	if (!err) {
		err = refresh_add(d->db, hash, g, refresh_exp, now);
		if (!err)
			err = access_add(d->db, jti, g->family, access_exp);
		err = end(d->db, err);
	}
	pthread_mutex_unlock(&d->lock);
	return err;
}

static enum mcx_err family_revoke(sqlite3 *db, const char *family, int64_t now)
{
	enum mcx_err err;

	err = run(db, "INSERT INTO family (id, revoked, exp) VALUES (?1, 1, ?2) ON CONFLICT (id)"
		  " DO UPDATE SET revoked = 1", "si", family, (int64_t)(now + REVOKED_KEEP));
	if (!err)
		err = run(db, "UPDATE refresh SET state = 2 WHERE family = ?1", "s", family);
	if (!err)
		err = run(db, "UPDATE access SET revoked = 1 WHERE family = ?1", "s", family);
	return err;
}

enum mcx_err db_family_revoke(struct idms_db *d, const char *family, int64_t now)
{
	enum mcx_err err;

	if (!family || !*family)
		return MCX_OK;
	pthread_mutex_lock(&d->lock);
	err = run(d->db, "BEGIN IMMEDIATE", "");
	if (!err)
		err = end(d->db, family_revoke(d->db, family, now));
	pthread_mutex_unlock(&d->lock);
	return err;
}

static void col_text(sqlite3_stmt *s, int col, char *dst, size_t dstlen)
{
	const unsigned char *v = sqlite3_column_text(s, col);

	snprintf(dst, dstlen, "%s", v ? (const char *)v : "");
}

/* The refresh row with hash into g; *state and *exp; MCX_ENOENT if none. */
static enum mcx_err refresh_get(sqlite3 *db, const char *hash, struct idms_grant *g, int *state,
				int64_t *exp)
{
	sqlite3_stmt *s = NULL;
	enum mcx_err err;
	int r;

	err = query(db, &s, "SELECT r.family, r.state, r.client_id, r.sub, r.scope, r.auth_time,"
		    " r.exp, IFNULL(f.revoked, 0) FROM refresh r LEFT JOIN family f"
		    " ON f.id = r.family WHERE r.hash = ?1", "s", hash);
	if (err)
		return err;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		col_text(s, 0, g->family, sizeof(g->family));
		*state = sqlite3_column_int(s, 7) ? ST_REVOKED : sqlite3_column_int(s, 1);
		col_text(s, 2, g->client_id, sizeof(g->client_id));
		col_text(s, 3, g->sub, sizeof(g->sub));
		col_text(s, 4, g->scope, sizeof(g->scope));
		g->auth_time = sqlite3_column_int64(s, 5);
		*exp = sqlite3_column_int64(s, 6);
	} else {
		err = r == SQLITE_DONE ? MCX_ENOENT : MCX_EDB;
	}
	sqlite3_finalize(s);
	return err;
}

/* Inside the transaction: check the presented token and rotate it. */
static enum mcx_err rotate(sqlite3 *db, const char *old_hash, const char *client_id,
			   const char *new_hash, int64_t refresh_exp, const char *jti,
			   int64_t access_exp, int64_t now, struct idms_grant *g,
			   enum refresh_result *res)
{
	enum mcx_err err;
	int64_t exp = 0;
	int state = 0;

	err = refresh_get(db, old_hash, g, &state, &exp);
	if (err == MCX_ENOENT) {
		*res = REFRESH_UNKNOWN;
		return MCX_OK;
	}
	if (err)
		return err;
	if (strcmp(g->client_id, client_id))
		*res = REFRESH_WRONG_CLIENT;
	else if (state == ST_ROTATED)
		*res = REFRESH_REUSED;
	else if (state != ST_LIVE)
		*res = REFRESH_REVOKED;
	else if (exp <= now)
		*res = REFRESH_EXPIRED;
	else
		*res = REFRESH_OK;
	if (*res == REFRESH_REUSED)
		return family_revoke(db, g->family, now);
	if (*res != REFRESH_OK)
		return MCX_OK;
	err = run(db, "UPDATE refresh SET state = 1 WHERE hash = ?1", "s", old_hash);
	if (!err)
		err = refresh_add(db, new_hash, g, refresh_exp, now);
	if (!err)
		err = access_add(db, jti, g->family, access_exp);
	return err;
}

enum mcx_err db_refresh_rotate(struct idms_db *d, const char *old_hash, const char *client_id,
			       const char *new_hash, int64_t refresh_exp, const char *jti,
			       int64_t access_exp, int64_t now, struct idms_grant *g,
			       enum refresh_result *res)
{
	enum mcx_err err;

	memset(g, 0, sizeof(*g));
	*res = REFRESH_UNKNOWN;
	pthread_mutex_lock(&d->lock);
	purge(d, now);
	err = run(d->db, "BEGIN IMMEDIATE", "");
	if (!err)
		err = end(d->db, rotate(d->db, old_hash, client_id, new_hash, refresh_exp, jti,
					access_exp, now, g, res));
	pthread_mutex_unlock(&d->lock);
	return err;
}

enum mcx_err db_refresh_revoke(struct idms_db *d, const char *hash, const char *client_id,
			       int64_t now, bool *found)
{
	struct idms_grant g;
	enum mcx_err err;
	int64_t exp;
	int state;

	*found = false;
	memset(&g, 0, sizeof(g));
	pthread_mutex_lock(&d->lock);
	err = run(d->db, "BEGIN IMMEDIATE", "");
	if (!err) {
		err = refresh_get(d->db, hash, &g, &state, &exp);
		if (!err && (!client_id || !strcmp(client_id, g.client_id))) {
			*found = true;
			err = family_revoke(d->db, g.family, now);
		}
		if (err == MCX_ENOENT)
			err = MCX_OK;
		err = end(d->db, err);
	}
	pthread_mutex_unlock(&d->lock);
	return err;
}

enum mcx_err db_access_revoke(struct idms_db *d, const char *jti, int64_t exp)
{
	enum mcx_err err;

	if (!jti || !*jti)
		return MCX_OK;
	pthread_mutex_lock(&d->lock);
	err = run(d->db, "INSERT INTO access (jti, exp, revoked) VALUES (?1, ?2, 1)"
		  " ON CONFLICT (jti) DO UPDATE SET revoked = 1", "si", jti, exp);
	pthread_mutex_unlock(&d->lock);
	return err;
}

bool db_access_revoked(struct idms_db *d, const char *jti)
{
	sqlite3_stmt *s = NULL;
	bool revoked = true;  /* on a database error: fail closed */
	int r;

	pthread_mutex_lock(&d->lock);
	if (!query(d->db, &s, "SELECT a.revoked OR IFNULL(f.revoked, 0) FROM access a"
		   " LEFT JOIN family f ON f.id = a.family WHERE a.jti = ?1", "s", jti)) {
		r = sqlite3_step(s);
		if (r == SQLITE_ROW)
			revoked = sqlite3_column_int(s, 0) != 0;
		else if (r == SQLITE_DONE)
			revoked = false;
	}
	sqlite3_finalize(s);
	pthread_mutex_unlock(&d->lock);
	return revoked;
}
