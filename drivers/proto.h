/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The xenstore wire protocol: one request in, one reply out.
 */
#ifndef _KXS_PROTO_H
#define _KXS_PROTO_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <xen/interface/io/xs_wire.h>

#include "path.h"
#include "perms.h"

struct kxs_domains;
struct kxs_store;
struct kxs_tx;

#define KXS_HDR_SIZE		sizeof(struct xsd_sockmsg)
#define KXS_PAYLOAD_MAX		XENSTORE_PAYLOAD_MAX
#define KXS_MSG_MAX		(KXS_HDR_SIZE + KXS_PAYLOAD_MAX)

/* Message types the kernel's xs_wire.h does not name yet. */
#define KXS_TYPE_GET_FEATURE	23
#define KXS_TYPE_SET_FEATURE	24
#define KXS_TYPE_GET_QUOTA	25
#define KXS_TYPE_SET_QUOTA	26

struct kxs_ctx;

/**
 * struct kxs_ctx_ops - what the owner of a context provides
 * @killed: the context's domain was released; wake whoever waits on it
 * @free: the last reference is gone; free the context
 * @event: queue a WATCH_EVENT with @path and @token for the client; it
 *	may drop it (bounded queue) but must not sleep for room
 * @lost: an event for the client could not even be made (no memory to
 *	judge who hears of a change); count it as dropped
 */
struct kxs_ctx_ops {
	void (*killed)(struct kxs_ctx *ctx);
	void (*free)(struct kxs_ctx *ctx);
	void (*event)(struct kxs_ctx *ctx, const char *path, const char *token);
	void (*lost)(struct kxs_ctx *ctx);
};

/**
 * struct kxs_ctx - on whose behalf requests are handled (a connection)
 * @store: the store they act on
 * @doms: the domain table of @store
 * @dom: the guest domain the connection is bound to; NULL for the
 *	control domain.  Set once, before the first request
 * @dom_link: link in @dom's connections; under @doms->lock
 * @dying_link: link in the list of a RELEASE that kills the context
 * @lock: held while a request is handled, so one at a time; protects
 *	@txs, @nr_txs and @dead
 * @ref: the connection's own, and one per RELEASE in progress
 * @ops: see struct kxs_ctx_ops
 * @domid: @dom's domid, or 0
 * @dead: the domain was released: no more requests
 * @watches: the context's watches (kxs_watch.ctx_link), under the watch
 *	table's lock
 * @txs: open transactions (kxs_tx.ctx_link)
 * @nr_txs: number of entries in @txs
 */
struct kxs_ctx {
	struct kxs_store *store;
	struct kxs_domains *doms;
	struct kxs_domain *dom;
	struct list_head dom_link;
	struct list_head dying_link;
	struct mutex lock;	/* one request at a time */
	struct kref ref;
	const struct kxs_ctx_ops *ops;
	u16 domid;
	bool dead;
	struct list_head watches;
	struct list_head txs;
	unsigned int nr_txs;
};

void kxs_ctx_init(struct kxs_ctx *ctx, struct kxs_store *store,
		  struct kxs_domains *doms, const struct kxs_ctx_ops *ops);
void kxs_ctx_close(struct kxs_ctx *ctx);
void kxs_ctx_reset(struct kxs_ctx *ctx);
void kxs_ctx_kill(struct kxs_ctx *ctx);
void kxs_ctx_put(struct kxs_ctx *ctx);

static inline void kxs_ctx_get(struct kxs_ctx *ctx)
{
	kref_get(&ctx->ref);
}

/**
 * struct kxs_request - one request and the room for its reply
 * @ctx: the client
 * @caller: the client's identity and limits, as of this request
 * @store: the store the request acts on
 * @tx: the transaction named by its tx_id, or NULL
 * @hdr: the request header
 * @payload: @hdr->len bytes of request payload
 * @path: KXS_PATH_BUF bytes of scratch for the canonical path
 * @reply: KXS_PAYLOAD_MAX bytes for the reply payload
 * @reply_len: filled by kxs_proto_handle()
 * @watch_path: after a WATCH, the path of the watch's initial event, to
 *	be sent after the reply; NULL otherwise
 * @watch_token: its token
 */
struct kxs_request {
	struct kxs_ctx *ctx;
	struct kxs_caller caller;
	struct kxs_store *store;
	struct kxs_tx *tx;
	const struct xsd_sockmsg *hdr;
	const char *payload;
	char *path;
	char *reply;
	u32 reply_len;
	const char *watch_path;
	const char *watch_token;
};

u32 kxs_proto_handle(struct kxs_request *req);
int kxs_control(struct kxs_request *req, const char **argv, int argc);
int kxs_reply_string(struct kxs_request *req, const char *s);
int kxs_reply_ok(struct kxs_request *req);
const char *kxs_errno_name(int err);

#endif /* _KXS_PROTO_H */
