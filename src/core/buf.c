/* Capped growable byte buffer. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"

void buf_init(struct mcx_buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void buf_reset(struct mcx_buf *b)
{
	mcx_free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static enum mcx_err grow(struct mcx_buf *b, size_t need)
{
	size_t ncap;
	char *np;

	if (need > b->max)
		return MCX_ELIMIT;
	if (need + 1 <= b->cap)
		return MCX_OK;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need + 1)
		ncap *= 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	np = mcx_realloc(b->p, ncap);
	if (!np)
		return MCX_ENOMEM;
	b->p = np;
	b->cap = ncap;
	return MCX_OK;
}

enum mcx_err buf_reserve(struct mcx_buf *b, size_t n)
{
	if (n > b->max - b->len)
		return MCX_ELIMIT;
	return grow(b, b->len + n);
}

enum mcx_err buf_add(struct mcx_buf *b, const void *p, size_t n)
{
	enum mcx_err err;

	if (n > b->max - b->len)
		return MCX_ELIMIT;
	err = grow(b, b->len + n);
	if (err)
		return err;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return MCX_OK;
}

enum mcx_err buf_adds(struct mcx_buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

enum mcx_err buf_addf(struct mcx_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	enum mcx_err err;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MCX_EINVAL;
	if ((size_t)n > b->max - b->len)
		return MCX_ELIMIT;
	err = grow(b, b->len + (size_t)n);
	if (err)
		return err;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return MCX_OK;
}

enum mcx_err buf_add_xml(struct mcx_buf *b, const char *s, size_t n)
{
	size_t i, run = 0;
	enum mcx_err err;

	for (i = 0; i < n; i++) {
		const char *rep = NULL;

		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		default: continue;
		}
		err = buf_add(b, s + run, i - run);
		if (!err)
			err = buf_adds(b, rep);
		if (err)
			return err;
		run = i + 1;
	}
	return buf_add(b, s + run, n - run);
}

char *buf_take(struct mcx_buf *b, size_t *len)
{
	char *p = b->p;

	if (!p) {
		p = mcx_malloc(1);
		if (p)
			p[0] = '\0';
	}
	if (len)
		*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

enum mcx_err buf_add_file(struct mcx_buf *b, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t before = b->len, n;
	enum mcx_err err = MCX_OK;
	char chunk[8192];

	if (!f)
		return MCX_ENOENT;
	while (!err && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		err = buf_add(b, chunk, n);
	if (!err && ferror(f))
		err = MCX_EIO;
	if (f != stdin)
		fclose(f);
	if (err && b->p) {
		b->len = before;
		b->p[before] = '\0';
	}
	return err;
}
