/*
 * placements.h: the placement methods of the shelters' side
 * (placements.c).
 */
#ifndef SHELTERD_PLACEMENTS_H
#define SHELTERD_PLACEMENTS_H

#include "methods.h"

method_fn placements_list; /* placement.list */

#endif
