/* random.c: random ids and salts from OpenSSL's generator. */
#include <openssl/rand.h>

#include "random.h"

/* 32 random bytes as 64 hex digits: see random.h. */
int
random_hex(char out[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char r[32];
	int i;

	if (RAND_bytes(r, sizeof r) != 1)
		return -1;
	for (i = 0; i < 32; i++) {
		out[2 * i] = digits[r[i] >> 4];
		out[2 * i + 1] = digits[r[i] & 0xf];
	}
	out[64] = '\0';
	return 0;
}
