// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The command line: the input is argv[1..], its arguments separated by
 * NUL bytes (as /proc/PID/cmdline has them). args__parse() must answer
 * every one with 0, 1 or -1 and never exit(): it parses with
 * ARGP_NO_EXIT.
 */
#include <stdlib.h>
#include "args.h"
#include "fuzz.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2], *copy;
	struct rst_config cfg;
	size_t n;
	int ret;

	argv[0] = "rsttrace";
	n = size ? fuzz__split(data, size, '\0', argv + 1, MAX_ARGS, &copy) :
		   (copy = NULL, 0);
	argv[n + 1] = NULL;
	ret = args__parse((int)n + 1, argv, &cfg);
	if (ret < -1 || ret > 1)
		abort();
	if (!ret) {
		/* what the parser promised the rest of the program */
		if (cfg.npids > RST_MAX_PIDS || cfg.nlports > RST_MAX_PORTS ||
		    cfg.nrports > RST_MAX_PORTS || cfg.nports > RST_MAX_PORTS)
			abort();
		if (cfg.output_keep > RST_OUTPUT_KEEP_MAX)
			abort();
		if (!!cfg.cgroup + !!cfg.unit + !!cfg.container + !!cfg.pod > 1)
			abort();
	}
	free(copy);
	return 0;
}
