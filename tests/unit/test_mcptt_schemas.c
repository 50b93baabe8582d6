/* Unit tests: the MCPTT configuration schemas (schemas/mcptt-ue-init-config.xsd,
 * mcptt-ue-config.xsd, mcptt-user-profile.xsd with common-policy.xsd,
 * mcptt-service-config.xsd) against the documents in tests/data/mcptt/.
 *  - valid/<doc>-<n>.xml must validate; invalid/<doc>-<reason>.xml must be
 *    rejected. An invalid document opens with
 *      <!-- expect: "LIBXML2 SUBSTRING" why ... [oracle-accepts: why] -->
 *    and the quoted text must occur in one libxml2 message (an unquoted
 *    expect is a reason for humans only).
 *  - Schemas load from the source tree (tests run from the repository root)
 *    or from the copies embedded in the library, through an entity loader
 *    that maps a schemaLocation basename to schemas/<basename> and refuses
 *    anything else, never the network.
 *  - When ../shared/spec is present, the third-party Rel-13 schemas are an
 *    oracle: every valid document validates there too, every invalid one is
 *    rejected there too unless its comment says oracle-accepts (then the
 *    oracle must accept it, so the note stays true), both declare the same
 *    element and attribute names, and the MCOP example documents fail for
 *    exactly their known reasons. Without the folder these tests skip. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "test.h"
#include "xmlerrs.h"
#include "xcap/usage.h"
#include "core/banned.h"

#define VALID_DIR "tests/data/mcptt/valid"
#define INVALID_DIR "tests/data/mcptt/invalid"
#define NS_XSD "http://www.w3.org/2001/XMLSchema"
#define NS_UIC "urn:3gpp:mcptt:mcpttUEinitConfig:1.0"
#define NS_UP "urn:3gpp:mcptt:user-profile:1.0"

#define MAX_DOCS 64 /* per document kind and folder */
#define NAME_LEN 128
#define MAX_NAMES 512 /* declared names per schema */
#define MAX_SEEN 8    /* basenames the loader served per compile */

/* One configuration document kind: its files, our schema, the oracle. */
struct kind {
	const char *prefix; /* tests/data/mcptt/{valid,invalid}/<prefix>*.xml */
	const char *ours;   /* schemas/<ours> */
	const char *oracle; /* <spec>/24384/rel13/<oracle> */
	const char *ns;
	const char *root;
};

