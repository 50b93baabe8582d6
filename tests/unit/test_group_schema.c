/* Unit tests: the MCPTT group document schema (schemas/mcptt-group.xsd with
 * oma-xdm-extensions.xsd and mcptt-group-info.xsd). Data-driven:
 *  - every tests/data/mcptt/valid/group-*.xml must validate;
 *  - every tests/data/mcptt/invalid/group-*.xml must be rejected, and its
 *    first line, <!-- expect: TEXT -->, names a substring of one libxml2
 *    error. A line <!-- oracle: rejects --> says the fault is in an mcpttgi
 *    element, so the oracle below must reject it too.
 * Schemas load through an external entity loader that maps a basename to
 * schemas/<basename> (tests run from the repository root) and refuses
 * anything else, as the server does with its embedded copies.
 * When ../shared/spec is present, the mcpttgi elements are cross-checked
 * against the third-party TS 24.481 schema 24381/mcpttGroupInfo.xsd (a
 * Rel-19 superset): each top-level mcpttgi element of every document is
 * validated against it on its own, and our global declarations must exist
 * there with the same built-in types. That file imports the OMA XDM and
 * resource-lists namespaces without a schemaLocation, so a small driver
 * schema imports ours for those namespaces first. */
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
#define GROUP_XSD "mcptt-group.xsd"
#define NS_XSD "http://www.w3.org/2001/XMLSchema"
#define NS_MCPTTGI "urn:3gpp:ns:mcpttGroupInfo:1.0"
#define ORACLE_BASE "oracle-mcpttGroupInfo.xsd" /* name the driver uses */

#define MAX_FILES 64
#define NAME_LEN 128
#define MAX_LOADED 16

/* What the schema loader serves: files under schemas/ or the copies embedded
 * in the library; plus the oracle when a driver asks for ORACLE_BASE. */
enum source { FROM_FILES, FROM_EMBEDDED };

static struct {
	enum source src;
	char oracle[512]; /* path of the oracle, "" = none */
	char loaded[MAX_LOADED][NAME_LEN];
	int nloaded;
	int refused;
	char last_refused[NAME_LEN];
} ld;

static void silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static const char *base_name(const char *url)
{
	const char *b = strrchr(url, '/');

	return b ? b + 1 : url;
}

/* The basename mapping. Never the network, never another directory. */
static xmlParserInputPtr schema_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	const char *base;
	char path[600];

	(void)id;
	if (!url)
		return NULL;
	base = base_name(url);
	if (ld.nloaded < MAX_LOADED)
		snprintf(ld.loaded[ld.nloaded++], NAME_LEN, "%s", base);
	if (!strcmp(base, ORACLE_BASE) && ld.oracle[0])
		return xmlNewInputFromFile(ctxt, ld.oracle);
	if (ld.src == FROM_EMBEDDED) {
		const char *p = xcap_embedded(base, NULL);

		if (p)
			return xmlNewStringInputStream(ctxt, (const xmlChar *)p);
	} else {
		snprintf(path, sizeof(path), "schemas/%s", base);
		if (!strchr(base, ':') && access(path, R_OK) == 0)
			return xmlNewInputFromFile(ctxt, path);
	}
	ld.refused++;
	snprintf(ld.last_refused, sizeof(ld.last_refused), "%s", url);
	return NULL;
}

/* Compile a schema, given by basename (loaded through schema_loader) or as
 * text (mem != NULL). NULL on failure with the reason in er. */
