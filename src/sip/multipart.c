/* MIME multipart splitting (RFC 2046 §5.1) over pointer-length views. */
#include <string.h>
#include <strings.h>

#include "sip/multipart.h"
#include "sip/limits.h"

bool mime_type_is(struct pl ctype, const char *type)
{
	size_t n = strlen(type);
	struct pl t = pl_trim(ctype);

	if (t.l < n || strncasecmp(t.p, type, n))
		return false;
	t.p += n;
	t.l -= n;
	t = pl_trim(t);
	return !t.l || t.p[0] == ';';
}

/* The next ';'-separated parameter of a header value, from *rest. */
static bool next_param(struct pl *rest, struct pl *name, struct pl *val)
{
	const char *p = rest->p, *e = rest->p + rest->l, *eq, *end;
	bool quoted = false;

	while (p < e && *p != ';')
		p++;
	if (p == e)
		return false;
	p++;
	for (end = p; end < e && (quoted || *end != ';'); end++)
		if (*end == '"')
			quoted = !quoted;
	rest->p = end;
	rest->l = (size_t)(e - end);
	eq = memchr(p, '=', (size_t)(end - p));
	*name = pl_trim(pl_make(p, eq ? (size_t)(eq - p) : (size_t)(end - p)));
	*val = eq ? pl_trim(pl_make(eq + 1, (size_t)(end - eq - 1))) : pl_make(end, 0);
	return true;
}

bool mp_boundary(struct pl ctype, struct pl *boundary)
{
	struct pl rest = ctype, name, val;

	while (next_param(&rest, &name, &val)) {
		if (!pl_eqcase(name, PL("boundary")))
			continue;
		if (val.l >= 2 && val.p[0] == '"' && val.p[val.l - 1] == '"') {
			val.p++;
			val.l -= 2;
		}
		if (!val.l || val.l > SIP_MULTIPART_BOUNDARY || memchr(val.p, '"', val.l))
			return false;
		*boundary = val;
		return true;
	}
	return false;
}

/* Offset of the next delimiter line "--boundary" that starts a line at or
 * after from; -1 when none. *after gets the offset just past "--boundary". */
static long find_delim(struct pl body, struct pl bnd, size_t from, size_t *after)
{
	size_t i = from;

	while (i + 2 + bnd.l <= body.l) {
		const char *hit = memmem(body.p + i, body.l - i, "--", 2);
		size_t at;

		if (!hit)
			return -1;
		at = (size_t)(hit - body.p);
		if (at + 2 + bnd.l <= body.l && (at == 0 || body.p[at - 1] == '\n') &&
		    !memcmp(body.p + at + 2, bnd.p, bnd.l)) {
			*after = at + 2 + bnd.l;
			return (long)at;
		}
		i = at + 1;
	}
	return -1;
}

/* After "--boundary": transport padding then a line end. Returns the offset
 * of the next line, or 0 when the delimiter line has other text. */
static size_t delim_line_end(struct pl body, size_t i)
{
	while (i < body.l && (body.p[i] == ' ' || body.p[i] == '\t'))
		i++;
	if (i + 1 < body.l && body.p[i] == '\r' && body.p[i + 1] == '\n')
		return i + 2;
	if (i < body.l && body.p[i] == '\n')
		return i + 1;
	return 0;
}

/* The Content-Type of a part's header section (folded lines joined by view). */
static struct pl header_ctype(struct pl hdrs)
{
	const char *p = hdrs.p, *e = hdrs.p + hdrs.l;

	while (p < e) {
		const char *eol = memchr(p, '\n', (size_t)(e - p));
		const char *end = eol ? eol : e;

		while (end < e && end + 1 < e && (end[1] == ' ' || end[1] == '\t')) {
			const char *n = memchr(end + 1, '\n', (size_t)(e - end - 1));

			end = n ? n : e;
		}
		if ((size_t)(end - p) > 13 && !strncasecmp(p, "Content-Type:", 13))
			return pl_trim(pl_make(p + 13, (size_t)(end - p - 13)));
		p = end < e ? end + 1 : e;
	}
	return pl_make(hdrs.p, 0);
}

/* One part's bytes: header lines, an empty line, the content. Without the
 * empty line the part is all headers and has no content. */
static void part_parse(struct pl raw, struct mp_part *part)
{
	const char *p = raw.p, *e = raw.p + raw.l;

	while (p < e) {
		const char *eol = memchr(p, '\n', (size_t)(e - p));
		size_t ll;

		if (!eol)
			break;
		ll = (size_t)(eol - p);
		if (ll == 0 || (ll == 1 && p[0] == '\r')) {
			part->ctype = header_ctype(pl_make(raw.p, (size_t)(p - raw.p)));
			part->body = pl_make(eol + 1, (size_t)(e - eol - 1));
			return;
		}
		p = eol + 1;
	}
	part->ctype = header_ctype(raw);
	part->body = pl_make(e, 0);
}

enum mcx_err mp_split(struct pl body, struct pl bnd, struct mp_part *parts, size_t max, size_t *n)
{
	size_t after, start, from;
	long at;

	*n = 0;
	from = 0;
	for (;;) {
		at = find_delim(body, bnd, from, &after);
		if (at < 0)
			return MCX_EINVAL;
		if (after + 2 <= body.l && body.p[after] == '-' && body.p[after + 1] == '-')
			return *n ? MCX_OK : MCX_EINVAL;
		start = delim_line_end(body, after);
		if (start)
			break;
		from = after;
	}
	for (;;) {
		size_t end;

		from = start;
		do {
			at = find_delim(body, bnd, from, &after);
			if (at < 0)
				return MCX_EINVAL;
			from = after;
		} while (
		    !(after + 2 <= body.l && body.p[after] == '-' && body.p[after + 1] == '-') &&
		    !delim_line_end(body, after));
		if (*n == max)
			return MCX_ELIMIT;
		/* the line end before the delimiter belongs to it */
		end = (size_t)at;
		if (end > start && body.p[end - 1] == '\n')
			end--;
		if (end > start && body.p[end - 1] == '\r')
			end--;
		part_parse(pl_make(body.p + start, end > start ? end - start : 0), &parts[(*n)++]);
		if (after + 2 <= body.l && body.p[after] == '-' && body.p[after + 1] == '-')
			return MCX_OK;
		start = delim_line_end(body, after);
	}
}
