/*
 * What every request handler shares: error replies, the clock and the
 * display names of people.
 */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "daemon/call.h"
#include "daemon/ctx.h"
#include "daemon/keys.h"
#include "daemon/store.h"
#include "proto/err.h"
#include "proto/msg.h"

int
call_fail(struct call *k, const char *code, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	msg_out_reset(k->out);
	msg_out_error_code(k->out, k->id, code, text);
	return -1;
}

int
call_fail_field(struct call *k, int err, const char *field)
{
	if (err == ATT_ERANGE)
		return call_fail(k, "out-of-range", "%s is out of range", field);
	return call_fail(k, att_errcode(err), "%s: %s", field, att_strerror(err));
}

uint64_t
call_now(void)
{
	return (uint64_t)time(NULL);
}

const char *
call_namer_fn(void *arg, const uint8_t key[32])
{
	struct call_namer *n = arg;

	if (n->d->keys != NULL && sodium_memcmp(key, keys_person_pk(n->d->keys), 32) == 0)
		return n->d->name;
	if (n->d->store != NULL && store_partner_get(n->d->store, key, &n->p) == 0)
		return n->p.name;
	return NULL;
}

int
call_get_offset(struct call *k, uint64_t *offset)
{
	int r = msg_get_uint(k->m, "offset", UINT32_MAX, offset);

	if (r == ATT_EMISSING) {
		*offset = 0;
		return 0;
	}
	return r != 0 ? call_fail_field(k, r, "offset") : 0;
}