static xmlSchemaPtr compile(const char *name, const char *mem, struct test_xml_errs *er)
{
	xmlExternalEntityLoader old = xmlGetExternalEntityLoader();
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaPtr sc = NULL;

	ld.nloaded = 0;
	ld.refused = 0;
	ld.last_refused[0] = '\0';
	xmlSetExternalEntityLoader(schema_loader);
	xmlSetGenericErrorFunc(NULL, silent);
	if (mem)
		pc = xmlSchemaNewMemParserCtxt(mem, (int)strlen(mem));
	else if (ld.src == FROM_EMBEDDED) {
		size_t len = 0;
		const char *p = xcap_embedded(name, &len);

		pc = p ? xmlSchemaNewMemParserCtxt(p, (int)len) : NULL;
	} else
		pc = xmlSchemaNewParserCtxt(name); /* resolved by the loader */
	if (pc) {
		xmlSchemaSetParserStructuredErrors(pc, test_xml_collect, er);
		sc = xmlSchemaParse(pc);
		xmlSchemaFreeParserCtxt(pc);
	}
	xmlSetGenericErrorFunc(NULL, NULL);
	xmlSetExternalEntityLoader(old);
	if (!sc && !er->text[0])
		snprintf(er->text, sizeof(er->text), "%s does not compile", name);
	return sc;
}

/* Validate a whole document; false with the errors in er. */
static bool validate_doc(xmlSchemaPtr sc, xmlDocPtr d, struct test_xml_errs *er)
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

static int cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Sorted names of dir/group-*.xml; -1 if dir cannot be read. */
static int list_docs(const char *dir, char names[][NAME_LEN], int max)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!dp)
		return -1;
	while ((de = readdir(dp)) != NULL && n < max) {
		size_t len = strlen(de->d_name);

		if (strncmp(de->d_name, "group-", 6) || len < 5 || len >= NAME_LEN ||
		    strcmp(de->d_name + len - 4, ".xml"))
			continue;
		memcpy(names[n++], de->d_name, len + 1);   /* len < NAME_LEN */
	}
	closedir(dp);
	qsort(names, (size_t)n, NAME_LEN, cmp_names);
	return n;
}

/* Read from memory: whatever external entity loader another test left
 * installed (the server's refuses plain files) plays no part. */
static xmlDocPtr read_doc(const char *path)
{
	size_t len = 0;
	char *text = test_read_file(path, &len);
	xmlDocPtr d;

	if (!text)
		return NULL;
	d = xmlReadMemory(text, (int)len, path, NULL,
			  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	free(text);
	return d;
}

/* The expectation of an invalid document: the text of its first-line
 * comment into expect; whether the oracle must reject it into oracle. */
static bool read_expect(const char *path, char *expect, size_t len, bool *oracle)
{
	static const char head[] = "<!-- expect: ";
	char *text = test_read_file(path, NULL);
	const char *end;
	bool ok = false;

	if (!text)
		return false;
	if (!strncmp(text, head, sizeof(head) - 1)) {
		end = strstr(text, " -->");
		if (end && end > text + sizeof(head) - 1 &&
		    !memchr(text, '\n', (size_t)(end - text))) {
			snprintf(expect, len, "%.*s", (int)(end - text - (sizeof(head) - 1)),
				 text + sizeof(head) - 1);
			ok = true;
		}
	}
	*oracle = strstr(text, "<!-- oracle: rejects -->") != NULL;
	free(text);
	return ok;
}

/* ---- our schemas ---- */

static void group_schema_compiles(struct test_ctx *t)
{
	static const char *const need[] = {
	    GROUP_XSD,		 "resource-lists.xsd",	   "xml.xsd",
	    "common-policy.xsd", "oma-xdm-extensions.xsd", "mcptt-group-info.xsd",
	};
	struct test_xml_errs er = {.n = 0};
	xmlSchemaPtr sc;
	size_t i;
	int k;

	ld.src = FROM_FILES;
	ld.oracle[0] = '\0';
	sc = compile(GROUP_XSD, NULL, &er);
	if (!sc) {
		test_fail(t, __FILE__, __LINE__, "%s (refused: %s)", er.text, ld.last_refused);
		return;
	}
	xmlSchemaFree(sc);
	if (ld.refused) {
		test_fail(t, __FILE__, __LINE__, "loader refused %s", ld.last_refused);
		return;
	}
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		for (k = 0; k < ld.nloaded; k++)
			if (!strcmp(ld.loaded[k], need[i]))
				break;
		if (k == ld.nloaded) {
			test_fail(t, __FILE__, __LINE__, "%s was never loaded", need[i]);
			return;
		}
	}
}

