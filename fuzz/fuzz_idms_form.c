/* libFuzzer driver for the IdMS form/query parser (src/idms/form.c).
 * Input: a form body or query string. An accepted form must keep its
 * bounds (parameter count and lengths), hold no duplicate names, and parse
 * again to the same pairs after re-encoding; its values are then pushed
 * through the scope, redirect-URI and client-id checks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "idms/idms_int.h"

static void append_enc(char *out, size_t *o, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == ' ') {
			out[(*o)++] = '+';
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			out[(*o)++] = (char)c;
		} else {
			snprintf(out + *o, 4, "%%%02X", c);
			*o += 3;
		}
	}
}

/* Re-encode f, parse it again: the same pairs must come back. */
static void roundtrip(const struct idms_form *f)
{
	struct idms_form g;
	size_t k, o = 0, cap = 0;
	char *text;
	enum mcx_err err;

	for (k = 0; k < f->n; k++)
		cap += 3 * (strlen(f->name[k]) + strlen(f->value[k])) + 2;
	text = malloc(cap + 1);
	if (!text)
		return;
	for (k = 0; k < f->n; k++) {
		if (k)
			text[o++] = '&';
		append_enc(text, &o, f->name[k]);
		text[o++] = '=';
		append_enc(text, &o, f->value[k]);
	}
	text[o] = '\0';
	err = form_parse(&g, text, o, NULL);
	if (err == MCX_ELIMIT) { /* re-encoding may grow past IDMS_FORM_MAX */
		free(text);
		return;
	}
	if (err || g.n != f->n)
		abort();
	for (k = 0; k < f->n; k++)
		if (strcmp(g.name[k], f->name[k]) || strcmp(g.value[k], f->value[k]))
			abort();
	form_free(&g);
	free(text);
}

static void check(const struct idms_form *f)
{
	unsigned mask, unknown;
	size_t k, j;

	if (f->n > IDMS_FORM_PARAMS)
		abort();
	for (k = 0; k < f->n; k++) {
		if (!f->name[k][0] || strlen(f->name[k]) > IDMS_FORM_VALUE_MAX ||
		    strlen(f->value[k]) > IDMS_FORM_VALUE_MAX)
			abort();
		for (j = 0; j < k; j++)
			if (!strcmp(f->name[j], f->name[k]))
				abort();
		if (form_get(f, f->name[k]) != (f->value[k][0] ? f->value[k] : NULL))
			abort();
		(void)scope_parse(f->value[k], &mask, &unknown);
		(void)redirect_uri_valid(f->value[k]);
		(void)client_id_valid(f->value[k]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idms_form f;
	const char *why = NULL;
	long live = mem_live();

	if (!form_parse(&f, (const char *)data, size, &why)) {
		check(&f);
		roundtrip(&f);
		form_free(&f);
	} else if (!why || !*why || f.buf || f.n) {
		abort();
	}
	if (mem_live() != live)
		abort();
	return 0;
}
