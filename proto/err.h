/*
 * One error convention for proto/: functions return 0 (or a length) on
 * success and a negative ATT_E* code on failure; they never exit or print.
 * Each code has a stable kebab-case name, the "code" of an error frame.
 */
#ifndef ATTUNE_ERR_H
#define ATTUNE_ERR_H

enum att_err {
	ATT_OK = 0,
	ATT_ENOMEM = -1,      /* out of memory */
	ATT_EINVAL = -2,      /* bad argument from the caller */
	ATT_ETRUNCATED = -3,  /* input ended in the middle of something */
	ATT_ETOOBIG = -4,     /* a length over its limit (frame, buffer) */
	ATT_EMALFORMED = -5,  /* not well-formed msgpack / encoding */
	ATT_ENOTMAP = -6,     /* message is not a map with string keys */
	ATT_EWRONGTYPE = -7,  /* a field has the wrong type */
	ATT_EMISSING = -8,    /* a required key is absent */
	ATT_ESTRLONG = -9,    /* string over its limit */
	ATT_EBINLONG = -10,   /* binary over its limit */
	ATT_EARRLONG = -11,   /* array or map over its limit */
	ATT_EDEPTH = -12,     /* nesting too deep */
	ATT_ETRAILING = -13,  /* bytes after the message */
	ATT_EUNKNOWNTYPE = -14, /* "t" names no known message */
	ATT_ERANGE = -15,     /* a value out of its allowed range */
	ATT_EDECRYPT = -16,   /* authentication of ciphertext failed */
	ATT_EAUTH = -17,      /* signature, MAC or key confirmation failed */
	ATT_EBADKEY = -18,    /* invalid public key or point */
	ATT_ENONCE = -19,     /* nonce space exhausted */
	ATT_ESTATE = -20,     /* call not valid in this state */
	ATT_EREPLAY = -21,    /* duplicate or replayed message */
	ATT_ETOOFAR = -22,    /* message too far ahead (skip limit) */
	ATT_EVERSION = -23,   /* unsupported version */
	ATT_EADDRESS = -24,   /* bad relay address */
	ATT_EPORT = -25,      /* bad port */
	ATT_EKEYLEN = -26,    /* key of the wrong length */
	ATT_EENCODING = -27,  /* bad characters in base64url/hex */
	ATT_EIO = -28,        /* file or socket error (errno kept by caller) */
	ATT_EWORD = -29,      /* a pairing-code word not in the list */
	ATT_ECODE = -30,      /* malformed pairing code */
	ATT_ENOTFOUND = -31,  /* no such item */
	ATT_EEXIST = -32,     /* already exists */
	ATT_EPERM = -33,      /* not allowed */
	ATT_ELIMIT = -34,     /* a count limit reached (skipped keys, quota) */
	ATT_ECORRUPT = -35,   /* stored data fails its checks */
	ATT_ERR_MIN = -35
};

/* The stable kebab-case name of an error, e.g. "wrong-type". */
const char *att_errcode(int err);
/* A short human sentence for an error. */
const char *att_strerror(int err);

#endif
