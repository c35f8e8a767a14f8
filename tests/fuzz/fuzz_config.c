/*
 * fuzz_config.c: libFuzzer harness for the config loader (shelterd -t and
 * every start and reload): any bytes as shelterd.yaml give a config or
 * errors, each "FILE:LINE:COL: message", never a crash or a leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shelter/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void
fuzz_config_cleanup(void)
{
	unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_errors errs = {0};
	struct config *cfg;
	size_t i, plen;
	FILE *f;

	if (path[0] == '\0') {
		snprintf(path, sizeof path, "/tmp/fuzz-config-%ld.yaml",
		    (long)getpid());
		atexit(fuzz_config_cleanup);
	}
	if ((f = fopen(path, "wb")) == NULL)
		return 0;
	if (size > 0 && fwrite(data, 1, size, f) != size) {
		fclose(f);
		return 0;
	}
	fclose(f);
	cfg = config_load(path, &errs);
	if ((cfg == NULL) == (errs.n == 0))
		abort(); /* a config, or at least one error */
	plen = strlen(path);
	for (i = 0; i < errs.n; i++)
		if (strncmp(errs.v[i], path, plen) != 0 ||
		    errs.v[i][plen] != ':')
			abort(); /* every error names the file */
	config_free(cfg);
	config_errors_free(&errs);
	return 0;
}
