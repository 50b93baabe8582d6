/* Typed configuration tables (Redis static_configs[], nginx directives).
 * A component declares {name, type, offset, default, min, max, help} rows for
 * its own struct; the engine sets defaults, parses files ("key value" lines)
 * and command lines ("--key value" / "--key=value"), and dumps the result.
 * Names use '-'; '_' is accepted as a synonym on input. */
#ifndef MCX_CORE_CONF_H
#define MCX_CORE_CONF_H

#include <stddef.h>
#include <stdio.h>

#include "mcx/mcx.h"

enum conf_type {
	CONF_INT,    /* long long in [min, max] */
	CONF_SIZE,   /* size_t; accepts k/m/g suffixes (powers of 1024) */
	CONF_BOOL,   /* bool: yes/no/true/false/on/off/1/0 */
	CONF_STR,    /* char * owned by the struct (freed by conf_free) */
	CONF_LEVEL   /* log level name: error/warn/info/debug, stored as int */
};

struct conf_def {
	const char *name;
	enum conf_type type;
	size_t offset;
	const char *def;
	long long min, max;
	const char *help;
};

/* A component: its table and the struct the offsets point into. */
struct conf_part {
	const char *section;      /* heading in --dump-config and docs */
	const struct conf_def *defs;
	size_t ndefs;
	void *base;
};

MCX_WUR enum mcx_err conf_defaults(const struct conf_part *parts, size_t nparts);
/* Set one key from text. errbuf gets "key: reason" on failure. */
MCX_WUR enum mcx_err conf_set(const struct conf_part *parts, size_t nparts,
			      const char *key, const char *val,
			      char *errbuf, size_t errlen);
/* Parse a whole file's text; errbuf gets "file:line: reason". */
MCX_WUR enum mcx_err conf_parse(const struct conf_part *parts, size_t nparts,
				const char *fname, const char *text, size_t len,
				char *errbuf, size_t errlen);
MCX_WUR enum mcx_err conf_load_file(const struct conf_part *parts, size_t nparts,
				    const char *fname, char *errbuf, size_t errlen);
/* Does a row with this name exist? Returns its type via *type. */
int conf_lookup(const struct conf_part *parts, size_t nparts, const char *key,
		enum conf_type *type);
void conf_dump(const struct conf_part *parts, size_t nparts, FILE *f, int with_help);
void conf_free(const struct conf_part *parts, size_t nparts);

#define CONF_LINE_MAX 4096

#endif
