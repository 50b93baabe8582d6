/* Our UAS dialog state: one string block, matching, CSeq and routing. */
#include <string.h>
#include <strings.h>

#include "core/mem.h"
#include "sip/dialog.h"

static bool clean(const char *p, size_t l)
{
	size_t i;

	for (i = 0; i < l; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return false;
	return true;
}

enum mcx_err dlg_init(struct sip_dlg *d, const struct sip_bytes f[DLG_NFIELDS])
{
	size_t total = 0, o = 0, i;
	uint16_t off[DLG_NFIELDS];
	char *str;

	for (i = 0; i < DLG_NFIELDS; i++) {
		size_t l = f[i].p ? f[i].l : 0;

		if (l && !clean(f[i].p, l))
			return MCX_EINVAL;
		if (!l && i != DLG_LURI && i != DLG_RURI && i != DLG_ROUTE)
			return MCX_EINVAL;
		total += l + 1;
		if (total > SIP_DIALOG_MAX)
			return MCX_ELIMIT;
	}
	str = mcx_malloc(total);
	if (!str)
		return MCX_ENOMEM;
	for (i = 0; i < DLG_NFIELDS; i++) {
		size_t l = f[i].p ? f[i].l : 0;

		off[i] = (uint16_t)o;
		if (l)
			memcpy(str + o, f[i].p, l);
		str[o + l] = '\0';
		o += l + 1;
	}
	mcx_free(d->str);
	d->str = str;
	memcpy(d->off, off, sizeof(off));
	return MCX_OK;
}

enum mcx_err dlg_set(struct sip_dlg *d, enum sip_dlg_field i, const char *p, size_t l)
{
	struct sip_bytes f[DLG_NFIELDS];
	size_t k;

	for (k = 0; k < DLG_NFIELDS; k++) {
		f[k].p = dlg_get(d, k);
		f[k].l = strlen(f[k].p);
	}
	f[i].p = p;
	f[i].l = l;
	return dlg_init(d, f); /* copies before it frees the old block */
}

const char *dlg_get(const struct sip_dlg *d, enum sip_dlg_field i)
{
	return d->str ? d->str + d->off[i] : "";
}

size_t dlg_size(const struct sip_dlg *d)
{
	if (!d->str)
		return 0;
	return d->off[DLG_NFIELDS - 1] + strlen(d->str + d->off[DLG_NFIELDS - 1]) + 1;
}

void dlg_free(struct sip_dlg *d)
{
	mcx_free(d->str);
	memset(d, 0, sizeof(*d));
}

static bool eq(struct sip_bytes b, const char *s)
{
	return b.p && strlen(s) == b.l && !memcmp(b.p, s, b.l);
}

bool dlg_match(const struct sip_dlg *d, struct sip_bytes callid, struct sip_bytes to_tag,
	       struct sip_bytes from_tag)
{
	return d->str && eq(callid, dlg_get(d, DLG_CALLID)) && eq(to_tag, dlg_get(d, DLG_LTAG)) &&
	       eq(from_tag, dlg_get(d, DLG_RTAG));
}

bool dlg_rseq_take(struct sip_dlg *d, uint32_t cseq)
{
	if (cseq <= d->rseq)
		return false;
	d->rseq = cseq;
	return true;
}

/* Length of the first entry of a comma-separated list of name-addrs:
 * commas inside <...> or a quoted display name do not count. */
static size_t first_entry(const char *p, size_t l)
{
	bool quoted = false;
	int angle = 0;
	size_t i;

	for (i = 0; i < l; i++) {
		if (quoted) {
			if (p[i] == '\\' && i + 1 < l)
				i++;
			else if (p[i] == '"')
				quoted = false;
		} else if (p[i] == '"') {
			quoted = true;
		} else if (p[i] == '<') {
			angle++;
		} else if (p[i] == '>' && angle) {
			angle--;
		} else if (p[i] == ',' && !angle) {
			return i;
		}
	}
	return l;
}

static struct sip_bytes trim(const char *p, size_t l)
{
	struct sip_bytes b;

	while (l && (*p == ' ' || *p == '\t')) {
		p++;
		l--;
	}
	while (l && (p[l - 1] == ' ' || p[l - 1] == '\t'))
		l--;
	b.p = p;
	b.l = l;
	return b;
}

struct sip_bytes dlg_addr_uri(struct sip_bytes v)
{
	const char *lt = v.p ? memchr(v.p, '<', v.l) : NULL, *gt;
	size_t semi;

	if (lt) {
		gt = memchr(lt, '>', v.l - (size_t)(lt - v.p));
		if (gt)
			return trim(lt + 1, (size_t)(gt - lt - 1));
		return trim(lt + 1, v.l - (size_t)(lt - v.p) - 1);
	}
	for (semi = 0; semi < v.l && v.p[semi] != ';'; semi++)
		;
	return trim(v.p, semi);
}

/* Does the URI carry the lr parameter (among its ;params, before any ?headers)? */
static bool has_lr(struct sip_bytes uri)
{
	size_t i, end = uri.l;

	for (i = 0; i < uri.l; i++)
		if (uri.p[i] == '?') {
			end = i;
			break;
		}
	for (i = 0; i + 3 <= end; i++) {
		if (uri.p[i] != ';' || strncasecmp(uri.p + i + 1, "lr", 2))
			continue;
		if (i + 3 == end || uri.p[i + 3] == ';' || uri.p[i + 3] == '=')
			return true;
	}
	return false;
}

void dlg_target(const struct sip_dlg *d, struct dlg_target *t)
{
	const char *route = dlg_get(d, DLG_ROUTE), *target = dlg_get(d, DLG_TARGET);
	size_t rl = strlen(route), n = first_entry(route, rl);
	struct sip_bytes first = trim(route, n), uri = dlg_addr_uri(first);

	memset(t, 0, sizeof(*t));
	t->ruri.p = target;
	t->ruri.l = strlen(target);
	t->hop = t->ruri;
	t->route.p = route;
	t->route.l = rl;
	if (!rl)
		return;
	t->hop = uri;
	if (has_lr(uri))
		return;
	/* a strict router: it wants the Request-URI to be itself */
	t->ruri = uri;
	t->route = n < rl ? trim(route + n + 1, rl - n - 1) : trim(route, 0);
	t->tail.p = target;
	t->tail.l = strlen(target);
}
