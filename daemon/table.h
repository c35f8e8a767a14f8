/*
 * table.h: the in-memory shelter table that matching runs against,
 * refreshed from the store (at start, after each reconnect, and for every
 * event that names a shelter), so every instance sees the same table.
 */
#ifndef SHELTERD_TABLE_H
#define SHELTERD_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "shelter/match.h"
#include "shelter/model.h"

/* Replace the whole table from a JSON array of shelters (live form). */
int table_load(const json_t *shelters);
/*
 * Reload the whole table in pages of shd_shelter_rows, then done(arg, ok);
 * ok false: the store failed and the table is unchanged. 0, or -1 (done
 * not called) when it could not be sent.
 */
int table_reload(void (*done)(void *, bool ok), void *arg);
/* Is a reload in flight? */
bool table_reloading(void);
/* table_tabs.c: note the packed form of s, which a reload read from its
 * JSON; at the reload's end write them (ok) or drop them; free them. */
void table_tabs_note(const struct shelter *s);
void table_tabs_send(bool ok);
void table_tabs_free(void);
/* Insert or replace one shelter from its JSON (live form). */
int table_put_json(const json_t *shelter);
void table_remove(const char *id);
const struct shelter *table_get(const char *id);
/*
 * Add dheld to the held count of pool of shelter id, as a function this
 * daemon called did in the store (shd_submit took a hold): the caller
 * reads its own write without reloading the shelter. Correct because the
 * table only changes from replies on the command connection, in order: no
 * reply already applied ran after that function, and the reload the
 * change's event asks for runs after it. 0, or -1 when the table has no
 * such shelter or pool (then reload it).
 */
int table_add_held(const char *id, const char *pool, int dheld);
/* The shelters, sorted by id; valid until the next change. */
const struct shelter *const *table_all(size_t *n);
/*
 * Reload one shelter from the store (async); removes it if gone. Refreshes
 * asked for in one loop iteration are sent together, once per id, after
 * its callbacks ran (events: a batch of them names a shelter many times).
 */
void table_refresh(const char *id);
/*
 * Send the refreshes table_refresh queued now, not at the end of the loop
 * iteration: a store call sent after this one sees its reply after theirs.
 */
void table_flush_pending(void);
/*
 * Reload one shelter now (async), then done(arg) (NULL: none) once the
 * table holds what the store had when the call ran. It supersedes a
 * queued table_refresh of the same id. 0, or -1 when it could not be sent
 * (done is not called).
 */
int table_fetch(const char *id, void (*done)(void *), void *arg);
/*
 * The match result to match against the table with, kept for the life of
 * the daemon: match_run grows its buffers once, then reuses them, so a
 * match allocates nothing. Its pointers borrow from the table and it is
 * overwritten by the next match: use it before returning to the event
 * loop and copy what a callback needs later.
 */
struct match_result *table_scratch(void);
/*
 * The generation of the table: counted up by every change (an entry put,
 * its counts or held places changed, one removed, a reload swapped in).
 */
uint64_t table_gen(void);
/* The generation at which the whole table was last loaded (table_load,
 * or the swap of a table_reload: at start and after every reconnect). */
uint64_t table_loaded_gen(void);
/* The generation of the last change of s, a shelter of the table. */
uint64_t table_shelter_gen(const struct shelter *s);
/*
 * The live shelters whose last change came after generation since (a
 * removal is no shelter), newest first, in a buffer valid until the next
 * call or change; *n of them. NULL when the table no longer knows (a
 * whole load since, or more changes than it keeps): any may have changed.
 */
const struct shelter *const *table_changed_since(uint64_t since, size_t *n);
/*
 * The index of table_all() for match_run_indexed, rebuilt here when an
 * insert or removal made it stale; valid until the next change. NULL on
 * ENOMEM (logged): match without it.
 */
const struct match_index *table_index(void);
/* Free every shelter and the scratch result (at exit). */
void table_free(void);

/* Free the queue of table_refresh (table_refresh.c). */
void table_refresh_free(void);

#endif
