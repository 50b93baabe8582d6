/* Unit-test runner: runs every table, checks leaks, runs OOM passes, and
 * ends with the line "N passed, N failed" for CI. Usage: test-unit [filter]. */
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "test.h"
#include "core/mem.h"
#include "core/log.h"

extern const struct test tests_core[];
extern const struct test tests_uri[];
extern const struct test tests_selector[];
extern const struct test tests_xmldoc[];
extern const struct test tests_ops[];
extern const struct test tests_usage[];
extern const struct test tests_store[];
extern const struct test tests_digest[];
extern const struct test tests_http[];
extern const struct test tests_access[];
extern const struct test tests_jwt[];
extern const struct test tests_group_schema[];
extern const struct test tests_mcptt_schemas[];
extern const struct test tests_idms[];
extern const struct test tests_patch[];
extern const struct test tests_sip[];
extern const struct test tests_dm_codec[];
extern const struct test tests_dm_security[];
extern const struct test tests_sip_persist[];
extern const struct test tests_cmc[];
extern const struct test tests_dm_tree[];
extern const struct test tests_dm_mo[];

static const struct test *const tables[] = {
	tests_core, tests_uri, tests_selector, tests_xmldoc, tests_ops,
	tests_usage, tests_store, tests_digest, tests_http, tests_access, tests_jwt,
	tests_group_schema,
	tests_mcptt_schemas,
	tests_idms,
	tests_patch,
	tests_sip,
	tests_dm_codec,
	tests_dm_security,
	tests_sip_persist,
	tests_cmc,
	tests_dm_tree,
	tests_dm_mo,
};

void test_fail(struct test_ctx *t, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	t->failed = 1;
	n = snprintf(t->msg, sizeof(t->msg), "%s:%d: ", file, line);
	va_start(ap, fmt);
	vsnprintf(t->msg + n, sizeof(t->msg) - (size_t)n, fmt, ap);
	va_end(ap);
}

const char *test_spec_dir(void)
{
	static const char *const cands[] = { "../shared/spec", "../../shared/spec" };
	const char *env = getenv("MCX_SPEC_DIR");
	struct stat st;
	size_t i;

	if (env)
		return stat(env, &st) == 0 ? env : NULL;
	for (i = 0; i < sizeof(cands) / sizeof(cands[0]); i++)
		if (stat(cands[i], &st) == 0 && S_ISDIR(st.st_mode))
			return cands[i];
	return NULL;
}

char *test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	if (p) {
		p[n] = '\0';
		if (len)
			*len = (size_t)n;
	}
	return p;
}

static int run_one(const struct test *tc)
{
	struct test_ctx t = { .name = tc->name };
	long live0 = mem_live();
	long k;

	tc->fn(&t);
	if (!t.failed && mem_live() != live0)
		test_fail(&t, __FILE__, __LINE__, "leaked %ld allocation(s)", mem_live() - live0);
	for (k = 0; tc->oom && !t.failed && k < 100000; k++) {
		unsigned long before;

		t.in_oom = true;
		live0 = mem_live();
		before = mem_count();
		mem_fail_after(k);
		tc->fn(&t);
		mem_fail_after(-1);
		if (t.failed) {
			size_t n = strlen(t.msg);

			snprintf(t.msg + n, sizeof(t.msg) - n, " (OOM pass %ld)", k);
			break;
		}
		if (mem_live() != live0) {
			test_fail(&t, __FILE__, __LINE__, "OOM pass %ld leaked %ld allocation(s)",
				  k, mem_live() - live0);
			break;
		}
		if (mem_count() - before <= (unsigned long)k)
			break; /* the test made fewer than k+1 allocations: all covered */
	}
	printf("%s %s%s%s\n", t.failed ? "FAIL" : "ok  ", tc->name,
	       t.failed ? "\n     " : "", t.failed ? t.msg : "");
	return t.failed;
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	int passed = 0, failed = 0;
	size_t i;

	mcx_log_set_level(getenv("MCX_TEST_DEBUG") ? MCX_LOG_DEBUG : MCX_LOG_ERROR);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		const struct test *tc;

		for (tc = tables[i]; tc->name; tc++) {
			if (filter && !strstr(tc->name, filter))
				continue;
			if (run_one(tc))
				failed++;
			else
				passed++;
		}
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