/* Every import of our three files names a basename that exists in schemas/. */
static void group_schema_imports_basenames(struct test_ctx *t)
{
	static const char *const files[] = {
	    GROUP_XSD,
	    "oma-xdm-extensions.xsd",
	    "mcptt-group-info.xsd",
	};
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[256];
		xmlDocPtr d;
		xmlNodePtr n;

		snprintf(path, sizeof(path), "schemas/%s", files[i]);
		d = read_doc(path);
		CHECK(t, d != NULL);
		for (n = xmlDocGetRootElement(d)->children; n; n = n->next) {
			xmlChar *loc;
			char want[300];
			bool ok;

			if (n->type != XML_ELEMENT_NODE ||
			    (!xmlStrEqual(n->name, BAD_CAST "import") &&
			     !xmlStrEqual(n->name, BAD_CAST "include")))
				continue;
			loc = xmlGetProp(n, BAD_CAST "schemaLocation");
			ok = loc && !strchr((const char *)loc, '/') &&
			     !strchr((const char *)loc, ':');
			if (ok) {
				snprintf(want, sizeof(want), "schemas/%s", (const char *)loc);
				ok = access(want, R_OK) == 0;
			}
			if (!ok) {
				test_fail(t, __FILE__, __LINE__, "%s: import location \"%s\"",
					  files[i], loc ? (const char *)loc : "(none)");
				xmlFree(loc);
				xmlFreeDoc(d);
				return;
			}
			xmlFree(loc);
		}
		xmlFreeDoc(d);
	}
}

/* The copies embedded in the library compile on their own (what the server
 * does: basenames resolved to embedded files, nothing from disk). */
static void group_schema_embedded(struct test_ctx *t)
{
	struct test_xml_errs er = {.n = 0};
	xmlSchemaPtr sc;

	ld.src = FROM_EMBEDDED;
	ld.oracle[0] = '\0';
	sc = compile(GROUP_XSD, NULL, &er);
	ld.src = FROM_FILES;
	if (!sc) {
		test_fail(t, __FILE__, __LINE__, "embedded: %s (refused: %s)", er.text,
			  ld.last_refused);
		return;
	}
	xmlSchemaFree(sc);
	CHECK_INT(t, ld.refused, 0);
}

static void group_schema_valid_docs(struct test_ctx *t)
{
	char names[MAX_FILES][NAME_LEN];
	struct test_xml_errs er = {.n = 0};
	xmlSchemaPtr sc;
	int n, i;

	n = list_docs(VALID_DIR, names, MAX_FILES);
	CHECK(t, n >= 4);
	ld.src = FROM_FILES;
	sc = compile(GROUP_XSD, NULL, &er);
	if (!sc) {
		test_fail(t, __FILE__, __LINE__, "%s", er.text);
		return;
	}
	for (i = 0; i < n; i++) {
		char path[300];
		xmlDocPtr d;
		bool ok;

		snprintf(path, sizeof(path), "%s/%.*s", VALID_DIR, NAME_LEN, names[i]);
		memset(&er, 0, sizeof(er));
		d = read_doc(path);
		ok = d && validate_doc(sc, d, &er);
		xmlFreeDoc(d);
		if (!ok) {
			test_fail(t, __FILE__, __LINE__, "%s: %s", names[i],
				  d ? er.text : "not well-formed");
			break;
		}
	}
	xmlSchemaFree(sc);
}

