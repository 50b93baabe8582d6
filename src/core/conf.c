/* Typed configuration tables: defaults, file and command-line parsing, dump. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/conf.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/buf.h"

static bool name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a == '_' ? '-' : *a, y = *b == '_' ? '-' : *b;

		if (tolower((unsigned char)x) != tolower((unsigned char)y))
			return false;
	}
	return *a == *b;
}

static const struct conf_def *find(const struct conf_part *parts, size_t nparts,
				   const char *key, void **base)
{
	size_t i, j;

	for (i = 0; i < nparts; i++) {
		for (j = 0; j < parts[i].ndefs; j++) {
			if (name_eq(parts[i].defs[j].name, key)) {
				*base = parts[i].base;
				return &parts[i].defs[j];
			}
		}
	}
	return NULL;
}

int conf_lookup(const struct conf_part *parts, size_t nparts, const char *key,
		enum conf_type *type)
{
	void *base;
	const struct conf_def *d = find(parts, nparts, key, &base);

	if (!d)
		return 0;
	if (type)
		*type = d->type;
	return 1;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static enum mcx_err set_one(const struct conf_def *d, void *base, const char *val,
			    char *errbuf, size_t errlen)
{
	char *slot = (char *)base + d->offset;
	char *end;
	long long v;

	switch (d->type) {
	case CONF_INT:
	case CONF_SIZE:
		errno = 0;
		v = strtoll(val, &end, 10);
		if (end == val || errno) {
			snprintf(errbuf, errlen, "%s: '%s' is not a number", d->name, val);
			return MCX_EINVAL;
		}
		if (d->type == CONF_SIZE && *end) {
			long long m = 1;

			switch (tolower((unsigned char)*end)) {
			case 'k': m = 1024; break;
			case 'm': m = 1024 * 1024; break;
			case 'g': m = 1024LL * 1024 * 1024; break;
			default: m = 0;
			}
			if (!m || (end[1] && strcasecmp(end + 1, "b") && strcasecmp(end + 1, "ib"))) {
				snprintf(errbuf, errlen, "%s: bad size suffix in '%s'", d->name, val);
				return MCX_EINVAL;
			}
			if (v > d->max / m) {
				snprintf(errbuf, errlen, "%s: %s is above the maximum %lld",
					 d->name, val, d->max);
				return MCX_EINVAL;
			}
			v *= m;
		} else if (*end) {
			snprintf(errbuf, errlen, "%s: '%s' is not a number", d->name, val);
			return MCX_EINVAL;
		}
		if (v < d->min || v > d->max) {
			snprintf(errbuf, errlen, "%s: %lld is out of range [%lld, %lld]",
				 d->name, v, d->min, d->max);
			return MCX_EINVAL;
		}
		if (d->type == CONF_INT)
			*(long long *)(void *)slot = v;
		else
			*(size_t *)(void *)slot = (size_t)v;
		return MCX_OK;
	case CONF_BOOL:
		if (parse_bool(val, (bool *)(void *)slot)) {
			snprintf(errbuf, errlen, "%s: '%s' is not yes or no", d->name, val);
			return MCX_EINVAL;
		}
		return MCX_OK;
	case CONF_LEVEL: {
		enum mcx_log_level lvl;

		if (mcx_log_level_parse(val, &lvl)) {
			snprintf(errbuf, errlen, "%s: '%s' is not one of error, warn, info, debug",
				 d->name, val);
			return MCX_EINVAL;
		}
		*(int *)(void *)slot = (int)lvl;
		return MCX_OK;
	}
	case CONF_STR: {
		char **sp = (char **)(void *)slot;
		char *n = mcx_strdup(val);

		if (!n) {
			snprintf(errbuf, errlen, "%s: out of memory", d->name);
			return MCX_ENOMEM;
		}
		mcx_free(*sp);
		*sp = n;
		return MCX_OK;
	}
	}
	return MCX_EINTERNAL;
}

enum mcx_err conf_defaults(const struct conf_part *parts, size_t nparts)
{
	char eb[256];
	size_t i, j;
	enum mcx_err err;

	for (i = 0; i < nparts; i++) {
		for (j = 0; j < parts[i].ndefs; j++) {
			const struct conf_def *d = &parts[i].defs[j];

			if (d->type == CONF_STR && !d->def) {
				*(char **)(void *)((char *)parts[i].base + d->offset) = NULL;
				continue;
			}
			err = set_one(d, parts[i].base, d->def, eb, sizeof(eb));
			if (err)
				return err;
		}
	}
	return MCX_OK;
}

enum mcx_err conf_set(const struct conf_part *parts, size_t nparts,
		      const char *key, const char *val, char *errbuf, size_t errlen)
{
	void *base;
	const struct conf_def *d = find(parts, nparts, key, &base);

	if (!d) {
		snprintf(errbuf, errlen, "%s: unknown configuration key", key);
		return MCX_ENOENT;
	}
	return set_one(d, base, val, errbuf, errlen);
}

enum mcx_err conf_parse(const struct conf_part *parts, size_t nparts,
			const char *fname, const char *text, size_t len,
			char *errbuf, size_t errlen)
{
	size_t pos = 0;
	unsigned line = 0;

	while (pos < len) {
		char key[128], val[CONF_LINE_MAX], msg[512];
		const char *l = text + pos, *nl = memchr(l, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - l) : len - pos;
		size_t i = 0, k = 0, v = 0;
		bool quoted;
		enum mcx_err err;

		pos += ll + (nl ? 1 : 0);
		line++;
		if (ll >= CONF_LINE_MAX) {
			snprintf(errbuf, errlen, "%s:%u: line longer than %d bytes",
				 fname, line, CONF_LINE_MAX);
			return MCX_ELIMIT;
		}
		while (i < ll && isspace((unsigned char)l[i]))
			i++;
		if (i == ll || l[i] == '#')
			continue;
		while (i < ll && !isspace((unsigned char)l[i]) && l[i] != '=') {
			if (k + 1 >= sizeof(key)) {
				snprintf(errbuf, errlen, "%s:%u: key too long", fname, line);
				return MCX_ELIMIT;
			}
			key[k++] = l[i++];
		}
		key[k] = '\0';
		while (i < ll && (isspace((unsigned char)l[i]) || l[i] == '='))
			i++;
		quoted = i < ll && l[i] == '"';
		if (quoted) {
			i++;
			while (i < ll && l[i] != '"')
				val[v++] = l[i++];
			if (i == ll) {
				snprintf(errbuf, errlen, "%s:%u: unterminated quote", fname, line);
				return MCX_EINVAL;
			}
		} else {
			while (i < ll && l[i] != '#')
				val[v++] = l[i++];
			while (v && isspace((unsigned char)val[v - 1]))
				v--;
		}
		val[v] = '\0';
		if (!v && !quoted) {   /* "" is an empty string, nothing at all is a mistake */
			snprintf(errbuf, errlen, "%s:%u: %s: missing value", fname, line, key);
			return MCX_EINVAL;
		}
		err = conf_set(parts, nparts, key, val, msg, sizeof(msg));
		if (err) {
			snprintf(errbuf, errlen, "%s:%u: %s", fname, line, msg);
			return err;
		}
	}
	return MCX_OK;
}

