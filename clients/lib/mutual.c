/*
 * Sparks and wishes for client programs (docs/PROTOCOL.md 8.1 and 9): each
 * function builds one request, waits for its reply and reads the fields a
 * caller needs. Like attune_call, a daemon's refusal is ATTUNE_EDAEMON with
 * the error reply in *err_out (when given) for its code and sentence.
 */
#include <string.h>

#include "clients/lib/attune-client.h"
#include "proto/err.h"

#define MUTUAL_TIMEOUT_MS 60000

/* Calls r; keeps an error reply for the caller, frees anything else but *keep. */
static int
call(struct attune_client *c, struct attune_req *r, int timeout_ms,
    struct attune_reply **rep, struct attune_reply **err_out)
{
	int rc = attune_call(c, r, rep, timeout_ms);

	attune_req_free(r);
	if (err_out != NULL)
		*err_out = NULL;
	if (rc == ATTUNE_EDAEMON && err_out != NULL) {
		*err_out = *rep;
		*rep = NULL;
	} else if (rc != 0 && *rep != NULL) {
		attune_reply_free(*rep);
		*rep = NULL;
	}
	return rc;
}

int
attune_spark(struct attune_client *c, const char *name, uint64_t for_s,
    char id[ATTUNE_SPARK_ID_LEN + 1], uint64_t *until, struct attune_reply **err_out)
{
	struct attune_req r;
	struct attune_reply *rep = NULL;
	int rc;

	if (c == NULL || name == NULL)
		return ATT_EINVAL;
	attune_req_begin(c, &r, "spark", 1 + (for_s != 0));
	attune_req_str(&r, "to", name);
	if (for_s != 0)
		attune_req_uint(&r, "for", for_s);
	if ((rc = call(c, &r, MUTUAL_TIMEOUT_MS, &rep, err_out)) != 0)
		return rc;
	if (id != NULL)
		rc = attune_get_strz(attune_reply_root(rep), "spark_id", id, ATTUNE_SPARK_ID_LEN + 1);
	if (rc == 0 && until != NULL)
		rc = attune_get_uint(attune_reply_root(rep), "until", until);
	attune_reply_free(rep);
	return rc;
}

int
attune_spark_cancel(struct attune_client *c, const char *name, int *cancelled,
    struct attune_reply **err_out)
{
	struct attune_req r;
	struct attune_reply *rep = NULL;
	int rc, v = 0;

	if (c == NULL || name == NULL)
		return ATT_EINVAL;
	attune_req_begin(c, &r, "spark", 1);
	attune_req_str(&r, "cancel", name);
	if ((rc = call(c, &r, MUTUAL_TIMEOUT_MS, &rep, err_out)) != 0)
		return rc;
	rc = attune_get_bool(attune_reply_root(rep), "cancelled", &v);
	if (cancelled != NULL)
		*cancelled = v;
	attune_reply_free(rep);
	return rc;
}

int
attune_wishes_set(struct attune_client *c, const char *item, const char *answer,
    struct attune_reply **err_out)
{
	struct attune_req r;
	struct attune_reply *rep = NULL;
	int rc;

	if (c == NULL || item == NULL || answer == NULL)
		return ATT_EINVAL;
	attune_req_begin(c, &r, "wishes-set", 2);
	attune_req_str(&r, "item", item);
	attune_req_str(&r, "answer", answer);
	if ((rc = call(c, &r, MUTUAL_TIMEOUT_MS, &rep, err_out)) == 0)
		attune_reply_free(rep);
	return rc;
}

int
attune_wishes_compare(struct attune_client *c, const char *name, int timeout_ms,
    struct attune_reply **out, struct attune_reply **err_out)
{
	struct attune_req r;

	if (c == NULL || name == NULL || out == NULL)
		return ATT_EINVAL;
	attune_req_begin(c, &r, "wishes-compare", 1);
	attune_req_str(&r, "with", name);
	return call(c, &r, timeout_ms, out, err_out);
}
