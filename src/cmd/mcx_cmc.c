/* mcx cmc: placeholder until its issue lands (being written). */
#include <stdio.h>

#include "cmd/mcx.h"

int cmd_cmc(struct mcx_ctx *x, int argc, char **argv)
{
	(void)x;
	(void)argc;
	(void)argv;
	fprintf(stderr, "mcx cmc: not available yet\n");
	return 2;
}
