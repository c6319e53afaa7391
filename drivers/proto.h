/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The xenstore wire protocol: one request in, one reply out.
 */
#ifndef _KXS_PROTO_H
#define _KXS_PROTO_H

#include <linux/types.h>
#include <linux/xarray.h>
#include <xen/interface/io/xs_wire.h>

#include "path.h"

struct kxs_store;

#define KXS_HDR_SIZE		sizeof(struct xsd_sockmsg)
#define KXS_PAYLOAD_MAX		XENSTORE_PAYLOAD_MAX
#define KXS_MSG_MAX		(KXS_HDR_SIZE + KXS_PAYLOAD_MAX)

/* Message types the kernel's xs_wire.h does not name yet. */
#define KXS_TYPE_GET_FEATURE	23
#define KXS_TYPE_SET_FEATURE	24
#define KXS_TYPE_GET_QUOTA	25
#define KXS_TYPE_SET_QUOTA	26

/**
 * struct kxs_ctx - on whose behalf requests are handled
 * @store: the store they act on
 * @domid: the client's domain; 0, the control domain, for now
 * @txs: open transactions (struct kxs_tx) by id
 * @nr_txs: number of entries in @txs
 * @next_txid: where the search for a free transaction id starts
 *
 * Used by one request at a time (the connection's in_lock).
 */
struct kxs_ctx {
	struct kxs_store *store;
	u16 domid;
	struct xarray txs;
	unsigned int nr_txs;
	u32 next_txid;
};

/**
 * struct kxs_request - one request and the room for its reply
 * @ctx: the client
 * @store: the store the request acts on: the client's, or the copy of
 *	the transaction named by its tx_id
 * @hdr: the request header
 * @payload: @hdr->len bytes of request payload
 * @path: KXS_PATH_BUF bytes of scratch for the canonical path
 * @reply: KXS_PAYLOAD_MAX bytes for the reply payload
 * @reply_len: filled by kxs_proto_handle()
 */
struct kxs_request {
	struct kxs_ctx *ctx;
	struct kxs_store *store;
	const struct xsd_sockmsg *hdr;
	const char *payload;
	char *path;
	char *reply;
	u32 reply_len;
};

u32 kxs_proto_handle(struct kxs_request *req);
const char *kxs_errno_name(int err);

#endif /* _KXS_PROTO_H */
