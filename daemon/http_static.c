/*
 * http_static.c: the web view's files, compiled into the binary from
 * daemon/web/ by tools/embed_web.sh. "/" is index.html. Nothing is read
 * from the disk at run time.
 */
#include <string.h>

#include "http_internal.h"

struct web_asset {
	const char *path, *type, *data;
	size_t len;
};
extern const struct web_asset web_assets[];

/* An embedded file: see http_internal.h. */
bool
http_static(struct evhttp_request *req, const char *path)
{
	const struct web_asset *a;
	struct evbuffer *b;

	if (strcmp(path, "/") == 0)
		path = "/index.html";
	for (a = web_assets; a->path != NULL; a++)
		if (strcmp(a->path, path) == 0)
			break;
	if (a->path == NULL)
		return false;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		http_send_error(req, 405, "method", "GET or HEAD only");
		return true;
	}
	if ((b = evbuffer_new()) == NULL) {
		http_send(req, 500, NULL, NULL);
		return true;
	}
	evbuffer_add_reference(b, a->data, a->len, NULL, NULL);
	http_send(req, 200, a->type, b);
	evbuffer_free(b);
	return true;
}
