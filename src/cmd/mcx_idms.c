/* mcx idms: operate the identity management server's data on the data
 * directory: rotate the signing keys, register clients, set passwords. */
#include <stdio.h>
#include <string.h>

#include "cmd/mcx.h"
#include "idms/idms.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mcx [--data-dir DIR] idms COMMAND\n"
		"  rotate-keys [--alg ES256|RS256]   a new signing key; the old one stays in the\n"
		"                                    JWKS for idms-key-grace seconds, so issued tokens\n"
		"                                    keep working (a running mcxd picks it up)\n"
		"  client add CLIENT-ID REDIRECT-URI [REDIRECT-URI ...]\n"
		"                                    register a client (exact redirect URIs; for\n"
		"                                    http://127.0.0.1 loopback URIs any port is allowed)\n"
		"  password XUI [--password PW]      set the login password (argon2id) of an account\n");
}

int cmd_idms(struct mcx_ctx *x, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	char eb[512];
	int i;

	if (!sub || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		usage(sub ? stdout : stderr);
		return sub ? 0 : 2;
	}
	if (x->server) {
		fprintf(stderr, "mcx: idms commands work on the data directory (--data-dir)\n");
		return 2;
	}
	if (!strcmp(sub, "rotate-keys")) {
		const char *alg = "ES256";

		for (i = 2; i + 1 < argc; i++)
			if (!strcmp(argv[i], "--alg"))
				alg = argv[i + 1];
		if (idms_rotate_keys(x->cfg.general.data_dir, alg, eb, sizeof(eb))) {
			fprintf(stderr, "mcx: %s\n", eb);
			return 1;
		}
		fprintf(stderr, "new %s signing key in %s/idms\n", alg, x->cfg.general.data_dir);
		return 0;
	}
	if (mcx_open(x))
		return 1;
	if (!strcmp(sub, "client") && argc >= 5 && !strcmp(argv[2], "add")) {
		char uris[4096] = "";
		size_t o = 0;

		for (i = 4; i < argc; i++)
			o += (size_t)snprintf(uris + o, o < sizeof(uris) ? sizeof(uris) - o : 0, "%s%s",
					      i > 4 ? "\n" : "", argv[i]);
		if (o >= sizeof(uris) || idms_client_add(x->store, argv[3], uris)) {
			fprintf(stderr, "mcx: cannot register client %s\n", argv[3]);
			return 1;
		}
		return 0;
	}
	if (!strcmp(sub, "password") && argc >= 3) {
		char pw[256];
		const char *given = NULL;

		for (i = 3; i + 1 < argc; i++)
			if (!strcmp(argv[i], "--password"))
				given = argv[i + 1];
		if (mcx_read_password(given, pw, sizeof(pw))) {
			fprintf(stderr, "mcx: no password given\n");
			return 2;
		}
		if (idms_password_set(x->store, argv[2], pw)) {
			memset(pw, 0, sizeof(pw));
			fprintf(stderr, "mcx: cannot set the password of %s\n", argv[2]);
			return 1;
		}
		memset(pw, 0, sizeof(pw));
		return 0;
	}
	usage(stderr);
	return 2;
}