static const struct kind kinds[] = {
    {"ue-init-config-", "mcptt-ue-init-config.xsd", "ue-init-config.xsd", NS_UIC,
     "mcptt-UE-initial-configuration"},
    {"ue-config-", "mcptt-ue-config.xsd", "ue-config.xsd", "urn:3gpp:mcptt:mcpttUEConfig:1.0",
     "mcptt-UE-configuration"},
    {"user-profile-", "mcptt-user-profile.xsd", "mcptt-user-profile.xsd", NS_UP,
     "mcptt-user-profile"},
    {"service-config-", "mcptt-service-config.xsd", "Servconf.xsd",
     "urn:3gpp:ns:mcpttServiceConfig:1.0", "service-configuration-info"},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* ---- schema loading ---- */

/* Where the entity loader looks: the source tree, the library, the spec. */
enum origin { FROM_TREE, FROM_LIBRARY, FROM_SPEC };

static struct {
	enum origin from;
	const char *spec;	       /* FROM_SPEC: the ../shared/spec folder */
	char seen[MAX_SEEN][NAME_LEN]; /* basenames served, in order */
	int nseen;
	char refused[NAME_LEN]; /* last URL refused, "" = none */
} ld;

static const char *basename_of(const char *url)
{
	const char *b = strrchr(url, '/');

	return b ? b + 1 : url;
}

static void note_seen(const char *base)
{
	if (ld.nseen < MAX_SEEN)
		snprintf(ld.seen[ld.nseen++], NAME_LEN, "%s", base);
}

/* Basename mapping only: never the network, never another folder. The Rel-13
 * user profile imports common-policy from its IANA URL; in the spec folder
 * that file is ietf/common-policy.xsd. */
static xmlParserInputPtr load_schema(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	char path[600];
	const char *base;

	(void)id;
	if (!url)
		return NULL;
	base = basename_of(url);
	if (!base[0] || strchr(base, ':'))
		goto refuse;
	switch (ld.from) {
	case FROM_LIBRARY: {
		const char *p = xcap_embedded(base, NULL);

		if (!p)
			goto refuse;
		note_seen(base);
		return xmlNewStringInputStream(ctxt, (const xmlChar *)p);
	}
	case FROM_TREE:
		snprintf(path, sizeof(path), "schemas/%s", base);
		break;
	case FROM_SPEC:
		snprintf(path, sizeof(path), "%s/%s/%s", ld.spec,
			 strcmp(base, "common-policy.xsd") ? "24384/rel13" : "ietf", base);
		break;
	}
	if (access(path, R_OK) != 0)
		goto refuse;
	note_seen(base);
	return xmlNewInputFromFile(ctxt, path);
refuse:
	snprintf(ld.refused, sizeof(ld.refused), "%s", url);
	return NULL;
}

/* Compile schema `name` (a basename) from `from`. NULL with the reason in er.
 * Restores the entity loader and error handlers it found. */
static xmlSchemaPtr compile(enum origin from, const char *name, struct test_xml_errs *er)
{
	xmlExternalEntityLoader old = xmlGetExternalEntityLoader();
	struct test_xml_errs quiet = {.n = 0};
	xmlSchemaParserCtxtPtr pc = NULL;
	xmlSchemaPtr sc = NULL;
	char path[600];

	ld.from = from;
	ld.nseen = 0;
	ld.refused[0] = '\0';
	xmlSetExternalEntityLoader(load_schema);
	/* The rel13 xml.xsd binds the xml namespace as default: a namespace
	 * warning from the XML parser, which libxml2 tolerates. Keep it quiet. */
	xmlSetStructuredErrorFunc(&quiet, test_xml_collect);
	if (from == FROM_LIBRARY) {
		size_t len = 0;
		const char *p = xcap_embedded(name, &len);

		if (p)
			pc = xmlSchemaNewMemParserCtxt(p, (int)len);
	} else {
		if (from == FROM_TREE)
			snprintf(path, sizeof(path), "schemas/%s", name);
		else
			snprintf(path, sizeof(path), "%s/24384/rel13/%s", ld.spec, name);
		pc = xmlSchemaNewParserCtxt(path);
	}
	if (pc) {
		xmlSchemaSetParserStructuredErrors(pc, test_xml_collect, er);
		sc = xmlSchemaParse(pc);
		xmlSchemaFreeParserCtxt(pc);
	}
	xmlSetStructuredErrorFunc(NULL, NULL);
	xmlSetExternalEntityLoader(old);
	if (!sc && !er->text[0])
		snprintf(er->text, sizeof(er->text), "%s does not compile (refused: %s)", name,
			 ld.refused[0] ? ld.refused : "none");
	return sc;
}

/* Parse from memory (no loader involved); NULL with the parser's message in er. */
static xmlDocPtr parse_text(const char *text, size_t len, const char *url, struct test_xml_errs *er)
{
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	xmlDocPtr d;

	if (!ctxt)
		return NULL;
	d = xmlCtxtReadMemory(ctxt, text, (int)len, url, NULL,
			      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (d && (!ctxt->wellFormed || !ctxt->nsWellFormed)) {
		xmlFreeDoc(d);
		d = NULL;
	}
	if (!d) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);

		er->n++;
		snprintf(er->text, sizeof(er->text), "%s",
			 e && e->message ? e->message : "not well-formed");
	}
	xmlFreeParserCtxt(ctxt);
	return d;
}

static bool validate(xmlSchemaPtr sc, xmlDocPtr d, struct test_xml_errs *er)
{
	xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(sc);
	int rc;

	if (!vc)
		return false;
	xmlSchemaSetValidStructuredErrors(vc, test_xml_collect, er);
	rc = xmlSchemaValidateDoc(vc, d);
	xmlSchemaFreeValidCtxt(vc);
	return rc == 0;
}

/* Parse and validate text; false with the messages in er. */
static bool text_valid(xmlSchemaPtr sc, const char *text, const char *url, struct test_xml_errs *er)
{
	xmlDocPtr d = parse_text(text, strlen(text), url, er);
	bool ok;

	if (!d)
		return false;
	ok = validate(sc, d, er);
	xmlFreeDoc(d);
	return ok;
}

