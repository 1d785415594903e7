/*
 * An intrusive hash table keyed by fixed-length byte strings (device keys,
 * addresses). Nodes live inside the caller's structs, so an insert never
 * allocates per entry; the bucket array grows by doubling. Keys are hashed
 * with SipHash (crypto_shorthash) under a random key, so a peer choosing keys
 * cannot pile them into one bucket.
 */
#ifndef RELAY_HTAB_H
#define RELAY_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct htab_node {
	struct htab_node *next;
	const uint8_t *key;     /* klen bytes, owned by the struct holding the node */
};

struct htab;

struct htab *htab_new(size_t klen);
void htab_free(struct htab *);          /* the nodes are the caller's */
struct htab_node *htab_find(const struct htab *, const uint8_t *key);
/* Inserts node (node->key set, not already present). ATT_ENOMEM if growing fails
 * (the node is still inserted). */
int htab_insert(struct htab *, struct htab_node *);
void htab_remove(struct htab *, struct htab_node *);
size_t htab_count(const struct htab *);
/* Calls fn on every node; a node is removed when fn returns 1 (fn may free it then). */
void htab_each(struct htab *, int (*fn)(struct htab_node *, void *), void *arg);

#endif
