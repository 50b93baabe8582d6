/* mcx: the command-line tool. Global options, then a command group:
 * `user` (accounts) and `doc` (documents), on a data directory or, with
 * --server, on a running mcxd. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_MODULE "mcx"
#include "core/log.h"
#include "cmd/mcx.h"
#include "xcap/usage.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mcx [global options] COMMAND ...\n"
		"\n"
		"commands:\n"
		"  user add|list|delete|passwd|role ...   manage accounts (data directory)\n"
		"  doc get|put|delete|list|history|rollback ...   manage XCAP documents\n"
		"  userdb pull|update|watch ...           the MCPTT user database (TS 29.283 role)\n"
		"  token keygen|jwks|sign|verify ...      signing keys and access tokens (testing)\n"
		"  idms rotate-keys|client add|password   the identity management server's data\n"
		"  cmc login|sync|run|show ...            the UE's configuration management client\n"
		"  patch diff|apply ...                   RFC 5261 patches and xcap-diff bodies\n"
		"  sip list|show|end ...                  the SIP notifier's subscriptions (data directory)\n"
		"\n"
		"global options:\n"
		"  --data-dir DIR     the daemon's data directory (default ./var)\n"
		"  --config FILE      read the daemon's configuration file (for data-dir, xcap-root...)\n"
		"  --server URL       work on a running mcxd over HTTP (doc get|put|delete)\n"
		"  --user NAME        Digest user name for --server\n"
		"  --password PW      Digest password for --server (or $MCX_PASSWORD)\n"
		"  -k                 accept a self-signed TLS certificate with --server\n"
		"  --KEY VALUE        any mcxd configuration key (see mcxd --config-doc)\n"
		"  --help             this text; 'mcx COMMAND --help' for a command\n");
}

int mcx_read_password(const char *given, char *out, size_t len)
{
	const char *env = getenv("MCX_PASSWORD");

	if (given || env) {
		snprintf(out, len, "%s", given ? given : env);
		return 0;
	}
	if (isatty(0))
		fprintf(stderr, "password: ");
	if (!fgets(out, (int)len, stdin))
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return out[0] ? 0 : -1;
}

int mcx_open(struct mcx_ctx *x)
{
	struct store_opts so;
	struct xcap_handler_conf hc;
	char eb[512];

	if (x->store)
		return 0;
	if (xcap_usages_init(eb, sizeof(eb))) {
		fprintf(stderr, "mcx: %s\n", eb);
		return -1;
	}
	mcx_config_store(&x->cfg, &so);
	if (store_open(&x->store, &so, eb, sizeof(eb))) {
		fprintf(stderr, "mcx: cannot open %s: %s\n", so.dir, eb);
		return -1;
	}
	mcx_config_handler(&x->cfg, &hc);
	xcap_handler_init(&x->h, &hc, x->store);
	return 0;
}

int main(int argc, char **argv)
{
	struct mcx_ctx x;
	char eb[512];
	int i, rc = 2;

	memset(&x, 0, sizeof(x));
	if (mcx_config_init(&x.cfg))
		return 1;
	mcx_log_set_level(MCX_LOG_WARN);
	for (i = 1; i < argc && !strncmp(argv[i], "-", 1); i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			rc = 0;
			goto out;
		}
		if (!strcmp(a, "--version")) {
			printf("mcx %s\n", MCX_VERSION);
			rc = 0;
			goto out;
		}
		if (!strcmp(a, "-k")) {
			x.insecure = true;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "mcx: %s needs a value\n", a);
			goto out;
		}
		if (!strcmp(a, "--server"))
			x.server = argv[++i];
		else if (!strcmp(a, "--user"))
			x.user = argv[++i];
		else if (!strcmp(a, "--password"))
			x.password = argv[++i];
		else if (!strcmp(a, "--config")) {
			if (conf_load_file(x.cfg.parts, MCX_CONFIG_PARTS, argv[++i], eb, sizeof(eb))) {
				fprintf(stderr, "mcx: %s\n", eb);
				goto out;
			}
		} else if (!strncmp(a, "--", 2)) {
			if (conf_set(x.cfg.parts, MCX_CONFIG_PARTS, a + 2, argv[++i], eb, sizeof(eb))) {
				fprintf(stderr, "mcx: %s\n", eb);
				goto out;
			}
		} else {
			fprintf(stderr, "mcx: unknown option %s (try --help)\n", a);
			goto out;
		}
	}
	if (i >= argc) {
		usage(stderr);
		goto out;
	}
	if (!strcmp(argv[i], "user"))
		rc = cmd_user(&x, argc - i, argv + i);
	else if (!strcmp(argv[i], "doc"))
		rc = cmd_doc(&x, argc - i, argv + i);
	else if (!strcmp(argv[i], "userdb"))
		rc = cmd_userdb(&x, argc - i, argv + i);
	else if (!strcmp(argv[i], "token"))
		rc = cmd_token(&x, argc - i, argv + i);
	else if (!strcmp(argv[i], "idms"))
		rc = cmd_idms(&x, argc - i, argv + i);
	else if (!strcmp(argv[i], "patch"))
		rc = cmd_patch(&x, argc - i, argv + i);
	else if (!strcmp(argv[i], "sip"))
		rc = cmd_sip(&x, argc - i, argv + i);
	else if (!strcmp(argv[i], "cmc"))
		rc = cmd_cmc(&x, argc - i, argv + i);
	else if (!strcmp(argv[i], "dm"))
		rc = cmd_dm(&x, argc - i, argv + i);
	else {
		fprintf(stderr, "mcx: unknown command '%s' (try --help)\n", argv[i]);
		rc = 2;
	}
out:
	if (x.store) {
		store_close(x.store);
		xcap_usages_cleanup();
	}
	mcx_config_free(&x.cfg);
	return rc;
}