/* ---- data files ---- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Sorted names of dir/<prefix>*.xml; -1 if dir cannot be read. Prefixes do
 * not overlap: "ue-config-" is no prefix of "ue-init-config-". */
static int list_docs(const char *dir, const char *prefix, char names[][NAME_LEN], int max)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	size_t pl = strlen(prefix);
	int n = 0;

	if (!dp)
		return -1;
	while ((de = readdir(dp)) != NULL && n < max) {
		size_t len = strlen(de->d_name);

		if (len <= pl + 4 || len >= NAME_LEN || strncmp(de->d_name, prefix, pl) ||
		    strcmp(de->d_name + len - 4, ".xml"))
			continue;
		memcpy(names[n++], de->d_name, len + 1); /* len < NAME_LEN */
	}
	closedir(dp);
	qsort(names, (size_t)n, NAME_LEN, cmp_names);
	return n;
}

/* What an invalid document's first-line comment says. */
struct expect {
	char quoted[1024];   /* libxml2 substring, "" when the reason is prose */
	bool oracle_accepts; /* the third-party schema is more lenient here */
};

static bool read_expect(const char *text, struct expect *x)
{
	static const char head[] = "<!-- expect:";
	const char *end = strstr(text, "-->"), *p, *q;

	memset(x, 0, sizeof(*x));
	if (strncmp(text, head, sizeof(head) - 1) || !end)
		return false;
	p = text + sizeof(head) - 1;
	while (*p == ' ')
		p++;
	if (p >= end)
		return false;
	if (*p == '"') {
		q = memchr(p + 1, '"', (size_t)(end - p - 1));
		if (!q || q == p + 1 || (size_t)(q - p) >= sizeof(x->quoted))
			return false;
		snprintf(x->quoted, sizeof(x->quoted), "%.*s", (int)(q - p - 1), p + 1);
	}
	x->oracle_accepts = memmem(text, (size_t)(end - text), "oracle-accepts:", 15) != NULL;
	return true;
}

/* ---- per-kind drivers ---- */

/* Every valid document of kind k: right root, validates against sc. */
static bool check_valid_docs(struct test_ctx *t, const struct kind *k, xmlSchemaPtr sc,
			     const char *who, int *count)
{
	char names[MAX_DOCS][NAME_LEN];
	int n = list_docs(VALID_DIR, k->prefix, names, MAX_DOCS), i;

	*count = n;
	for (i = 0; i < n; i++) {
		char path[300];
		char *text;
		struct test_xml_errs er = {.n = 0};
		xmlDocPtr d;
		xmlNodePtr root;
		bool ok;

		snprintf(path, sizeof(path), "%s/%.*s", VALID_DIR, NAME_LEN, names[i]);
		text = test_read_file(path, NULL);
		d = text ? parse_text(text, strlen(text), path, &er) : NULL;
		free(text);
		if (!d) {
			test_fail(t, __FILE__, __LINE__, "%s: %s", path, er.text);
			return false;
		}
		root = xmlDocGetRootElement(d);
		ok = root && root->ns && !strcmp((const char *)root->name, k->root) &&
		     !strcmp((const char *)root->ns->href, k->ns);
		if (!ok) {
			xmlFreeDoc(d);
			test_fail(t, __FILE__, __LINE__, "%s: root is not {%s}%s", path, k->ns,
				  k->root);
			return false;
		}
		ok = validate(sc, d, &er);
		xmlFreeDoc(d);
		if (!ok) {
			test_fail(t, __FILE__, __LINE__, "%s against %s: %s", path, who, er.text);
			return false;
		}
	}
	return true;
}

/* Every invalid document of kind k. Ours (oracle false): rejected, with the
 * quoted substring. The oracle: rejected, or accepted exactly when the
 * comment says oracle-accepts. */
