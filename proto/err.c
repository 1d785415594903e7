#include <stddef.h>

#include "proto/err.h"

struct err_name {
	const char *code;
	const char *text;
};

/* Indexed by -err. */
static const struct err_name err_names[] = {
	{ "ok", "success" },
	{ "no-memory", "out of memory" },
	{ "invalid-argument", "invalid argument" },
	{ "truncated", "input ended too early" },
	{ "too-big", "length over the limit" },
	{ "malformed", "malformed encoding" },
	{ "not-a-map", "message is not a map with string keys" },
	{ "wrong-type", "a field has the wrong type" },
	{ "missing-key", "a required field is missing" },
	{ "string-too-long", "a string is over its limit" },
	{ "binary-too-long", "a binary field is over its limit" },
	{ "array-too-long", "an array or map is over its limit" },
	{ "too-deep", "nesting too deep" },
	{ "trailing-bytes", "bytes after the end of the message" },
	{ "unknown-type", "unknown message type" },
	{ "out-of-range", "a value is out of range" },
	{ "decrypt-failed", "decryption failed" },
	{ "auth-failed", "authentication failed" },
	{ "bad-key", "invalid public key" },
	{ "nonce-exhausted", "nonce space exhausted" },
	{ "bad-state", "not valid in this state" },
	{ "replay", "duplicate or replayed message" },
	{ "too-far-ahead", "message too far ahead" },
	{ "unsupported-version", "unsupported version" },
	{ "bad-address", "bad relay address" },
	{ "bad-port", "bad port" },
	{ "bad-key-length", "key has the wrong length" },
	{ "bad-encoding", "bad characters in encoded data" },
	{ "io-error", "input/output error" },
	{ "unknown-word", "word not in the word list" },
	{ "bad-code", "malformed pairing code" },
	{ "not-found", "not found" },
	{ "exists", "already exists" },
	{ "not-allowed", "not allowed" },
	{ "limit", "limit reached" },
	{ "corrupt", "stored data is corrupt" },
};

_Static_assert(sizeof(err_names) / sizeof(err_names[0]) == 1 - ATT_ERR_MIN,
    "one name per error code");

static const struct err_name *
err_lookup(int err)
{
	if (err > 0 || err < ATT_ERR_MIN)
		return NULL;
	return &err_names[-err];
}

const char *
att_errcode(int err)
{
	const struct err_name *e = err_lookup(err);
	return e ? e->code : "internal";
}

const char *
att_strerror(int err)
{
	const struct err_name *e = err_lookup(err);
	return e ? e->text : "internal error";
}
