/*
 * shelterd.c: the daemon's global state (see shelterd.h), in a file of its
 * own so that every module can read it without depending on main.c.
 */
#include "shelterd.h"

struct shelterd sd;
