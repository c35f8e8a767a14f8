/*
 * fuzz_rpc.c: libFuzzer harness for the envelope codec and the strict
 * object parsers: any bytes must give a message or an error, never a crash
 * or a leak.
 */
#include <stddef.h>
#include <stdint.h>

#include "shelter/model.h"
#include "shelter/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpc_msg msg;
	struct sh_error err;
	struct request req;
	struct shelter sh;
	json_t *id = NULL, *obj;

	if (rpc_parse((const char *)data, size, &msg, &id, &err) == 0) {
		obj = json_object_get(msg.params, "request");
		if (obj != NULL)
			model_request_parse(obj, NULL, &req, &err);
		obj = json_object_get(msg.params, "shelter");
		if (obj != NULL)
			model_shelter_parse(obj, NULL, 0, &sh, &err);
		rpc_msg_free(&msg);
	}
	json_decref(id);
	return 0;
}