static bool check_invalid_docs(struct test_ctx *t, const struct kind *k, xmlSchemaPtr sc,
			       bool oracle, int *count)
{
	char names[MAX_DOCS][NAME_LEN];
	int n = list_docs(INVALID_DIR, k->prefix, names, MAX_DOCS), i;

	*count = n;
	for (i = 0; i < n; i++) {
		char path[300];
		char *text;
		struct expect x;
		struct test_xml_errs er = {.n = 0};
		bool ok;

		snprintf(path, sizeof(path), "%s/%.*s", INVALID_DIR, NAME_LEN, names[i]);
		text = test_read_file(path, NULL);
		if (!text || !read_expect(text, &x)) {
			free(text);
			test_fail(t, __FILE__, __LINE__, "%s: no <!-- expect: ... --> on line 1",
				  path);
			return false;
		}
		ok = text_valid(sc, text, path, &er);
		free(text);
		if (oracle && x.oracle_accepts) {
			if (!ok) {
				test_fail(t, __FILE__, __LINE__,
					  "%s says oracle-accepts, but the oracle rejects it: %s",
					  path, er.text);
				return false;
			}
			continue;
		}
		if (ok) {
			test_fail(t, __FILE__, __LINE__, "%s is accepted by %s", path,
				  oracle ? "the oracle" : "our schema");
			return false;
		}
		if (!oracle && x.quoted[0] && !strstr(er.text, x.quoted)) {
			test_fail(t, __FILE__, __LINE__, "%s: expected \"%s\" in: %s", path,
				  x.quoted, er.text);
			return false;
		}
	}
	return true;
}

/* ---- our schemas ---- */

/* From the source tree: each compiles, pulling in only xml.xsd (and, for the
 * user profile, common-policy.xsd) by basename. */
static void mcptt_schemas_compile(struct test_ctx *t)
{
	size_t i;
	int s;

	for (i = 0; i < NKINDS + 1; i++) {
		const char *name = i < NKINDS ? kinds[i].ours : "common-policy.xsd";
		struct test_xml_errs er = {.n = 0};
		xmlSchemaPtr sc = compile(FROM_TREE, name, &er);
		bool has_xml = false, has_cp = false;

		if (!sc) {
			test_fail(t, __FILE__, __LINE__, "%s: %s", name, er.text);
			return;
		}
		xmlSchemaFree(sc);
		if (ld.refused[0]) {
			test_fail(t, __FILE__, __LINE__, "%s: loader refused %s", name, ld.refused);
			return;
		}
		for (s = 1; s < ld.nseen; s++) {
			has_xml |= !strcmp(ld.seen[s], "xml.xsd");
			has_cp |= !strcmp(ld.seen[s], "common-policy.xsd");
			if (strcmp(ld.seen[s], "xml.xsd") &&
			    strcmp(ld.seen[s], "common-policy.xsd")) {
				test_fail(t, __FILE__, __LINE__, "%s loaded %s", name, ld.seen[s]);
				return;
			}
		}
		/* Service config and common policy use no xml: attributes. */
		CHECK_INT(t, has_xml, i < NKINDS && strcmp(name, "mcptt-service-config.xsd") != 0);
		CHECK_INT(t, has_cp, !strcmp(name, "mcptt-user-profile.xsd"));
	}
}

/* The server validates with the copies embedded in the library. */
static void mcptt_schemas_compile_embedded(struct test_ctx *t)
{
	size_t i;

	for (i = 0; i < NKINDS; i++) {
		struct test_xml_errs er = {.n = 0};
		xmlSchemaPtr sc;

		CHECK(t, xcap_embedded(kinds[i].ours, NULL) != NULL);
		sc = compile(FROM_LIBRARY, kinds[i].ours, &er);
		if (!sc) {
			test_fail(t, __FILE__, __LINE__, "embedded %s: %s", kinds[i].ours, er.text);
			return;
		}
		xmlSchemaFree(sc);
		CHECK(t, ld.refused[0] == '\0');
	}
	CHECK(t, xcap_embedded("common-policy.xsd", NULL) != NULL);
}

static void mcptt_schemas_valid_docs(struct test_ctx *t)
{
	size_t i;

	for (i = 0; i < NKINDS; i++) {
		struct test_xml_errs er = {.n = 0};
		xmlSchemaPtr sc = compile(FROM_TREE, kinds[i].ours, &er);
		int n = 0;
		bool ok;

		if (!sc) {
			test_fail(t, __FILE__, __LINE__, "%s: %s", kinds[i].ours, er.text);
			return;
		}
		ok = check_valid_docs(t, &kinds[i], sc, kinds[i].ours, &n);
		xmlSchemaFree(sc);
		if (!ok)
			return;
		if (n < 3) {
			test_fail(t, __FILE__, __LINE__, "only %d valid %s documents", n,
				  kinds[i].prefix);
			return;
		}
	}
}

