/* The IdMS audit log: one escaped line per login, grant or refusal, never a secret. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_MODULE "idms"
#include "core/log.h"
#include "idms/idms_int.h"
#include "core/banned.h"

#define AUDIT_LINE_MAX 1024

enum mcx_err audit_open(struct idms_audit *a, const char *spec, char *errbuf, size_t errlen)
{
	int fd;

	memset(a, 0, sizeof(*a));
	pthread_mutex_init(&a->lock, NULL);
	if (!spec || !*spec || !strcmp(spec, "off")) {
		a->off = true;
		return MCX_OK;
	}
	if (!strcmp(spec, "-")) {
		a->f = stderr;
		return MCX_OK;
	}
	fd = open(spec, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		a->f = fdopen(fd, "a");
	if (!a->f) {
		snprintf(errbuf, errlen, "audit-log %s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		pthread_mutex_destroy(&a->lock);
		return MCX_EIO;
	}
	a->own = true;
	return MCX_OK;
}

void audit_close(struct idms_audit *a)
{
	if (a->own && a->f)
		fclose(a->f);
	a->f = NULL;
	pthread_mutex_destroy(&a->lock);
}

/* Append ` name="value"` with control characters, '"' and '\' as \xHH and
 * the value cut at IDMS_AUDIT_FIELD_MAX bytes. */
static void field(char *line, size_t *used, const char *name, const char *v)
{
	size_t u = *used, k;
	int n;

	n = snprintf(line + u, AUDIT_LINE_MAX - u, " %s=\"", name);
	if (n < 0 || (size_t)n >= AUDIT_LINE_MAX - u)
		return;
	u += (size_t)n;
	for (k = 0; v && v[k] && k < IDMS_AUDIT_FIELD_MAX && u + 6 < AUDIT_LINE_MAX; k++) {
		unsigned char c = (unsigned char)v[k];

		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			u += (size_t)snprintf(line + u, AUDIT_LINE_MAX - u, "\\x%02x", c);
		else
			line[u++] = (char)c;
	}
	if (v && v[k] && u + 4 < AUDIT_LINE_MAX) {
		memcpy(line + u, "...", 3);
		u += 3;
	}
	if (u + 2 < AUDIT_LINE_MAX)
		line[u++] = '"';
	line[u] = '\0';
	*used = u;
}

void audit(struct idms *i, const struct idms_request *rq, const char *event, const char *outcome,
	   const char *client_id, const char *user, const char *reason)
{
	struct idms_audit *a = &i->aud;
	char line[AUDIT_LINE_MAX];
	time_t now = (time_t)idms_now(i);
	size_t used;
	struct tm tm;

	if (a->off)
		return;
	gmtime_r(&now, &tm);
	used = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ idms", &tm);
	field(line, &used, "event", event);
	field(line, &used, "outcome", outcome);
	field(line, &used, "peer", rq && rq->peer ? rq->peer : "-");
	field(line, &used, "client_id", client_id ? client_id : "-");
	field(line, &used, "user", user ? user : "-");
	field(line, &used, "reason", reason ? reason : "-");
	pthread_mutex_lock(&a->lock);
	fprintf(a->f, "%s\n", line);
	fflush(a->f);
	pthread_mutex_unlock(&a->lock);
}
