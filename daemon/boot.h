/*
 * boot.h: what happens when the store comes up: the shelter table is
 * (re)loaded, the seed shelters of the config are applied with shelter.put
 * semantics, the waitlist is woken; and whether the daemon serves yet.
 */
#ifndef SHELTERD_BOOT_H
#define SHELTERD_BOOT_H

#include <stdbool.h>
#include <stddef.h>

#include "shelter/model.h"

/*
 * The store came up (at start or after a reconnect): reload the shelter
 * table, apply the seed shelters if they are pending, wake the waitlist.
 * ready (may be NULL) runs once the table is loaded and the seed applied;
 * from the first time on, boot_ready() is true. main.c calls it from the
 * store's on_up.
 */
void boot_store_up(void (*ready)(void));
/*
 * Set the seed shelters from the config (shelters: file), to be applied
 * with shelter.put semantics now if the store is up, else at the next
 * boot_store_up. Takes ownership of the array (malloc'ed).
 */
void boot_set_seed(struct shelter *shelters, size_t n);
/*
 * Has the table been loaded and the seed applied once? Until then, calls
 * other than session.auth and session.ping answer -32010, so nothing is
 * matched against an empty table.
 */
bool boot_ready(void);
/* Free the seed and the shelter table. */
void boot_free(void);

#endif
