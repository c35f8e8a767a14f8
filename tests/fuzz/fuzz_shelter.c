/*
 * fuzz_shelter.c: libFuzzer harness for the shelter parser (shelter.put
 * and the seed file's objects): any JSON text gives a shelter or an
 * error; a parsed shelter written with its live fields parses again as a
 * stored shelter (the form the daemon reads back from Redis), and packed
 * (the table's row form) it reads back to the same packed text. The bytes
 * themselves as a packed text read or are refused, never crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shelter/geo.h"
#include "shelter/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gazetteer *gaz;
	static int loaded;
	struct sh_error err;
	static struct shelter sh, back;
	static char tab[MODEL_PACK_MAX], again[MODEL_PACK_MAX];
	int n;
	json_error_t jerr;
	json_t *obj, *out;
	char gerr[256];

	if (!loaded) {
		loaded = 1;
		gaz = geo_gazetteer_load(geo_default_path(), gerr, sizeof gerr);
	}
	(void)model_shelter_unpack((const char *)data, size, &back);
	obj =
	    json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL)
		return 0;
	if (model_shelter_parse(obj, gaz, 0, &sh, &err) == 0) {
		if ((out = model_shelter_to_json(&sh, MODEL_LIVE)) == NULL)
			abort();
		if (model_shelter_parse(out, gaz, MODEL_STORED, &back, &err) !=
		    0)
			abort(); /* what we write, we read */
		json_decref(out);
		if ((n = model_shelter_pack(&sh, tab, sizeof tab)) < 0 ||
		    model_shelter_unpack(tab, (size_t)n, &back) != 0 ||
		    model_shelter_pack(&back, again, sizeof again) != n ||
		    memcmp(tab, again, (size_t)n) != 0)
			abort(); /* what we pack, we unpack */
	}
	json_decref(obj);
	return 0;
}
