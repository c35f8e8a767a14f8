/*
 * table.h: the in-memory shelter table that matching runs against,
 * refreshed from the store (at start, after each reconnect, and for every
 * event that names a shelter: from the event itself when it moved only
 * counts, see table_event), so every instance sees the same table.
 */
#ifndef SHELTERD_TABLE_H
#define SHELTERD_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "shelter/match.h"
#include "shelter/model.h"

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
/*
 * Insert or replace one shelter from its live JSON in a store reply that
 * shows the shelter's change cseq (table_cseq_of; -1: not known). A reply
 * older than what the table holds of it changes nothing. 0, or -1 (logged).
 */
int table_put_json(const json_t *shelter, long long cseq);
/*
 * table_put_json for a shelter's row in a reply in fields (v[0..n), len[i]
 * 0: absent; table_read_fields). *read: the shelter as read (valid until
 * the next call), NULL when it does not read. 0, or -1 (logged).
 */
int table_put_row(const char *const *v, const size_t *len, size_t n,
    const struct shelter **read);
/* The cseq of result, a store reply with a shelter ("cseq"), or -1. */
long long table_cseq_of(const json_t *result);
/* The cseq the table holds of shelter id; -1: none or not known. */
long long table_cseq(const char *id);
/*
 * An event about shelter id that the store numbered change cseq (0: none).
 * counts: its data when the change moved only counts (capacity.changed),
 * else NULL. When the table holds that change already or took its
 * counts now (bumping what a reload would: generation, changes, index
 * bounds): 1 when a pool of the shelter has more free places than when an
 * event last asked (or it was never asked), else 0 (places were only
 * taken: nobody fits who did not before). -1 when the shelter must be
 * reloaded (table_refresh): not in the table, a change missed before it,
 * more than counts changed, or a whole reload in flight (whose pages only
 * refreshes stay in order with).
 */
int table_event(const char *id, long long cseq, const json_t *counts);
void table_remove(const char *id);
const struct shelter *table_get(const char *id);
/*
 * The hold a function this daemon called took in pool of shelter id as
 * change cseq of it (shd_submit's "cseq"): the caller reads its own write
 * without reloading the shelter, unless the table has it already (its
 * event or a reload came first). When changes before it are still on
 * their way, it is shown ahead of them until they come (table_refresh.c).
 * 0, or -1 when the table has no such shelter or pool or cseq is not
 * known (<= 0): reload it.
 */
int table_add_held(const char *id, const char *pool, long long cseq);
/*
 * table_add_held's part in the entry: 1 when added as the entry's next
 * change, 0 when the entry has that change already, 2 when added ahead
 * of changes it lacks (counts replaced by an older change lose it: add
 * it again with table_held_again), -1 when not added.
 */
int table_held(const char *id, const char *pool, long long cseq);
/* Add a hold ahead again after the entry's counts were replaced: as
 * table_held, but no table_on_take callback. */
int table_held_again(const char *id, const char *pool, long long cseq);
/*
 * cb(id, cseq, whole) runs whenever the entry of shelter id takes change
 * cseq, whole when its counts were replaced (by a reply or an event),
 * else one hold was added (id NULL: a reload swapped every entry in).
 * For table_refresh.c's holds ahead and placement_hint.c: each callback
 * is added once (two at most); NULL removes them all.
 */
void table_on_take(void (*cb)(const char *id, long long cseq, bool whole));
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
/* Is a refresh of a shelter other than except (NULL: any) queued or on its
 * way (table_refresh, table_fetch)? */
bool table_refreshing(const char *except);
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
/* The generation at which the whole table was last loaded (the swap of
 * a table_reload: at start and after every reconnect). */
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
 * A waitlist pass starts and will see the free places of every live
 * shelter as they are now: they become what the next event is compared
 * with (model_pools_freed), for the shelters changed after generation
 * since (all when the table no longer knows). So a shelter's first hold
 * after it was put or loaded wakes no pass either.
 */
void table_seen(uint64_t since);
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
