/* The unit-test harness: table-driven, one binary. Each test file defines a
 * NULL-terminated table `const struct test tests_<module>[]` listed in main.c.
 * A test fails on the first failed CHECK (it returns); the harness also fails
 * a test that leaks allocations made through core/mem.h. Tests marked oom
 * are re-run with allocation k failing for k = 0, 1, 2, ... and must then
 * return cleanly (no crash, no leak) — they call test_oom_ok() to say so. */
#ifndef MCX_TESTS_UNIT_TEST_H
#define MCX_TESTS_UNIT_TEST_H

#include <stdio.h>
#include <string.h>
#include <stdbool.h>

struct test_ctx {
	const char *name;
	int failed;
	bool in_oom;    /* an allocation may fail on purpose */
	char msg[512];
};

struct test {
	const char *name;
	void (*fn)(struct test_ctx *t);
	bool oom;
};

void test_fail(struct test_ctx *t, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define CHECK(t, cond) do { if (!(cond)) { \
	test_fail((t), __FILE__, __LINE__, "%s", #cond); return; } } while (0)
#define CHECK_INT(t, a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
	if (a_ != b_) { test_fail((t), __FILE__, __LINE__, "%s == %lld, expected %lld", \
	#a, a_, b_); return; } } while (0)
#define CHECK_STR(t, a, b) do { const char *a_ = (a), *b_ = (b); \
	if (!a_ || !b_ || strcmp(a_, b_)) { test_fail((t), __FILE__, __LINE__, \
	"%s == \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
	return; } } while (0)
#define CHECK_MEM(t, a, alen, b, blen) do { size_t al_ = (alen), bl_ = (blen); \
	if (al_ != bl_ || memcmp((a), (b), al_)) { test_fail((t), __FILE__, __LINE__, \
	"%s == \"%.*s\", expected \"%.*s\"", #a, (int)al_, (const char *)(a), \
	(int)bl_, (const char *)(b)); return; } } while (0)
/* In OOM mode an MCX_ENOMEM is the expected clean outcome: stop the test. */
#define OOM_OK(t, err) do { if ((t)->in_oom && (err) == MCX_ENOMEM) return; } while (0)

/* Path of the shared spec folder (../shared/spec) or NULL when absent. */
const char *test_spec_dir(void);
/* Read a whole file; NULL if missing. Caller frees with free(). */
char *test_read_file(const char *path, size_t *len);

#endif
