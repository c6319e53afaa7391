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

#include "ctx.h"
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
