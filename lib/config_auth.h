/*
 * config_auth.h: the key table of shelterd.yaml's auth section (lib/ only).
 */
#ifndef SHELTER_CONFIG_AUTH_H
#define SHELTER_CONFIG_AUTH_H

#include "key.h"

/* peers and tokens into a struct config; duplicates are errors. */
extern const struct key config_auth_keys[];

#endif
