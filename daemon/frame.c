/*
 * frame.c: lines out of a libevent input buffer (see frame.h).
 */
#include <stdbool.h>
#include <stdlib.h>

#include "frame.h"

/* Is the byte at pos a "\r" (that may still be a terminator)? */
static bool
frame_cr_at(struct evbuffer *in, size_t pos)
{
	struct evbuffer_ptr p;
	char ch;

	if (evbuffer_ptr_set(in, &p, pos, EVBUFFER_PTR_SET) == -1 ||
	    evbuffer_copyout_from(in, &p, &ch, 1) != 1)
		return false;
	return ch == '\r';
}

/* The next line of in (see frame.h). */
enum frame_result
frame_next(struct evbuffer *in, size_t max, char **line, size_t *len)
{
	struct evbuffer_ptr p;
	size_t n, eol;

	*line = NULL;
	*len = 0;
	p = evbuffer_search_eol(in, NULL, &eol, EVBUFFER_EOL_CRLF);
	if (p.pos < 0) {
		n = evbuffer_get_length(in);
		if (n > max + 1 || (n == max + 1 && !frame_cr_at(in, max)))
			return FRAME_TOO_LONG;
		return FRAME_MORE;
	}
	if ((size_t)p.pos > max)
		return FRAME_TOO_LONG;
	if ((*line = evbuffer_readln(in, len, EVBUFFER_EOL_CRLF)) == NULL)
		return FRAME_NOMEM;
	return FRAME_LINE;
}
