/*
 * fuzz_frame.c: libFuzzer harness for the line framing (daemon/frame.c).
 * The input is split into reads at the positions its first bytes choose;
 * the lines framed must be exactly the input's lines, each at most max
 * bytes without "\n", and a line over max must be reported, never cut.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FRAME_FUZZ_MAX 64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer *in;
	size_t off, chunk, done = 0, len, nl, want;
	const uint8_t *body, *cut;
	size_t nbody, ncut = 0;
	enum frame_result fr = FRAME_MORE;
	char *line;

	if (size < 1)
		return 0;
	ncut = data[0] % 8;
	if (size < 1 + ncut)
		return 0;
	cut = data + 1;
	body = data + 1 + ncut;
	nbody = size - 1 - ncut;
	if ((in = evbuffer_new()) == NULL)
		return 0;
	for (off = 0; off < nbody && fr != FRAME_TOO_LONG;) {
		chunk = ncut > 0 ? 1 + cut[off % ncut] % 32 : nbody;
		if (chunk > nbody - off)
			chunk = nbody - off;
		evbuffer_add(in, body + off, chunk);
		off += chunk;
		while ((fr = frame_next(in, FRAME_FUZZ_MAX, &line, &len)) ==
		    FRAME_LINE) {
			/* The line is the input from done up to its "\n". */
			const uint8_t *e =
			    memchr(body + done, '\n', off - done);

			if (e == NULL)
				abort();
			nl = (size_t)(e - (body + done));
			want =
			    nl > 0 && body[done + nl - 1] == '\r' ? nl - 1 : nl;
			if (len != want || len > FRAME_FUZZ_MAX ||
			    memcmp(line, body + done, len) != 0)
				abort();
			done += nl + 1;
			free(line);
		}
		if (fr == FRAME_NOMEM)
			abort();
	}
	if (fr == FRAME_TOO_LONG) {
		/* Certain: no "\n" within max + 1 bytes of the line's start
		 * (max + 2 when the byte at max is a "\r"). */
		const uint8_t *e = memchr(body + done, '\n', off - done);
		size_t have = e ? (size_t)(e - (body + done)) : off - done;

		if (e != NULL && have > 0 && body[done + have - 1] == '\r')
			have--; /* the line without its terminator */
		if (e != NULL ? have <= FRAME_FUZZ_MAX
		              : !(have > FRAME_FUZZ_MAX + 1 ||
		                    (have == FRAME_FUZZ_MAX + 1 &&
		                        body[done + FRAME_FUZZ_MAX] != '\r')))
			abort();
	} else if (evbuffer_get_length(in) != nbody - done) {
		abort(); /* nothing lost, nothing invented */
	}
	evbuffer_free(in);
	return 0;
}