enum mcx_err conf_load_file(const struct conf_part *parts, size_t nparts,
			    const char *fname, char *errbuf, size_t errlen)
{
	struct mcx_buf b;
	char chunk[4096];
	size_t n;
	enum mcx_err err = MCX_OK;
	FILE *f = fopen(fname, "r");

	if (!f) {
		snprintf(errbuf, errlen, "%s: %s", fname, strerror(errno));
		return MCX_EIO;
	}
	buf_init(&b, 1024 * 1024);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		err = buf_add(&b, chunk, n);
		if (err) {
			snprintf(errbuf, errlen, "%s: larger than 1 MiB", fname);
			break;
		}
	}
	fclose(f);
	if (!err)
		err = conf_parse(parts, nparts, fname, b.p ? b.p : "", b.len, errbuf, errlen);
	buf_reset(&b);
	return err;
}

void conf_dump(const struct conf_part *parts, size_t nparts, FILE *f, int with_help)
{
	static const char *const lvl[] = { "error", "warn", "info", "debug" };
	size_t i, j;

	for (i = 0; i < nparts; i++) {
		fprintf(f, "# --- %s ---\n", parts[i].section);
		for (j = 0; j < parts[i].ndefs; j++) {
			const struct conf_def *d = &parts[i].defs[j];
			const char *slot = (const char *)parts[i].base + d->offset;

			if (with_help)
				fprintf(f, "# %s (default: %s)\n", d->help, d->def ? d->def : "unset");
			switch (d->type) {
			case CONF_INT:
				fprintf(f, "%s %lld\n", d->name, *(const long long *)(const void *)slot);
				break;
			case CONF_SIZE:
				fprintf(f, "%s %zu\n", d->name, *(const size_t *)(const void *)slot);
				break;
			case CONF_BOOL:
				fprintf(f, "%s %s\n", d->name, *(const bool *)(const void *)slot ? "yes" : "no");
				break;
			case CONF_LEVEL:
				fprintf(f, "%s %s\n", d->name, lvl[*(const int *)(const void *)slot & 3]);
				break;
			case CONF_STR: {
				const char *s = *(char *const *)(const void *)slot;

				if (s)
					fprintf(f, "%s \"%s\"\n", d->name, s);
				else
					fprintf(f, "# %s (unset)\n", d->name);
				break;
			}
			}
		}
		fprintf(f, "\n");
	}
}

void conf_free(const struct conf_part *parts, size_t nparts)
{
	size_t i, j;

	for (i = 0; i < nparts; i++) {
		for (j = 0; j < parts[i].ndefs; j++) {
			const struct conf_def *d = &parts[i].defs[j];

			if (d->type == CONF_STR) {
				char **sp = (char **)(void *)((char *)parts[i].base + d->offset);

				mcx_free(*sp);
				*sp = NULL;
			}
		}
	}
}
