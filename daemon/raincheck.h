/*
 * The rain-check service: when a rain check comes due (one we gave, or one
 * a partner gave in answer to our bid: both are reminded), push a
 * raincheck_due event to watchers and raise a desktop reminder, once. One timer, armed for the next one due; none while
 * there is nothing to remind of. The latest due time announced is kept in
 * the store (kv "raincheck_done"), so a restart does not announce it again.
 */
#ifndef ATTUNE_DAEMON_RAINCHECK_H
#define ATTUNE_DAEMON_RAINCHECK_H

struct daemon;
struct raincheck;

/* A service for d on d->loop; NULL when out of memory. */
struct raincheck *raincheck_new(struct daemon *d);
/* Announces what is due now and arms the timer for the next one. */
void raincheck_schedule(struct raincheck *rc);
/* Stops the timer; frees once libuv has closed it. */
void raincheck_free(struct raincheck *rc);

#endif
