/*
 * The embeddable core (see attune.h): a struct daemon with its parts, on the
 * host's loop or on a loop and thread of its own.
 *
 * Lifetime: attune_core_free stops the parts at once (their handles close
 * on the loop's next turn) and the core's memory goes in the close callback
 * of its last own handle, so nothing frees a struct a pending callback still
 * points to. With its own loop, attune_core_free runs that loop to the end
 * itself (stopping the thread first).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/attune.h"
#include "daemon/config.h"
#include "daemon/ctx.h"
#include "daemon/identity.h"
#include "daemon/keys.h"
#include "daemon/notify.h"
#include "daemon/pairing.h"
#include "daemon/paths.h"
#include "daemon/raincheck.h"
#include "daemon/rounds.h"
#include "daemon/store.h"
#include "daemon/sync.h"
#include "proto/err.h"

#define RETENTION_EVERY_MS (3600 * 1000)

/* A request from another thread, waiting for the core's thread to run it. */
struct job {
	struct job *next;
	const uint8_t *req;
	size_t len;
	uint8_t *reply;
	size_t reply_len;
	int r;
	int done;
};

struct attune_core {
	struct daemon d;
	uv_loop_t own_loop;
	int own;                  /* d.loop is own_loop */
	uv_thread_t thread;
	int thread_on;
	uv_async_t wake;          /* jobs queued, or stop */
	uv_mutex_t mu;
	uv_cond_t cv;
	struct job *jobs;
	int stop_requested;
	int net_hint;             /* from another thread: 1 up, 2 down, 0 none */
	uv_timer_t retention;
	uv_timer_t deadline;      /* attune_core_sync_once */
	int timed_out;
	int handles;              /* own handles open; the core is freed when 0 */
	int started, stopped, freeing;
	attune_push_fn on_push;
	void *push_arg;
	attune_exit_fn on_exit;
	void *exit_arg;
};

static void
core_sink(void *arg, const uint8_t *body, size_t len)
{
	struct attune_core *c = arg;

	if (c->on_push != NULL)
		c->on_push(c->push_arg, body, len);
}

static void
core_on_retention(uv_timer_t *t)
{
	struct attune_core *c = t->data;
	struct daemon *d = &c->d;
	uint64_t now = daemon_now(d);

	if (!daemon_initialised(d) || d->config.retention == 0 || now < d->config.retention)
		return;
	if (store_retention(d->store, now - d->config.retention) != 0)
		fprintf(stderr, "attuned: could not delete old history (retention)\n");
}

