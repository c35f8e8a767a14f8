/*
 * frame.h: the line framing of the socket protocol, on a libevent input
 * buffer: one JSON-RPC message per line, "\n" or "\r\n" terminated, at
 * most max bytes without the terminator.
 *
 * Apart from the connection (conn.c) so that a fuzzer drives it alone.
 */
#ifndef SHELTERD_FRAME_H
#define SHELTERD_FRAME_H

#include <stddef.h>

#include <event2/buffer.h>

enum frame_result {
	FRAME_MORE, /* no complete line yet, and none too long so far */
	FRAME_LINE, /* *line (caller frees) of *len bytes, terminator gone */
	FRAME_TOO_LONG, /* a line is over max: a protocol error, close */
	FRAME_NOMEM
};

/*
 * The next line of in, removed from it with its terminator. An empty line
 * is a FRAME_LINE of length 0. A line over max bytes is FRAME_TOO_LONG as
 * soon as that is certain (max + 1 bytes without "\n", unless the last
 * one is a "\r" that may still end the line), with in left as it was.
 */
enum frame_result frame_next(
    struct evbuffer *in, size_t max, char **line, size_t *len);

#endif