static void group_schema_invalid_docs(struct test_ctx *t)
{
	char names[MAX_FILES][NAME_LEN];
	struct test_xml_errs er = {.n = 0};
	xmlSchemaPtr sc;
	int n, i;

	n = list_docs(INVALID_DIR, names, MAX_FILES);
	CHECK(t, n >= 5);
	ld.src = FROM_FILES;
	sc = compile(GROUP_XSD, NULL, &er);
	if (!sc) {
		test_fail(t, __FILE__, __LINE__, "%s", er.text);
		return;
	}
	for (i = 0; i < n; i++) {
		char path[300], expect[512];
		xmlDocPtr d;
		bool oracle, valid;

		snprintf(path, sizeof(path), "%s/%.*s", INVALID_DIR, NAME_LEN, names[i]);
		if (!read_expect(path, expect, sizeof(expect), &oracle)) {
			test_fail(t, __FILE__, __LINE__, "%s: no <!-- expect: ... --> first line",
				  names[i]);
			break;
		}
		memset(&er, 0, sizeof(er));
		d = read_doc(path);
		if (!d) {
			test_fail(t, __FILE__, __LINE__, "%s: not well-formed", names[i]);
			break;
		}
		valid = validate_doc(sc, d, &er);
		xmlFreeDoc(d);
		if (valid || !strstr(er.text, expect)) {
			test_fail(t, __FILE__, __LINE__, "%s: expected \"%s\", got %s", names[i],
				  expect, valid ? "valid" : er.text);
			break;
		}
	}
	xmlSchemaFree(sc);
}

/* ---- the oracle ---- */

/* Compile the driver that imports the oracle; NULL (and a skip line) when
 * the spec folder is absent, NULL with a failure when it does not compile. */
static xmlSchemaPtr oracle_compile(struct test_ctx *t)
{
	static const char driver[] =
	    "<xs:schema xmlns:xs='" NS_XSD "' targetNamespace='urn:mcx:test:oracle-driver'>"
	    "<xs:import namespace='urn:oma:xml:xdm:extensions'"
	    " schemaLocation='oma-xdm-extensions.xsd'/>"
	    "<xs:import namespace='urn:ietf:params:xml:ns:resource-lists'"
	    " schemaLocation='resource-lists.xsd'/>"
	    "<xs:import namespace='" NS_MCPTTGI "' schemaLocation='" ORACLE_BASE "'/>"
	    "</xs:schema>";
	const char *dir = test_spec_dir();
	struct test_xml_errs er = {.n = 0};
	xmlSchemaPtr sc;

	if (!dir) {
		printf("     (skipped: no spec folder)\n");
		return NULL;
	}
	snprintf(ld.oracle, sizeof(ld.oracle), "%s/24381/mcpttGroupInfo.xsd", dir);
	if (access(ld.oracle, R_OK) != 0) {
		printf("     (skipped: no %s)\n", ld.oracle);
		ld.oracle[0] = '\0';
		return NULL;
	}
	ld.src = FROM_FILES;
	sc = compile("oracle driver", driver, &er);
	if (!sc)
		test_fail(t, __FILE__, __LINE__, "oracle: %s (refused: %s)", er.text,
			  ld.last_refused);
	return sc;
}

/* Validate each outermost mcpttgi element under n on its own against the
 * oracle. Counts checked and rejected elements; the first errors go to er. */
static void oracle_walk(xmlSchemaPtr oracle, xmlNodePtr n, int *checked, int *rejected,
			struct test_xml_errs *er)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (n->ns && xmlStrEqual(n->ns->href, BAD_CAST NS_MCPTTGI)) {
			xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(oracle);
			struct test_xml_errs one = {.n = 0};

			(*checked)++;
			if (!vc) {
				(*rejected)++;
				continue;
			}
			xmlSchemaSetValidStructuredErrors(vc, test_xml_collect, &one);
			if (xmlSchemaValidateOneElement(vc, n) != 0) {
				(*rejected)++;
				if (!er->text[0])
					snprintf(er->text, sizeof(er->text),
						 "line %ld <%s>: %.3000s", xmlGetLineNo(n),
						 (const char *)n->name, one.text);
			}
			xmlSchemaFreeValidCtxt(vc);
			continue;
		}
		oracle_walk(oracle, n->children, checked, rejected, er);
	}
}

/* The mcpttgi parts of every valid document are valid for the oracle, and
 * every element is known to it (none of ours is invented). */