static void
core_release(struct attune_core *c)
{
	struct daemon *d = &c->d;

	notify_free(d->notify);
	store_close(d->store);
	keys_free(d->keys);
	paths_free(&d->paths);
	uv_mutex_destroy(&c->mu);
	uv_cond_destroy(&c->cv);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

static void
core_on_close(uv_handle_t *h)
{
	struct attune_core *c = h->data;

	if (--c->handles > 0 || !c->freeing)
		return;
	/* With its own loop attune_core_free releases the core after the loop ends. */
	if (!c->own)
		core_release(c);
}

/* Runs every queued job (on the core's thread). */
static void
core_run_jobs(struct attune_core *c)
{
	struct job *j;

	for (;;) {
		uv_mutex_lock(&c->mu);
		j = c->jobs;
		if (j != NULL)
			c->jobs = j->next;
		uv_mutex_unlock(&c->mu);
		if (j == NULL)
			return;
		if (c->d.api == NULL)
			j->r = ATT_ESTATE;
		else
			j->r = api_local_call(c->d.api, j->req, j->len, &j->reply, &j->reply_len);
		uv_mutex_lock(&c->mu);
		j->done = 1;
		uv_cond_broadcast(&c->cv);
		uv_mutex_unlock(&c->mu);
	}
}

static void core_stop(struct attune_core *c);

static void
core_on_wake(uv_async_t *a)
{
	struct attune_core *c = a->data;
	int stop;

	int hint;

	core_run_jobs(c);
	uv_mutex_lock(&c->mu);
	stop = c->stop_requested;
	hint = c->net_hint;
	c->net_hint = 0;
	uv_mutex_unlock(&c->mu);
	if (stop)
		core_stop(c);
	else if (hint != 0 && c->d.sync != NULL)
		sync_network(c->d.sync, hint == 1);
}

/* Stops the network and every part; their handles close on the loop's next turn. */
static void
core_stop(struct attune_core *c)
{
	struct daemon *d = &c->d;

	if (c->stopped)
		return;
	c->stopped = 1;
	d->stopping = 1;
	pairing_cancel_all(d);
	if (d->sync != NULL) {
		sync_stop(d->sync);
		sync_free(d->sync);
		d->sync = NULL;
	}
	rounds_free(d->rounds);   /* before the API: waiting clients get their error */
	d->rounds = NULL;
	api_close(d->api);
	d->api = NULL;
	raincheck_free(d->raincheck);
	d->raincheck = NULL;
	uv_close((uv_handle_t *)&c->retention, core_on_close);
	uv_close((uv_handle_t *)&c->deadline, core_on_close);
	uv_close((uv_handle_t *)&c->wake, core_on_close);
	/* Jobs queued meanwhile get an answer: the core is gone. */
	uv_mutex_lock(&c->mu);
	while (c->jobs != NULL) {
		c->jobs->r = ATT_ESTATE;
		c->jobs->done = 1;
		c->jobs = c->jobs->next;
	}
	uv_cond_broadcast(&c->cv);
	uv_mutex_unlock(&c->mu);
}

/* d->shutdown: the wipe request erased this device. */
static void
core_on_shutdown(struct daemon *d, int code)
{
	struct attune_core *c = (struct attune_core *)d;

	if (d->stopping)
		return;
	d->stopping = 1;
	d->exit_code = code;
	pairing_cancel_all(d);
	if (d->sync != NULL)
		sync_stop(d->sync);
	if (c->on_exit != NULL)
		c->on_exit(c->exit_arg, code);
}

int
attune_core_new(struct attune_core **out, const struct attune_config *cfg)
{
	struct attune_core *c;
	struct daemon *d;
	char why[512];
	int r;

	*out = NULL;
	if (cfg == NULL || cfg->data_dir == NULL || cfg->data_dir[0] == '\0')
		return ATT_EINVAL;
	if (cfg->relay != NULL && strlen(cfg->relay) >= CONFIG_RELAY_MAX)
		return ATT_ETOOBIG;
	if (sodium_init() < 0)
		return ATT_EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return ATT_ENOMEM;
	d = &c->d;
	if (uv_mutex_init(&c->mu) != 0) {
		free(c);
		return ATT_ENOMEM;
	}
	if (uv_cond_init(&c->cv) != 0) {
		uv_mutex_destroy(&c->mu);
		free(c);
		return ATT_ENOMEM;
	}
	c->on_push = cfg->on_push;
	c->push_arg = cfg->push_arg;
	c->on_exit = cfg->on_exit;
	c->exit_arg = cfg->exit_arg;
	d->shutdown = core_on_shutdown;
	d->clock = cfg->clock;
	d->clock_arg = cfg->clock_arg;
	d->backoff_max_ms = cfg->backoff_max_ms;
	d->keepalive_ms = cfg->keepalive_ms;
	r = paths_for_data(&d->paths, cfg->data_dir, cfg->config_file);
	if (r != 0)
		goto fail_early;
	config_defaults(&d->config);
	if (cfg->config_file == NULL)
		d->config.notify = NOTIFY_OFF;
	else if (config_load(&d->config, cfg->config_file, 0, why, sizeof(why)) != 0) {
		fprintf(stderr, "attuned: bad configuration: %s\n", why);
		r = ATT_EINVAL;
		goto fail_early;
	}
	if (cfg->relay != NULL && cfg->relay[0] != '\0')
		snprintf(d->config.relay, sizeof(d->config.relay), "%s", cfg->relay);
	if (cfg->loop != NULL)
		d->loop = cfg->loop;
	else {
		if (uv_loop_init(&c->own_loop) != 0) {
			r = ATT_ENOMEM;
			goto fail_early;
		}
		c->own = 1;
		d->loop = &c->own_loop;
	}
	/* From here on every failure goes through attune_core_free. */
	uv_timer_init(d->loop, &c->retention);
	uv_timer_init(d->loop, &c->deadline);
	uv_async_init(d->loop, &c->wake, core_on_wake);
	c->retention.data = c->deadline.data = c->wake.data = c;
	c->handles = 3;
	*out = c;
	if ((r = identity_load(d)) != 0)
		goto fail;
	d->notify = notify_new(&d->config);
	if ((r = sync_new(d)) != 0 || (r = api_new(&d->api, d)) != 0 ||
	    (r = api_local_open(d->api, core_sink, c)) != 0)
		goto fail;
	d->raincheck = raincheck_new(d);
	d->rounds = d->raincheck != NULL ? rounds_new(d) : NULL;
	if (d->raincheck == NULL || d->rounds == NULL) {
		r = ATT_ENOMEM;
		goto fail;
	}
	return 0;
fail:
	attune_core_free(c);
	*out = NULL;
	return r;
fail_early:
	paths_free(&d->paths);
	uv_mutex_destroy(&c->mu);
	uv_cond_destroy(&c->cv);
	free(c);
	return r;
}

int
attune_core_listen(struct attune_core *c, const char *path)
{
	if (c->started || c->stopped)
		return ATT_ESTATE;
	return api_listen(c->d.api, path);
}

int
attune_core_listen_fd(struct attune_core *c, int fd)
{
	if (c->started || c->stopped)
		return ATT_ESTATE;
	return api_listen_fd(c->d.api, fd);
}

static void
core_thread_main(void *arg)
{
	struct attune_core *c = arg;

	uv_run(&c->own_loop, UV_RUN_DEFAULT);
}

int
attune_core_start(struct attune_core *c)
{
	struct daemon *d = &c->d;

	if (c->started || c->stopped)
		return ATT_ESTATE;
	c->started = 1;
	raincheck_schedule(d->raincheck);
	rounds_arm(d->rounds);
	if (d->config.retention > 0)
		uv_timer_start(&c->retention, core_on_retention, 0, RETENTION_EVERY_MS);
	if (d->sync != NULL)
		sync_start(d->sync);
	if (c->own) {
		if (uv_thread_create(&c->thread, core_thread_main, c) != 0)
			return ATT_ENOMEM;
		c->thread_on = 1;
	}
	return 0;
}

int
attune_core_request(struct attune_core *c, const uint8_t *req, size_t len, uint8_t **reply,
                    size_t *reply_len)
{
	uv_thread_t self = uv_thread_self();
	struct job j;

	*reply = NULL;
	*reply_len = 0;
	if (req == NULL)
		return ATT_EINVAL;
	if (!c->thread_on || uv_thread_equal(&self, &c->thread)) {
		if (c->stopped || c->d.api == NULL)
			return ATT_ESTATE;
		return api_local_call(c->d.api, req, len, reply, reply_len);
	}
	memset(&j, 0, sizeof(j));
	j.req = req;
	j.len = len;
	uv_mutex_lock(&c->mu);
	if (c->stopped || c->stop_requested) {
		uv_mutex_unlock(&c->mu);
		return ATT_ESTATE;
	}
	j.next = c->jobs;
	c->jobs = &j;
	uv_async_send(&c->wake);
	while (!j.done)
		uv_cond_wait(&c->cv, &c->mu);
	uv_mutex_unlock(&c->mu);
	*reply = j.reply;
	*reply_len = j.reply_len;
	return j.r;
}

void
attune_free(uint8_t *reply, size_t len)
{
	if (reply == NULL)
		return;
	sodium_memzero(reply, len);
	free(reply);
}

static void
core_on_deadline(uv_timer_t *t)
{
	struct attune_core *c = t->data;

	c->timed_out = 1;
}

int
attune_core_sync_once(struct attune_core *c, uint64_t deadline_ms)
{
	struct daemon *d = &c->d;
	char relay[CONFIG_RELAY_MAX];
	uint64_t before;
	int r;

	if (c->started || c->stopped || d->sync == NULL)
		return ATT_ESTATE;
	if (!daemon_initialised(d))
		return d->keys != NULL ? ATT_EPERM : ATT_ENOTFOUND;
	if (sync_relay_address(d->sync, relay, sizeof(relay)) != 0)
		return ATT_EADDRESS;
	before = sync_delivered(d->sync);
	r = sync_start(d->sync);
	if (r != 0)
		return r;
	sync_drain_begin(d->sync);
	c->timed_out = 0;
	uv_timer_start(&c->deadline, core_on_deadline, deadline_ms, 0);
	while (!sync_drained(d->sync) && !c->timed_out && !d->stopping)
		uv_run(d->loop, UV_RUN_ONCE);
	uv_timer_stop(&c->deadline);
	if (d->sync != NULL) {
		sync_stop(d->sync);
		r = (int)(sync_delivered(d->sync) - before);
	} else
		r = 0;
	/* Let the relay connection close before the host sleeps. */
	uv_run(d->loop, UV_RUN_NOWAIT);
	return r;
}

void
attune_core_network(struct attune_core *c, int up)
{
	uv_thread_t self = uv_thread_self();

	if (c->thread_on && !uv_thread_equal(&self, &c->thread)) {
		uv_mutex_lock(&c->mu);
		c->net_hint = up ? 1 : 2;
		uv_mutex_unlock(&c->mu);
		uv_async_send(&c->wake);
		return;
	}
	if (c->d.sync != NULL && !c->stopped)
		sync_network(c->d.sync, up);
}

void
attune_core_free(struct attune_core *c)
{
	if (c == NULL || c->freeing)
		return;
	c->freeing = 1;
	if (c->thread_on) {
		uv_mutex_lock(&c->mu);
		c->stop_requested = 1;
		uv_mutex_unlock(&c->mu);
		uv_async_send(&c->wake);
		uv_thread_join(&c->thread);
		c->thread_on = 0;
	}
	core_stop(c);
	if (!c->own)
		return;   /* core_on_close releases it once the host's loop has closed the handles */
	uv_run(&c->own_loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&c->own_loop) != 0)
		fprintf(stderr, "attuned: some handles were still open when the core ended\n");
	core_release(c);
}

int
attune_core_state(const struct attune_core *c)
{
	if (daemon_initialised(&c->d))
		return ATTUNE_READY;
	return c->d.keys != NULL ? ATTUNE_LOCKED : ATTUNE_NEW;
}

const char *
attune_core_strerror(int err)
{
	return att_strerror(err);
}
