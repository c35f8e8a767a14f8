/* random.h: random ids and salts (web sessions, CSRF tokens, the case
 * salt). */
#ifndef SHELTERD_RANDOM_H
#define SHELTERD_RANDOM_H

/* 32 random bytes as 64 lowercase hex digits and a NUL into out. 0, or
 * -1 when the random source fails. */
int random_hex(char out[65]);

#endif
