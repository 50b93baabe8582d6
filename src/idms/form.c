/* The bounded application/x-www-form-urlencoded (and query string) parser of the IdMS. */
#include <string.h>

#include "core/mem.h"
#include "idms/idms_int.h"
#include "core/banned.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Is p[0..n) well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF)? */
static bool utf8_ok(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i], need, min, cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1, min = 0x80, cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2, min = 0x800, cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3, min = 0x10000, cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i <= need)
			return false;
		for (unsigned k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

/* Decode p[0..n) into out (at least n + 1 bytes); returns the length or -1. */
static long decode(const char *p, size_t n, char *out, const char **why)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '+') {
			out[o++] = ' ';
		} else if (p[i] == '%') {
			int hi = n - i < 3 ? -1 : hexval(p[i + 1]);
			int lo = n - i < 3 ? -1 : hexval(p[i + 2]);

			if (hi < 0 || lo < 0) {
				*why = "bad percent-encoding";
				return -1;
			}
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = p[i];
		}
		if (o && out[o - 1] == '\0') {
			*why = "NUL character in a parameter";
			return -1;
		}
	}
	out[o] = '\0';
	if (!utf8_ok((const unsigned char *)out, o)) {
		*why = "parameter is not UTF-8";
		return -1;
	}
	return (long)o;
}

static bool is_dup(const struct idms_form *f, const char *name)
{
	size_t k;

	for (k = 0; k < f->n; k++)
		if (!strcmp(f->name[k], name))
			return true;
	return false;
}

/* Decode one "name=value" pair p[0..n) into f, writing at *o in f->buf. */
static enum mcx_err pair_add(struct idms_form *f, const char *p, size_t n, size_t *o,
			     const char **why)
{
	const char *eq = memchr(p, '=', n);
	size_t nl = eq ? (size_t)(eq - p) : n;
	size_t vl = eq ? n - nl - 1 : 0;
	char *name = f->buf + *o, *val;
	long dn, dv;

	if (!nl) {
		*why = "parameter without a name";
		return MCX_EINVAL;
	}
	if (f->n == IDMS_FORM_PARAMS) {
		*why = "too many parameters";
		return MCX_ELIMIT;
	}
	dn = decode(p, nl, name, why);
	if (dn < 0)
		return MCX_EINVAL;
	val = name + dn + 1;
	dv = decode(eq ? eq + 1 : "", vl, val, why);
	if (dv < 0)
		return MCX_EINVAL;
	if (dn > IDMS_FORM_VALUE_MAX || dv > IDMS_FORM_VALUE_MAX) {
		*why = "parameter too long";
		return MCX_ELIMIT;
	}
	if (is_dup(f, name)) {
		*why = "parameter given more than once";
		return MCX_EINVAL;
	}
	f->name[f->n] = name;
	f->value[f->n] = val;
	f->n++;
	*o += (size_t)dn + 1 + (size_t)dv + 1;
	return MCX_OK;
}

static enum mcx_err pairs_add(struct idms_form *f, const char *p, size_t len, const char **why)
{
	size_t i = 0, o = 0;
	enum mcx_err err = MCX_OK;

	while (!err && i < len) {
		const char *amp = memchr(p + i, '&', len - i);
		size_t n = amp ? (size_t)(amp - (p + i)) : len - i;

		if (n)
			err = pair_add(f, p + i, n, &o, why);
		i += n + 1;
	}
	return err;
}

enum mcx_err form_parse(struct idms_form *f, const char *p, size_t len, const char **why)
{
	enum mcx_err err;
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = "";
	memset(f, 0, sizeof(*f));
	if (len > IDMS_FORM_MAX) {
		*why = "form too large";
		return MCX_ELIMIT;
	}
	if (!p)
		len = 0;
	/* each pair decodes to at most its own length + 2 NULs ("a" -> "a\0\0") */
	f->buf = mcx_malloc(2 * len + 2);
	if (!f->buf) {
		*why = "out of memory";
		return MCX_ENOMEM;
	}
	err = pairs_add(f, p, len, why);
	if (err)
		form_free(f);
	return err;
}

const char *form_get(const struct idms_form *f, const char *name)
{
	size_t k;

	for (k = 0; k < f->n; k++)
		if (!strcmp(f->name[k], name))
			return f->value[k][0] ? f->value[k] : NULL;
	return NULL;
}

void form_free(struct idms_form *f)
{
	mcx_free(f->buf);
	memset(f, 0, sizeof(*f));
}
