/*
 * debug.c: debug.advance (see debug.h).
 *
 * The store keeps the clock's offset (shd_clock_advance adds to it and
 * emits the internal clock.advanced, which every other daemon sharing the
 * store follows in events.c); this daemon takes the new offset from the
 * reply, then the hold sweep, the retention sweep and the checks go on
 * the same connection after it, so they run at the new time, and the
 * reply waits for them.
 */
#include <stdio.h>

#include "alerts.h"
#include "audit.h"
#include "clock.h"
#include "debug.h"
#include "log.h"
#include "placement.h"
#include "store.h"

/* Ten years: more is a typo, not a test. */
#define DEBUG_ADVANCE_MAX (10LL * 366 * 86400)

static void
debug_advance_checked(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;
	char buf[32];

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	model_time_format(clock_now_ms(), buf, sizeof buf);
	call_reply(call, json_pack("{s:s}", "now", buf));
}

static void
debug_advance_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;
	json_t *off = json_object_get(result, "offset_ms");
	struct sh_error e2;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	if (json_is_integer(off) && json_integer_value(off) > clock_offset_ms())
		clock_set_offset_ms(json_integer_value(off));
	log_info("debug: clock advanced by %lld s (offset %lld ms)",
	    (long long)json_integer_value(
	        json_object_get(call->params, "seconds")),
	    clock_offset_ms());
	placement_sweep_now();
	audit_retention_now();
	/* Pipelined after the sweeps: its reply means all ran. */
	if (alerts_run(debug_advance_checked, call, &e2) == -1)
		call_error(call, &e2);
}

/* debug.advance {seconds}: see debug.h. */
void
debug_advance(struct call *call)
{
	json_int_t s =
	    json_integer_value(json_object_get(call->params, "seconds"));
	struct sh_error err;

	if (s < 1 || s > DEBUG_ADVANCE_MAX) {
		call_errorf(call, SH_INVALID_PARAMS, "invalid_field", "seconds",
		    "must be an integer from 1 to %lld", DEBUG_ADVANCE_MAX);
		return;
	}
	if (store_clock_advance(s, debug_advance_done, call, &err) == -1)
		call_error(call, &err);
}
