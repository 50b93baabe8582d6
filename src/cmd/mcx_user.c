/* mcx user: add, list, delete, passwd and role of accounts. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd/mcx.h"
#include "core/mem.h"
#include "http/accounts.h"
#include "idms/idms.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mcx [--data-dir DIR] user COMMAND\n"
		"  add XUI [--admin] [--password PW]   create an account (XUI sip:name@domain or tel:...)\n"
		"  passwd XUI [--password PW]          set a new password\n"
		"  role XUI admin|user                  change the role\n"
		"  delete XUI                           remove the account (documents stay)\n"
		"  list                                 one line per account\n"
		"The password is read from --password, $MCX_PASSWORD or one line of stdin.\n"
		"Passwords are stored only as Digest HA1 hashes (MD5 and SHA-256).\n");
}

static int print_user(const struct store_user *u, void *arg)
{
	(void)arg;
	printf("%-40s %-6s realm=%s\n", u->xui, u->roles & STORE_ROLE_ADMIN ? "admin" : "user",
	       u->domain);
	return 0;
}

static int set_password(struct mcx_ctx *x, const char *xui, const char *pw_arg, unsigned roles,
			bool keep_roles)
{
	struct store_user u, *old = NULL;
	char pw[256];
	enum mcx_err err;

	if (mcx_read_password(pw_arg, pw, sizeof(pw))) {
		fprintf(stderr, "mcx: no password given\n");
		return 2;
	}
	if (keep_roles) {
		if (store_user_get(x->store, xui, &old)) {
			fprintf(stderr, "mcx: no such user %s\n", xui);
			return 1;
		}
		roles = old->roles;
		store_user_free(old);
	}
	err = account_make(&u, xui, pw, roles, x->cfg.http.realm);
	if (err) {
		fprintf(stderr, "mcx: %s: not a valid XUI (sip:name@domain or tel:+number)\n", xui);
		return 2;
	}
	err = store_user_put(x->store, &u);
	if (!err)   /* the same password logs in at the identity management server */
		err = idms_password_set(x->store, xui, pw);
	memset(pw, 0, sizeof(pw));
	mcx_free(u.xui);
	mcx_free(u.name);
	mcx_free(u.domain);
	if (err) {
		fprintf(stderr, "mcx: cannot store the account: %s\n", mcx_strerror(err));
		return 1;
	}
	return 0;
}

int cmd_user(struct mcx_ctx *x, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL, *pw = NULL;
	bool admin = false;
	int i;

	if (!sub || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		usage(sub ? stdout : stderr);
		return sub ? 0 : 2;
	}
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--admin"))
			admin = true;
		else if (!strcmp(argv[i], "--password") && i + 1 < argc)
			pw = argv[++i];
	}
	if (x->server) {
		fprintf(stderr, "mcx: user commands work on the data directory (--data-dir), not --server\n");
		return 2;
	}
	if (mcx_open(x))
		return 1;
	if (!strcmp(sub, "list"))
		return store_user_list(x->store, print_user, NULL) ? 1 : 0;
	if (argc < 3) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(sub, "add")) {
		struct store_user *old = NULL;

		if (!store_user_get(x->store, argv[2], &old)) {
			store_user_free(old);
			fprintf(stderr, "mcx: %s already exists (use passwd or role)\n", argv[2]);
			return 1;
		}
		return set_password(x, argv[2], pw, admin ? STORE_ROLE_ADMIN : 0, false);
	}
	if (!strcmp(sub, "passwd"))
		return set_password(x, argv[2], pw, 0, true);
	if (!strcmp(sub, "delete")) {
		if (store_user_del(x->store, argv[2])) {
			fprintf(stderr, "mcx: no such user %s\n", argv[2]);
			return 1;
		}
		return 0;
	}
	if (!strcmp(sub, "role") && argc >= 4) {
		struct store_user *u = NULL;
		enum mcx_err err;

		if (strcmp(argv[3], "admin") && strcmp(argv[3], "user")) {
			fprintf(stderr, "mcx: role is admin or user\n");
			return 2;
		}
		if (store_user_get(x->store, argv[2], &u)) {
			fprintf(stderr, "mcx: no such user %s\n", argv[2]);
			return 1;
		}
		u->roles = !strcmp(argv[3], "admin") ? STORE_ROLE_ADMIN : 0;
		err = store_user_put(x->store, u);
		store_user_free(u);
		return err ? 1 : 0;
	}
	usage(stderr);
	return 2;
}