static void mcptt_schemas_invalid_docs(struct test_ctx *t)
{
	size_t i;

	for (i = 0; i < NKINDS; i++) {
		struct test_xml_errs er = {.n = 0};
		xmlSchemaPtr sc = compile(FROM_TREE, kinds[i].ours, &er);
		int n = 0;
		bool ok;

		if (!sc) {
			test_fail(t, __FILE__, __LINE__, "%s: %s", kinds[i].ours, er.text);
			return;
		}
		ok = check_invalid_docs(t, &kinds[i], sc, false, &n);
		xmlSchemaFree(sc);
		if (!ok)
			return;
		if (n < 4) {
			test_fail(t, __FILE__, __LINE__, "only %d invalid %s documents", n,
				  kinds[i].prefix);
			return;
		}
	}
}

/* Validation reports, it never rewrites: a document with extensions and an
 * empty element that has a schema default serialises the same afterwards. */
static void mcptt_schemas_validation_keeps_document(struct test_ctx *t)
{
	static const struct {
		size_t kind;
		const char *file;
	} docs[] = {
	    {0, VALID_DIR "/ue-init-config-3.xml"},
	    {2, VALID_DIR "/user-profile-3.xml"},
	    {3, VALID_DIR "/service-config-3.xml"},
	    {3, VALID_DIR "/service-config-4.xml"},
	};
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct test_xml_errs er = {.n = 0};
		xmlSchemaPtr sc = compile(FROM_TREE, kinds[docs[i].kind].ours, &er);
		char *text = test_read_file(docs[i].file, NULL);
		xmlDocPtr d = text ? parse_text(text, strlen(text), docs[i].file, &er) : NULL;
		xmlChar *before = NULL, *after = NULL;
		int lb = 0, la = 0;
		bool ok = false, same = false;

		free(text);
		if (sc && d) {
			xmlDocDumpMemory(d, &before, &lb);
			ok = validate(sc, d, &er);
			xmlDocDumpMemory(d, &after, &la);
			same = before && after && lb == la && !memcmp(before, after, (size_t)lb);
		}
		xmlFree(before);
		xmlFree(after);
		xmlFreeDoc(d);
		if (sc)
			xmlSchemaFree(sc);
		if (!ok || !same) {
			test_fail(t, __FILE__, __LINE__, "%s: %s", docs[i].file,
				  !ok ? er.text : "changed by validation");
			return;
		}
	}
}

/* ---- the third-party Rel-13 schemas as an oracle ---- */

static bool no_spec(void)
{
	ld.spec = test_spec_dir();
	if (!ld.spec)
		printf("     (skipped: no spec folder)\n");
	return ld.spec == NULL;
}

static void mcptt_schemas_oracle_valid(struct test_ctx *t)
{
	size_t i;

	if (no_spec())
		return;
	for (i = 0; i < NKINDS; i++) {
		struct test_xml_errs er = {.n = 0};
		xmlSchemaPtr sc = compile(FROM_SPEC, kinds[i].oracle, &er);
		int n = 0;
		bool ok;

		if (!sc) {
			test_fail(t, __FILE__, __LINE__, "oracle %s: %s", kinds[i].oracle, er.text);
			return;
		}
		ok = check_valid_docs(t, &kinds[i], sc, kinds[i].oracle, &n);
		xmlSchemaFree(sc);
		if (!ok)
			return;
	}
}

static void mcptt_schemas_oracle_invalid(struct test_ctx *t)
{
	size_t i;

	if (no_spec())
		return;
	for (i = 0; i < NKINDS; i++) {
		struct test_xml_errs er = {.n = 0};
		xmlSchemaPtr sc = compile(FROM_SPEC, kinds[i].oracle, &er);
		int n = 0;
		bool ok;

		if (!sc) {
			test_fail(t, __FILE__, __LINE__, "oracle %s: %s", kinds[i].oracle, er.text);
			return;
		}
		ok = check_invalid_docs(t, &kinds[i], sc, true, &n);
		xmlSchemaFree(sc);
		if (!ok)
			return;
	}
}

/* Declared names of a schema file: "e:NAME" for every xs:element and
 * "a:NAME" for every xs:attribute with a name, sorted, without repeats. */
struct names {
	char v[MAX_NAMES][96];
	int n;
	bool full;
};

