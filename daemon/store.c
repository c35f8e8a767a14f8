/*
 * store.c: hiredis 0.14 async wrapper (stub until the real one lands).
 */
#include <stdarg.h>

#include "log.h"
#include "store.h"

extern const char store_functions_lua[];

static int
store_down(struct sh_error *err)
{
	return sh_error_set(err, SH_UNAVAILABLE, "store_unavailable", NULL,
	    "store unavailable: nothing was changed; safe to retry");
}

int
store_start(struct event_base *base, const struct config *cfg,
    void (*on_up)(void), void (*on_down)(void))
{
	(void)base;
	(void)cfg;
	(void)on_up;
	(void)on_down;
	return 0;
}

void
store_stop(void)
{
}

bool
store_is_up(void)
{
	return false;
}

long long
store_rtt_us(void)
{
	return 0;
}

int
store_fcall(const char *fn, int argc, const char **argv, const size_t *lens,
    store_cb *cb, void *arg, struct sh_error *err)
{
	return store_down(err);
}

int
store_fcallv(const char *fn, store_cb *cb, void *arg, struct sh_error *err,
    ...)
{
	return store_down(err);
}

int
store_events_after(const char *id, size_t count, store_range_cb *cb,
    void *arg, struct sh_error *err)
{
	return store_down(err);
}

int
store_events_last(store_range_cb *cb, void *arg, struct sh_error *err)
{
	return store_down(err);
}

void
store_tail(const char *from_id, store_event_cb *cb, void *arg)
{
}

const char *
store_tail_last_id(void)
{
	return "0-0";
}
