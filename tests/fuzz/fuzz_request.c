/*
 * fuzz_request.c: libFuzzer harness for the request parser (the input of
 * request.submit and match.preview): any JSON text must give a request or
 * an error naming a field, never a crash or a leak; a parsed request must
 * serialise.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "shelter/geo.h"
#include "shelter/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gazetteer *gaz;
	static int loaded;
	struct sh_error err;
	struct request req;
	json_error_t jerr;
	json_t *obj, *out;
	char gerr[256];

	if (!loaded) {
		loaded = 1;
		gaz = geo_gazetteer_load(geo_default_path(), gerr, sizeof gerr);
	}
	obj =
	    json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL)
		return 0;
	if (model_request_parse(obj, gaz, &req, &err) == 0) {
		if ((out = model_request_to_json(&req)) == NULL)
			abort();
		json_decref(out);
	} else if (err.message[0] == '\0') {
		abort(); /* every refusal says why */
	}
	json_decref(obj);
	return 0;
}
