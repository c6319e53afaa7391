// SPDX-License-Identifier: GPL-2.0
/*
 * Request handling: parse a request's payload, apply it to the store and
 * build the reply.  Errors travel back as XS_ERROR with the errno's name.
 */
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "proto.h"
#include "store.h"
#include "transaction.h"

#define KXS_ERRNO(e) { e, #e }

/* The errno names the protocol defines (xs_wire.h and the reference). */
static const struct {
	int err;
	const char *name;
} kxs_errnos[] = {
	KXS_ERRNO(EINVAL), KXS_ERRNO(EACCES), KXS_ERRNO(EEXIST),
	KXS_ERRNO(EISDIR), KXS_ERRNO(ENOENT), KXS_ERRNO(ENOMEM),
	KXS_ERRNO(ENOSPC), KXS_ERRNO(EIO), KXS_ERRNO(ENOTEMPTY),
	KXS_ERRNO(ENOSYS), KXS_ERRNO(EROFS), KXS_ERRNO(EBUSY),
	KXS_ERRNO(EAGAIN), KXS_ERRNO(EISCONN), KXS_ERRNO(E2BIG),
	KXS_ERRNO(EPERM),
};

/**
 * kxs_errno_name() - the name an error travels under
 * @err: a positive errno
 *
 * Return: its name, or "EIO" for an errno the protocol does not know.
 */
const char *kxs_errno_name(int err)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kxs_errnos); i++)
		if (kxs_errnos[i].err == err)
			return kxs_errnos[i].name;
	return "EIO";
}

static int kxs_reply_string(struct kxs_request *req, const char *s)
{
	size_t len = strlen(s) + 1;

	memcpy(req->reply, s, len);
	req->reply_len = len;
	return 0;
}

static int kxs_reply_ok(struct kxs_request *req)
{
	return kxs_reply_string(req, "OK");
}

/*
 * A payload that is exactly one NUL-terminated string, as every
 * single-argument request must be.
 */
static const char *kxs_one_arg(const struct kxs_request *req)
{
	u32 len = req->hdr->len;

	if (!len || req->payload[len - 1] != '\0' ||
	    strlen(req->payload) != len - 1)
		return NULL;
	return req->payload;
}

/* Resolve the request's single path argument into req->path. */
static int kxs_path_arg(struct kxs_request *req)
{
	const char *arg = kxs_one_arg(req);

	if (!arg)
		return -EINVAL;
	return kxs_path_resolve(arg, req->ctx->domid, req->path);
}

static int kxs_op_read(struct kxs_request *req)
{
	int ret = kxs_path_arg(req);

	if (ret)
		return ret;
	ret = kxs_store_read(req->store, req->path, req->reply,
			     KXS_PAYLOAD_MAX);
	if (ret < 0)
		return ret;
	req->reply_len = ret;
	return 0;
}

static int kxs_op_directory(struct kxs_request *req)
{
	int ret = kxs_path_arg(req);

	if (ret)
		return ret;
	ret = kxs_store_directory(req->store, req->path, req->reply,
				  KXS_PAYLOAD_MAX);
	if (ret < 0)
		return ret;
	req->reply_len = ret;
	return 0;
}

/* WRITE <path>|<value|>: the value is everything after the first NUL. */
static int kxs_op_write(struct kxs_request *req)
{
	u32 len = req->hdr->len;
	const char *nul = memchr(req->payload, '\0', len);
	size_t plen;
	int ret;

	if (!nul)
		return -EINVAL;
	plen = nul - req->payload;
	ret = kxs_path_resolve(req->payload, req->ctx->domid, req->path);
	if (ret)
		return ret;
	ret = kxs_store_write(req->store, req->path, nul + 1,
			      len - plen - 1, req->ctx->domid);
	return ret ? ret : kxs_reply_ok(req);
}

static int kxs_op_mkdir(struct kxs_request *req)
{
	int ret = kxs_path_arg(req);

	if (ret)
		return ret;
	ret = kxs_store_mkdir(req->store, req->path, req->ctx->domid);
	return ret ? ret : kxs_reply_ok(req);
}

static int kxs_op_rm(struct kxs_request *req)
{
	int ret = kxs_path_arg(req);

	if (ret)
		return ret;
	ret = kxs_store_rm(req->store, req->path);
	return ret ? ret : kxs_reply_ok(req);
}

/* TRANSACTION_START |: reply <transid>| in decimal. */
static int kxs_op_transaction_start(struct kxs_request *req)
{
	u32 id;
	int ret;

	/* Not from inside a transaction (its tx_id was found valid). */
	if (req->hdr->tx_id)
		return -EBUSY;
	ret = kxs_tx_start(req->ctx, &id);
	if (ret)
		return ret;
	req->reply_len = sprintf(req->reply, "%u", id) + 1;
	return 0;
}

/* TRANSACTION_END T| commits, F| aborts. */
static int kxs_op_transaction_end(struct kxs_request *req)
{
	const char *arg = kxs_one_arg(req);
	int ret;

	if (!arg || (strcmp(arg, "T") && strcmp(arg, "F")))
		return -EINVAL;
	ret = kxs_tx_end(req->ctx, req->hdr->tx_id, arg[0] == 'T');
	return ret ? ret : kxs_reply_ok(req);
}

typedef int (*kxs_op_fn)(struct kxs_request *req);

static const kxs_op_fn kxs_ops[] = {
	[XS_DIRECTORY]		= kxs_op_directory,
	[XS_READ]		= kxs_op_read,
	[XS_TRANSACTION_START]	= kxs_op_transaction_start,
	[XS_TRANSACTION_END]	= kxs_op_transaction_end,
	[XS_WRITE]		= kxs_op_write,
	[XS_MKDIR]		= kxs_op_mkdir,
	[XS_RM]			= kxs_op_rm,
};

/**
 * kxs_proto_handle() - handle one request
 * @req: the request; its reply payload is left in req->reply
 *
 * Every request gets a reply: its own type on success, XS_ERROR with an
 * errno name otherwise.  Unknown and reply-only types get ENOSYS.
 *
 * Return: the type of the reply.
 */
u32 kxs_proto_handle(struct kxs_request *req)
{
	u32 type = req->hdr->type;
	int ret = -ENOSYS;

	req->reply_len = 0;
	if (type < ARRAY_SIZE(kxs_ops) && kxs_ops[type]) {
		/* A tx_id that names no open transaction is ENOENT. */
		req->store = kxs_tx_store(req->ctx, req->hdr->tx_id);
		ret = IS_ERR(req->store) ? PTR_ERR(req->store) :
					   kxs_ops[type](req);
	}
	if (!ret)
		return type;
	kxs_reply_string(req, kxs_errno_name(-ret));
	return XS_ERROR;
}
