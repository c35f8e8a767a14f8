/*
 * model_field.h: strict readers of JSON object fields (lib/ only: model*.c).
 *
 * base is the dotted path of obj ("" at the top); errors name
 * base.key. The model_get_* readers return 1 when the field is present and
 * valid (stored in *out), 0 when it is absent and optional (*out left
 * alone), -1 with err filled when it is missing but required or invalid.
 */
#ifndef SHELTER_MODEL_FIELD_H
#define SHELTER_MODEL_FIELD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "shelter/error.h"
#include "shelter/model.h"

#define MODEL_PATH_MAX 128 /* longer paths are cut short */

struct model_enum;

/* invalid_field at path with a formatted message. Returns -1. */
int model_field_invalid(struct sh_error *err, const char *path, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
/* "base.key" (or key at the top) into buf of MODEL_PATH_MAX bytes. */
void model_field_path(char *buf, const char *base, const char *key);
/* "base.i" into buf of MODEL_PATH_MAX bytes. */
void model_field_path_index(char *buf, const char *base, size_t i);
/* The first key of obj in neither list is unknown_field: 0 or -1. */
/* Every key of obj not in allowed is unknown_field, appended to all;
 * returns -1 when there was one. */
int model_field_check_keys_all(const json_t *obj, const char *base,
    const char *const *allowed, struct sh_errors *all);
int model_field_check_keys(const json_t *obj, const char *base,
    const char *const *allowed, const char *const *extra, struct sh_error *err);
/* obj.key into *v (borrowed) and its path into path (MODEL_PATH_MAX). */
int model_field_get(const json_t *obj, const char *base, const char *key,
    bool required, json_t **v, char *path, struct sh_error *err);
/* A name of the enum table tab. */
int model_field_get_enum(const json_t *obj, const char *base, const char *key,
    bool required, const struct model_enum *tab, int *out,
    struct sh_error *err);
/* An integer from lo to hi. */
int model_field_get_int(const json_t *obj, const char *base, const char *key,
    bool required, long long lo, long long hi, int *out, struct sh_error *err);
/* An optional finite number from lo to hi. */
int model_field_get_number(const json_t *obj, const char *base, const char *key,
    double lo, double hi, double *out, struct sh_error *err);
/* An optional boolean. */
int model_field_get_bool(const json_t *obj, const char *base, const char *key,
    bool *out, struct sh_error *err);
/*
 * A string of 1..max bytes without NUL into dst (max + 1 bytes); valid,
 * when set, checks its form and rule is the message when it fails.
 */
int model_field_get_text(const json_t *obj, const char *base, const char *key,
    bool required, size_t max, bool (*valid)(const char *), const char *rule,
    char *dst, struct sh_error *err);
/* An array of distinct names of tab as a mask of 1u << value. */
int model_field_get_set(const json_t *obj, const char *base, const char *key,
    bool required, bool nonempty, const struct model_enum *tab,
    const char *noun, unsigned *mask, struct sh_error *err);
/* obj.languages: at most MODEL_LANG_MAX distinct ISO 639-1 codes. */
int model_field_get_langs(const json_t *obj, const char *base, lang_t *langs,
    int *n, struct sh_error *err);
/* An object at obj.key into *v (borrowed), its path into path. */
int model_field_get_object(const json_t *obj, const char *base, const char *key,
    bool required, json_t **v, char *path, struct sh_error *err);
/* A location {municipality, lat, lon}; gaz resolves a name alone. */
int model_field_get_location(const json_t *obj, const char *base,
    const char *key, bool required, const struct gazetteer *gaz,
    struct location *out, struct sh_error *err);

#endif