static void gather_names(xmlNodePtr node, struct names *nm)
{
	for (; node; node = node->next) {
		bool el, at;
		xmlChar *name;

		if (node->type != XML_ELEMENT_NODE)
			continue;
		el = xmlStrEqual(node->name, BAD_CAST "element");
		at = xmlStrEqual(node->name, BAD_CAST "attribute");
		if ((el || at) && node->ns && xmlStrEqual(node->ns->href, BAD_CAST NS_XSD)) {
			name = xmlGetProp(node, BAD_CAST "name");
			if (name && nm->n < MAX_NAMES)
				snprintf(nm->v[nm->n++], sizeof(nm->v[0]), "%c:%s", el ? 'e' : 'a',
					 (const char *)name);
			else if (name)
				nm->full = true;
			xmlFree(name);
		}
		gather_names(node->children, nm);
	}
}

static bool read_names(const char *path, struct names *nm)
{
	size_t len = 0;
	char *text = test_read_file(path, &len);
	struct test_xml_errs er = {.n = 0};
	xmlDocPtr d;
	int i, o;

	nm->n = 0;
	nm->full = false;
	d = text ? parse_text(text, len, path, &er) : NULL;
	free(text);
	if (!d)
		return false;
	gather_names(xmlDocGetRootElement(d), nm);
	xmlFreeDoc(d);
	qsort(nm->v, (size_t)nm->n, sizeof(nm->v[0]), cmp_names);
	for (i = o = 0; i < nm->n; i++)
		if (!o || strcmp(nm->v[o - 1], nm->v[i]))
			memmove(nm->v[o++], nm->v[i], sizeof(nm->v[0]));
	nm->n = o;
	return !nm->full;
}

/* Ours and the oracle declare the same element and attribute names: no
 * misspelt, missing or invented name (e.g. one of the 44 allow-*). */
static void mcptt_schemas_oracle_names(struct test_ctx *t)
{
	static struct names ours, theirs;
	size_t i;
	int k;

	if (no_spec())
		return;
	for (i = 0; i < NKINDS; i++) {
		char path[600];

		snprintf(path, sizeof(path), "schemas/%s", kinds[i].ours);
		CHECK(t, read_names(path, &ours));
		snprintf(path, sizeof(path), "%s/24384/rel13/%s", ld.spec, kinds[i].oracle);
		CHECK(t, read_names(path, &theirs));
		for (k = 0; k < ours.n && k < theirs.n; k++)
			if (strcmp(ours.v[k], theirs.v[k]))
				break;
		if (k < ours.n || k < theirs.n) {
			test_fail(t, __FILE__, __LINE__, "%s vs %s: first difference at %s / %s",
				  kinds[i].ours, kinds[i].oracle, k < ours.n ? ours.v[k] : "(end)",
				  k < theirs.n ? theirs.v[k] : "(end)");
			return;
		}
	}
	/* Our common-policy.xsd against the RFC 4745 copy. */
	CHECK(t, read_names("schemas/common-policy.xsd", &ours));
	{
		char path[600];

		snprintf(path, sizeof(path), "%s/ietf/common-policy.xsd", ld.spec);
		CHECK(t, read_names(path, &theirs));
	}
	CHECK_INT(t, ours.n, theirs.n);
	for (k = 0; k < ours.n; k++)
		CHECK_STR(t, ours.v[k], theirs.v[k]);
}

/* Replace every `from` in s by `to`; a new string, NULL when `from` is absent. */
static char *replace_all(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0, len;
	const char *p;
	char *out, *w;

	for (p = strstr(s, from); p; p = strstr(p + fl, from))
		n++;
	if (!n)
		return NULL;
	len = strlen(s) + n * tl - n * fl;
	out = malloc(len + 1);
	if (!out)
		return NULL;
	for (w = out; (p = strstr(s, from)) != NULL; s = p + fl) {
		memcpy(w, s, (size_t)(p - s));
		w += p - s;
		memcpy(w, to, tl);
		w += tl;
	}
	memcpy(w, s, strlen(s) + 1);
	return out;
}