static void group_oracle_valid_docs(struct test_ctx *t)
{
	char names[MAX_FILES][NAME_LEN];
	xmlSchemaPtr oracle;
	int n, i, total = 0;

	oracle = oracle_compile(t);
	if (!oracle)
		return;
	n = list_docs(VALID_DIR, names, MAX_FILES);
	for (i = 0; i < n; i++) {
		char path[300];
		struct test_xml_errs er = {.n = 0};
		int checked = 0, rejected = 0;
		xmlDocPtr d;

		snprintf(path, sizeof(path), "%s/%.*s", VALID_DIR, NAME_LEN, names[i]);
		d = read_doc(path);
		if (!d) {
			test_fail(t, __FILE__, __LINE__, "%s: not well-formed", names[i]);
			break;
		}
		oracle_walk(oracle, xmlDocGetRootElement(d), &checked, &rejected, &er);
		xmlFreeDoc(d);
		total += checked;
		if (rejected) {
			test_fail(t, __FILE__, __LINE__, "%s: oracle rejects %d of %d: %s",
				  names[i], rejected, checked, er.text);
			break;
		}
	}
	xmlSchemaFree(oracle);
	ld.oracle[0] = '\0';
	if (!t->failed && total == 0)
		test_fail(t, __FILE__, __LINE__, "no mcpttgi element in %s", VALID_DIR);
	if (!t->failed)
		printf("     (oracle accepts all %d mcpttgi elements of %d documents)\n", total, n);
}

/* Invalid documents marked <!-- oracle: rejects --> have an mcpttgi element
 * the oracle rejects too; in the others every mcpttgi element is fine for
 * the oracle (their fault is elsewhere). */
static void group_oracle_invalid_docs(struct test_ctx *t)
{
	char names[MAX_FILES][NAME_LEN];
	xmlSchemaPtr oracle;
	int n, i, marked = 0;

	oracle = oracle_compile(t);
	if (!oracle)
		return;
	n = list_docs(INVALID_DIR, names, MAX_FILES);
	for (i = 0; i < n; i++) {
		char path[300], expect[512];
		struct test_xml_errs er = {.n = 0};
		int checked = 0, rejected = 0;
		bool must_reject = false;
		xmlDocPtr d;

		snprintf(path, sizeof(path), "%s/%.*s", INVALID_DIR, NAME_LEN, names[i]);
		d = read_doc(path);
		if (!d || !read_expect(path, expect, sizeof(expect), &must_reject)) {
			xmlFreeDoc(d);
			test_fail(t, __FILE__, __LINE__, "%s: unreadable", names[i]);
			break;
		}
		oracle_walk(oracle, xmlDocGetRootElement(d), &checked, &rejected, &er);
		xmlFreeDoc(d);
		marked += must_reject;
		if (must_reject && !rejected) {
			test_fail(t, __FILE__, __LINE__,
				  "%s: oracle accepts all %d mcpttgi elements", names[i], checked);
			break;
		}
		if (!must_reject && rejected) {
			test_fail(t, __FILE__, __LINE__, "%s: oracle rejects (mark it?): %s",
				  names[i], er.text);
			break;
		}
	}
	xmlSchemaFree(oracle);
	ld.oracle[0] = '\0';
	if (!t->failed && marked == 0)
		test_fail(t, __FILE__, __LINE__, "no invalid document is marked for the oracle");
	if (!t->failed)
		printf("     (oracle agrees on %d of %d invalid documents)\n", marked, n);
}

/* type="prefix:local" of a declaration, resolved: is it an XSD built-in,
 * and its local name into local. */
