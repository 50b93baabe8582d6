/* The client's cache directory (docs/cmc.md "Cache"):
 *
 *   <dir>/state.json         0600: tokens, their expiry, the ETag of every
 *                            cached document, the selected profile
 *   <dir>/docs/<name>        0600: a document's bytes exactly as served;
 *                            <name> is its selector percent-encoded
 *
 * Every file is written to a temporary name in the same directory, fsync'ed,
 * renamed over the old one and the directory fsync'ed: a reader (or a client
 * restarted after a crash) sees the old file or the new one, never a part. */
#ifndef MCX_CMC_CACHE_H
#define MCX_CMC_CACHE_H

#include <stddef.h>
#include <sys/types.h>

#include "mcx/mcx.h"
#include "core/buf.h"

#define CMC_CACHE_NAME_MAX 240u  /* bytes of a file name made from a selector */

/* Create dir (0700) and dir/docs when missing. */
MCX_WUR enum mcx_err cmc_cache_init(const char *dir, char *eb, size_t el);
/* Write p[0..n) as dir/name atomically (temp + fsync + rename + fsync dir). */
MCX_WUR enum mcx_err cmc_write_atomic(const char *dir, const char *name, const void *p, size_t n,
				      mode_t mode, char *eb, size_t el);
/* Read dir/name into out (bounded by out's cap). MCX_ENOENT when missing. */
MCX_WUR enum mcx_err cmc_read_file(const char *dir, const char *name, struct mcx_buf *out,
				   char *eb, size_t el);
/* File name of a selector: bytes outside [A-Za-z0-9._~@+=,-] as %XX; a name
 * that would pass CMC_CACHE_NAME_MAX becomes its prefix plus a hash. */
void cmc_cache_name(const char *sel, char *out, size_t outlen);
/* dir/docs/<name of sel>: put, get, remove. */
MCX_WUR enum mcx_err cmc_cache_put(const char *dir, const char *sel, const void *p, size_t n,
				   char *eb, size_t el);
MCX_WUR enum mcx_err cmc_cache_get(const char *dir, const char *sel, struct mcx_buf *out,
				   char *eb, size_t el);
void cmc_cache_remove(const char *dir, const char *sel);

#endif