/* Check the messages of one MCOP step: all of want[] present, or valid. */
static bool step_ok(struct test_ctx *t, xmlSchemaPtr sc, const char *text, const char *who,
		    int step, const char *const *want, size_t nwant)
{
	struct test_xml_errs er = {.n = 0};
	bool valid = text_valid(sc, text, "mcop.xml", &er);
	size_t w;

	if (!nwant) {
		if (!valid)
			test_fail(t, __FILE__, __LINE__, "%s, step %d: still rejected: %s", who,
				  step, er.text);
		return valid;
	}
	if (valid) {
		test_fail(t, __FILE__, __LINE__, "%s, step %d: accepted", who, step);
		return false;
	}
	for (w = 0; w < nwant; w++) {
		if (want[w] && !strstr(er.text, want[w])) {
			test_fail(t, __FILE__, __LINE__, "%s, step %d: expected \"%s\" in: %s", who,
				  step, want[w], er.text);
			return false;
		}
	}
	return true;
}

#define X_UIC(e) "Expected is ( {" NS_UIC "}" e " )"

/* examples/mcop/mcpttueinitconf.xml fails for its known reasons and no
 * other: <HPLM> for <HPLMN>; once that is fixed, the missing mandatory
 * on-network elements one by one; with all of them added, it validates.
 * Checked with our schema and with the oracle. */
static void mcptt_schemas_mcop_ue_init(struct test_ctx *t)
{
	static const struct {
		const char *from[2], *to[2];
		const char *want[2];
	} steps[] = {
	    {{NULL, NULL}, {NULL, NULL}, {X_UIC("HPLMN"), NULL}},
	    {{"<HPLM ", "</HPLM>"},
	     {"<HPLMN ", "</HPLMN>"},
	     {X_UIC("http-proxy"), X_UIC("integrity-protection-enabled")}},
	    {{"<gms>", NULL},
	     {"<http-proxy>http://proxy.organization.org</http-proxy><gms>", NULL},
	     {X_UIC("tls-tunnel-auth-method"), X_UIC("integrity-protection-enabled")}},
	    {{"</kms>", NULL},
	     {"</kms><tls-tunnel-auth-method><mutual-authentication>false"
	      "</mutual-authentication></tls-tunnel-auth-method>",
	      NULL},
	     {X_UIC("integrity-protection-enabled"), NULL}},
	    {{"</CMS-XCAP-root-URI>", NULL},
	     {"</CMS-XCAP-root-URI><integrity-protection-enabled>true"
	      "</integrity-protection-enabled><confidentiality-protection-enabled>true"
	      "</confidentiality-protection-enabled>",
	      NULL},
	     {NULL, NULL}},
	};
	struct test_xml_errs er = {.n = 0};
	xmlSchemaPtr ours = NULL, theirs = NULL;
	char path[600], *text = NULL;
	size_t s, f;

	if (no_spec())
		return;
	snprintf(path, sizeof(path), "%s/examples/mcop/mcpttueinitconf.xml", ld.spec);
	text = test_read_file(path, NULL);
	ours = compile(FROM_TREE, kinds[0].ours, &er);
	theirs = compile(FROM_SPEC, kinds[0].oracle, &er);
	if (!text || !ours || !theirs) {
		test_fail(t, __FILE__, __LINE__, "setup: %s", text ? er.text : path);
		goto out;
	}
	for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		size_t nwant = steps[s].want[0] ? 2 : 0;

		for (f = 0; f < 2 && steps[s].from[f]; f++) {
			char *next = replace_all(text, steps[s].from[f], steps[s].to[f]);

			if (!next) {
				test_fail(t, __FILE__, __LINE__, "step %zu: no \"%s\" in %s", s,
					  steps[s].from[f], path);
				goto out;
			}
			free(text);
			text = next;
		}
		if (!step_ok(t, ours, text, "ours", (int)s, steps[s].want, nwant) ||
		    !step_ok(t, theirs, text, "oracle", (int)s, steps[s].want, nwant))
			goto out;
	}
out:
	free(text);
	if (ours)
		xmlSchemaFree(ours);
	if (theirs)
		xmlSchemaFree(theirs);
}

/* examples/mcop/mcpttuserprofiledefault.xml: rejected for its two
 * xml:lang="" placeholders and nothing else. Its index="token" placeholders
 * are placeholders too, but "token" is a valid xs:token: once the language
 * tags are filled in, the document validates (ours and the oracle). */