static bool decl_type(xmlNodePtr el, bool *builtin, char *local, size_t len)
{
	xmlChar *qn = xmlGetProp(el, BAD_CAST "type");
	const char *colon;
	xmlNsPtr ns;

	if (!qn)
		return false;
	colon = strchr((const char *)qn, ':');
	if (colon) {
		char prefix[64];

		snprintf(prefix, sizeof(prefix), "%.*s", (int)(colon - (const char *)qn),
			 (const char *)qn);
		ns = xmlSearchNs(el->doc, el, BAD_CAST prefix);
	} else {
		ns = xmlSearchNs(el->doc, el, NULL);
	}
	*builtin = ns && xmlStrEqual(ns->href, BAD_CAST NS_XSD);
	snprintf(local, len, "%s", colon ? colon + 1 : (const char *)qn);
	xmlFree(qn);
	return true;
}

static xmlNodePtr find_global(xmlDocPtr d, const xmlChar *name)
{
	xmlNodePtr n;

	for (n = xmlDocGetRootElement(d)->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST "element")) {
			xmlChar *nm = xmlGetProp(n, BAD_CAST "name");
			bool eq = xmlStrEqual(nm, name);

			xmlFree(nm);
			if (eq)
				return n;
		}
	return NULL;
}

/* Our mcpttgi declarations are a subset of the oracle's: same names, and the
 * same built-in type where ours is a built-in (a named type where ours is). */
static void group_oracle_declarations(struct test_ctx *t)
{
	const char *dir = test_spec_dir();
	char path[512];
	xmlDocPtr ours, oracle;
	xmlNodePtr n;
	int count = 0;

	if (!dir) {
		printf("     (skipped: no spec folder)\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/24381/mcpttGroupInfo.xsd", dir);
	oracle = read_doc(path);
	if (!oracle) {
		printf("     (skipped: no %s)\n", path);
		return;
	}
	ours = read_doc("schemas/mcptt-group-info.xsd");
	if (!ours) {
		xmlFreeDoc(oracle);
		test_fail(t, __FILE__, __LINE__, "cannot read schemas/mcptt-group-info.xsd");
		return;
	}
	for (n = xmlDocGetRootElement(ours)->children; n && !t->failed; n = n->next) {
		char lo[128], lt[128];
		bool bo, bt;
		xmlChar *name;
		xmlNodePtr theirs;

		if (n->type != XML_ELEMENT_NODE || !xmlStrEqual(n->name, BAD_CAST "element"))
			continue;
		name = xmlGetProp(n, BAD_CAST "name");
		theirs = name ? find_global(oracle, name) : NULL;
		count++;
		if (!theirs)
			test_fail(t, __FILE__, __LINE__, "mcpttgi:%s is not in the oracle",
				  name ? (const char *)name : "?");
		else if (!decl_type(n, &bo, lo, sizeof(lo)) ||
			 !decl_type(theirs, &bt, lt, sizeof(lt)))
			test_fail(t, __FILE__, __LINE__, "mcpttgi:%s: no type attribute",
				  (const char *)name);
		else if (bo != bt || (bo && strcmp(lo, lt)))
			test_fail(t, __FILE__, __LINE__, "mcpttgi:%s: type %s%s, oracle %s%s",
				  (const char *)name, bo ? "xs:" : "", lo, bt ? "xs:" : "", lt);
		xmlFree(name);
	}
	xmlFreeDoc(ours);
	xmlFreeDoc(oracle);
	if (!t->failed && count < 40)
		test_fail(t, __FILE__, __LINE__, "only %d global elements in ours", count);
	if (!t->failed)
		printf("     (%d mcpttgi declarations, all in the oracle)\n", count);
}

const struct test tests_group_schema[] = {
    {"group_schema_compiles", group_schema_compiles, false},
    {"group_schema_imports_basenames", group_schema_imports_basenames, false},
    {"group_schema_embedded", group_schema_embedded, false},
    {"group_schema_valid_docs", group_schema_valid_docs, false},
    {"group_schema_invalid_docs", group_schema_invalid_docs, false},
    {"group_schema_oracle_declarations", group_oracle_declarations, false},
    {"group_schema_oracle_valid_docs", group_oracle_valid_docs, false},
    {"group_schema_oracle_invalid_docs", group_oracle_invalid_docs, false},
    {NULL, NULL, false}};