static void mcptt_schemas_mcop_user_profile(struct test_ctx *t)
{
	static const char *const lang_err[] = {
	    "attribute '{http://www.w3.org/XML/1998/namespace}lang': '' is not a valid value "
	    "of the atomic type 'xs:language'",
	    NULL,
	};
	struct test_xml_errs er = {.n = 0};
	xmlSchemaPtr ours = NULL, theirs = NULL;
	char path[600], *text = NULL, *fixed = NULL;

	if (no_spec())
		return;
	snprintf(path, sizeof(path), "%s/examples/mcop/mcpttuserprofiledefault.xml", ld.spec);
	text = test_read_file(path, NULL);
	ours = compile(FROM_TREE, kinds[2].ours, &er);
	theirs = compile(FROM_SPEC, kinds[2].oracle, &er);
	if (!text || !ours || !theirs) {
		test_fail(t, __FILE__, __LINE__, "setup: %s", text ? er.text : path);
		goto out;
	}
	if (!strstr(text, "index=\"token\"")) {
		test_fail(t, __FILE__, __LINE__, "%s has no index=\"token\" placeholder", path);
		goto out;
	}
	if (!step_ok(t, ours, text, "ours", 0, lang_err, 2) ||
	    !step_ok(t, theirs, text, "oracle", 0, lang_err, 2))
		goto out;
	er.text[0] = '\0';
	er.n = 0;
	if (text_valid(ours, text, "mcop.xml", &er) || er.n != 2) {
		test_fail(t, __FILE__, __LINE__, "%d errors, expected the 2 xml:lang ones: %s",
			  er.n, er.text);
		goto out;
	}
	fixed = replace_all(text, "xml:lang=\"\"", "xml:lang=\"en\"");
	if (!fixed) {
		test_fail(t, __FILE__, __LINE__, "no xml:lang=\"\" in %s", path);
		goto out;
	}
	if (!step_ok(t, ours, fixed, "ours", 1, NULL, 0) ||
	    !step_ok(t, theirs, fixed, "oracle", 1, NULL, 0))
		goto out;
out:
	free(text);
	free(fixed);
	if (ours)
		xmlSchemaFree(ours);
	if (theirs)
		xmlSchemaFree(theirs);
}

/* Our files are our own text, not copies of the third-party ones. */
static void mcptt_schemas_not_copies(struct test_ctx *t)
{
	size_t i;

	if (no_spec())
		return;
	for (i = 0; i < NKINDS + 1; i++) {
		char a[600], b[600];
		char *x, *y;
		size_t lx = 0, ly = 0;
		bool same;

		snprintf(a, sizeof(a), "schemas/%s",
			 i < NKINDS ? kinds[i].ours : "common-policy.xsd");
		if (i < NKINDS)
			snprintf(b, sizeof(b), "%s/24384/rel13/%s", ld.spec, kinds[i].oracle);
		else
			snprintf(b, sizeof(b), "%s/ietf/common-policy.xsd", ld.spec);
		x = test_read_file(a, &lx);
		y = test_read_file(b, &ly);
		same = x && y && lx == ly && !memcmp(x, y, lx);
		free(x);
		free(y);
		if (same) {
			test_fail(t, __FILE__, __LINE__, "%s is a copy of %s", a, b);
			return;
		}
	}
}

const struct test tests_mcptt_schemas[] = {
    {"mcptt_schemas_compile", mcptt_schemas_compile, false},
    {"mcptt_schemas_compile_embedded", mcptt_schemas_compile_embedded, false},
    {"mcptt_schemas_valid_docs", mcptt_schemas_valid_docs, false},
    {"mcptt_schemas_invalid_docs", mcptt_schemas_invalid_docs, false},
    {"mcptt_schemas_validation_keeps_document", mcptt_schemas_validation_keeps_document, false},
    {"mcptt_schemas_oracle_valid", mcptt_schemas_oracle_valid, false},
    {"mcptt_schemas_oracle_invalid", mcptt_schemas_oracle_invalid, false},
    {"mcptt_schemas_oracle_names", mcptt_schemas_oracle_names, false},
    {"mcptt_schemas_mcop_ue_init", mcptt_schemas_mcop_ue_init, false},
    {"mcptt_schemas_mcop_user_profile", mcptt_schemas_mcop_user_profile, false},
    {"mcptt_schemas_not_copies", mcptt_schemas_not_copies, false},
    {NULL, NULL, false},
};
