// SPDX-License-Identifier: GPL-2.0
/*
 * Request handling: parse a request's payload, apply it to the store and
 * build the reply.  Errors travel back as XS_ERROR with the errno's name.
 */
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "domain.h"
#include "proto.h"
#include "store.h"
#include "transaction.h"
#include "watch.h"

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
	/* What this store cannot do (a hypervisor's refusal) is ENOSYS. */
	{ EOPNOTSUPP, "ENOSYS" },
};

/**
 * kxs_errno_name() - the name an error travels under
 * @err: a positive errno
 *
 * Return: its name, or "EINVAL" for an errno the protocol does not
 * know, as the reference daemon sends.
 */
const char *kxs_errno_name(int err)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kxs_errnos); i++)
		if (kxs_errnos[i].err == err)
			return kxs_errnos[i].name;
	return "EINVAL";
}

/**
 * kxs_reply_string() - reply with one NUL-terminated string
 * @req: the request
 * @s: the string, shorter than KXS_PAYLOAD_MAX
 *
 * Return: 0.
 */
int kxs_reply_string(struct kxs_request *req, const char *s)
{
	size_t len = strlen(s) + 1;

	memcpy(req->reply, s, len);
	req->reply_len = len;
	return 0;
}

/* Reply "OK": Return: 0. */
int kxs_reply_ok(struct kxs_request *req)
{
	return kxs_reply_string(req, "OK");
}

static int kxs_reply_len(struct kxs_request *req, int len)
{
	if (len < 0)
		return len;
	req->reply_len = len;
	return 0;
}

/*
 * Split the payload into its NUL-terminated strings.  Every byte must
 * belong to one: a payload not ending in NUL is malformed.
 *
 * Return: the number of strings, or -EINVAL if the payload is malformed
 * or has more than @max.
 */
static int kxs_args(const struct kxs_request *req, const char **argv,
		    int max)
{
	const char *p = req->payload, *end = p + req->hdr->len;
	int argc = 0;

	if (p != end && end[-1] != '\0')
		return -EINVAL;
	while (p < end) {
		if (argc == max)
			return -EINVAL;
		argv[argc++] = p;
		p += strlen(p) + 1;
	}
	return argc;
}

/* The number of NUL bytes in @len bytes at @p. */
static size_t kxs_nul_count(const char *p, size_t len)
{
	size_t n = 0;

	while (len--)
		n += !*p++;
	return n;
}

/* Exactly @n strings. */
static int kxs_args_n(const struct kxs_request *req, const char **argv,
		      int n)
{
	return kxs_args(req, argv, n) == n ? 0 : -EINVAL;
}

/* A payload that is exactly one NUL-terminated string. */
static const char *kxs_one_arg(const struct kxs_request *req)
{
	const char *argv[1];

	return kxs_args_n(req, argv, 1) ? NULL : argv[0];
}

/*
 * Resolve a path argument into req->path.  A guest's path may be at most
 * 2048 bytes long after the "/local/domain/<domid>/" it may start with,
 * as the reference's path-max quota has it by default, so that a guest
 * cannot make longer keys than its relative paths allow.
 */
static int kxs_req_path(struct kxs_request *req, const char *arg)
{
	int ret = kxs_path_resolve(arg, req->ctx->domid, req->path);

	if (!ret && !req->caller.priv &&
	    kxs_path_guest_len(req->path) > KXS_REL_PATH_MAX)
		ret = -EINVAL;
	return ret;
}

/* Resolve the request's single path argument into req->path. */
static int kxs_path_arg(struct kxs_request *req)
{
	const char *arg = kxs_one_arg(req);

	if (!arg)
		return -EINVAL;
	return kxs_req_path(req, arg);
}

/* Requests only the control domain may make. */
static int kxs_need_priv(const struct kxs_request *req)
{
	return req->caller.priv ? 0 : -EACCES;
}

/*
 * Report a change at req->path: to the watches now, or, inside a
 * transaction, when it commits.  @rm_perms (taken over) are a removed
 * node's permissions; for other changes the node's current ones apply.
 */
static void kxs_changed(struct kxs_request *req, struct kxs_perm *rm_perms,
			unsigned int nr)
{
	if (req->tx) {
		kxs_tx_note(req->tx, req->path, !!rm_perms, rm_perms, nr);
		return;
	}
	/* Removals outside a transaction go through kxs_watch_rm(). */
	if (WARN_ON_ONCE(rm_perms)) {
		kfree(rm_perms);
		return;
	}
	kxs_watch_fire_changed(req->ctx->doms, req->store, req->path);
}

static int kxs_op_read(struct kxs_request *req)
{
	int ret = kxs_path_arg(req);

	if (ret)
		return ret;
	if (req->tx)
		ret = kxs_tx_read(req->tx, &req->caller, req->path, req->reply,
				  KXS_PAYLOAD_MAX);
	else
		ret = kxs_store_read(req->store, &req->caller, req->path,
				     req->reply, KXS_PAYLOAD_MAX);
	return kxs_reply_len(req, ret);
}

static int kxs_op_directory(struct kxs_request *req)
{
	int ret = kxs_path_arg(req);

	if (ret)
		return ret;
	if (req->tx)
		ret = kxs_tx_directory(req->tx, &req->caller, req->path,
				       req->reply, KXS_PAYLOAD_MAX);
	else
		ret = kxs_store_directory(req->store, &req->caller, req->path,
					  req->reply, KXS_PAYLOAD_MAX);
	return kxs_reply_len(req, ret);
}

/* DIRECTORY_PART <path>|<offset>|: <gencnt>|<child>|* then "" at the end. */
static int kxs_op_directory_part(struct kxs_request *req)
{
	const char *argv[2];
	u32 offset;
	int ret;

	if (kxs_args_n(req, argv, 2) || kstrtou32(argv[1], 10, &offset))
		return -EINVAL;
	ret = kxs_req_path(req, argv[0]);
	if (ret)
		return ret;
	if (req->tx)
		ret = kxs_tx_directory_part(req->tx, &req->caller, req->path,
					    offset, req->reply,
					    KXS_PAYLOAD_MAX);
	else
		ret = kxs_store_directory_part(req->store, &req->caller,
					       req->path, offset, req->reply,
					       KXS_PAYLOAD_MAX);
	return kxs_reply_len(req, ret);
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
	ret = kxs_req_path(req, req->payload);
	if (ret)
		return ret;
	if (req->tx)
		ret = kxs_tx_write(req->tx, &req->caller, req->path, nul + 1,
				   len - plen - 1);
	else
		ret = kxs_store_write(req->store, &req->caller, req->path,
				      nul + 1, len - plen - 1);
	if (ret)
		return ret;
	kxs_changed(req, NULL, 0);
	return kxs_reply_ok(req);
}

/* MKDIR of an existing node changes nothing and reports nothing. */
static int kxs_op_mkdir(struct kxs_request *req)
{
	int ret = kxs_path_arg(req);
	bool existed, made;

	if (ret)
		return ret;
	if (req->tx) {
		ret = kxs_tx_mkdir(req->tx, &req->caller, req->path);
		existed = !ret;
		ret = min(ret, 0);
	} else {
		ret = kxs_store_mkdir(req->store, &req->caller, req->path,
				      &made);
		existed = !made;
	}
	if (ret)
		return ret;
	if (!existed)
		kxs_changed(req, NULL, 0);
	return kxs_reply_ok(req);
}

/*
 * RM of a missing node reports nothing; of a node, its old permissions
 * decide (see kxs_watch_rm()).
 */
static int kxs_op_rm(struct kxs_request *req)
{
	struct kxs_perm *perms;
	unsigned int nr = 0;
	int ret = kxs_path_arg(req);

	if (ret)
		return ret;
	if (!req->tx) {
		ret = kxs_watch_rm(req->ctx->doms, req->store, &req->caller,
				   req->path);
		return ret ? ret : kxs_reply_ok(req);
	}
	ret = kxs_tx_rm(req->tx, &req->caller, req->path, &perms, &nr);
	if (ret || !perms) {
		kfree(perms);
		return ret ? ret : kxs_reply_ok(req);
	}
	kxs_changed(req, perms, nr);
	return kxs_reply_ok(req);
}

/* GET_PERMS <path>|: <perm-as-string>|+ */
static int kxs_op_get_perms(struct kxs_request *req)
{
	const char *arg = kxs_one_arg(req);
	int ret, sp;

	if (!arg)
		return -EINVAL;
	if (arg[0] == '@') {
		sp = kxs_special_lookup(arg);
		if (sp < 0)
			return sp;
		return kxs_reply_len(req, kxs_special_get_perms(req->ctx->doms,
				     &req->caller, sp, req->reply,
				     KXS_PAYLOAD_MAX));
	}
	ret = kxs_req_path(req, arg);
	if (ret)
		return ret;
	if (req->tx)
		ret = kxs_tx_get_perms(req->tx, &req->caller, req->path,
				       req->reply, KXS_PAYLOAD_MAX);
	else
		ret = kxs_store_get_perms(req->store, &req->caller, req->path,
					  req->reply, KXS_PAYLOAD_MAX);
	return kxs_reply_len(req, ret);
}

/* SET_PERMS <path>|<perm-as-string>|+ */
static int kxs_op_set_perms(struct kxs_request *req)
{
	u32 len = req->hdr->len;
	const char *nul = memchr(req->payload, '\0', len), *list;
	struct kxs_perm *perms;
	size_t plen, llen;
	int nr, ret, sp;

	if (!nul)
		return -EINVAL;
	plen = nul - req->payload;
	list = nul + 1;
	llen = len - plen - 1;
	/* One entry per NUL: a few hundred at most in a payload. */
	perms = kmalloc_array(max_t(size_t, 1, kxs_nul_count(list, llen)),
			      sizeof(*perms), GFP_KERNEL);
	if (!perms)
		return -ENOMEM;
	nr = kxs_perms_parse(list, llen, perms, kxs_nul_count(list, llen));
	if (nr >= 0)
		nr = kxs_domain_existing_perms(req->ctx->doms, perms, nr);
	if (nr < 0) {
		ret = nr == -ENOENT ? nr : -EINVAL;
	} else if (req->payload[0] == '@') {
		sp = kxs_special_lookup(req->payload);
		ret = sp < 0 ? sp : kxs_special_set_perms(req->ctx->doms,
							  &req->caller, sp,
							  perms, nr);
	} else {
		ret = kxs_req_path(req, req->payload);
		if (!ret && req->tx)
			ret = kxs_tx_set_perms(req->tx, &req->caller,
					       req->path, perms, nr);
		else if (!ret)
			ret = kxs_store_set_perms(req->store, &req->caller,
						  req->path, perms, nr);
		if (!ret)
			kxs_changed(req, NULL, 0);
	}
	kfree(perms);
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
	ret = kxs_tx_start(req->ctx, &req->caller, &id);
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
	ret = kxs_tx_end(req->ctx, &req->caller, req->hdr->tx_id,
			 arg[0] == 'T');
	return ret ? ret : kxs_reply_ok(req);
}

/* The single <domid>| argument of a domain request. */
static int kxs_domid_arg(struct kxs_request *req, u16 *domid)
{
	const char *arg = kxs_one_arg(req);

	return arg ? kxs_domid_parse(arg, domid) : -EINVAL;
}

/* GET_DOMAIN_PATH <domid>|: /local/domain/<domid>| */
static int kxs_op_get_domain_path(struct kxs_request *req)
{
	u16 domid;
	int ret = kxs_domid_arg(req, &domid);

	if (ret)
		return ret;
	req->reply_len = sprintf(req->reply, KXS_HOME_FMT, domid) + 1;
	return 0;
}

/* INTRODUCE <domid>|<gfn>|<evtchn>|?: later strings are ignored. */
static int kxs_op_introduce(struct kxs_request *req)
{
	const char *argv[8];
	u16 domid;
	u32 port;
	s64 gfn;
	bool was;
	int ret;

	ret = kxs_need_priv(req);
	if (ret)
		return ret;
	if (kxs_args(req, argv, ARRAY_SIZE(argv)) < 3 ||
	    kxs_domid_parse(argv[0], &domid) ||
	    kstrtos64(argv[1], 10, &gfn) || kstrtou32(argv[2], 10, &port))
		return -EINVAL;
	/* Only a new domain is news: a reconnect does not fire. */
	was = kxs_domain_is_introduced(req->ctx->doms, domid) > 0;
	ret = kxs_domain_introduce(req->ctx->doms, domid, gfn, port);
	if (ret)
		return ret;
	if (!was)
		kxs_watch_fire_special(req->ctx->doms, KXS_SPECIAL_INTRODUCE,
				       domid);
	return kxs_reply_ok(req);
}

/* RELEASE <domid>| */
static int kxs_op_release(struct kxs_request *req)
{
	u16 domid;
	int ret;

	ret = kxs_need_priv(req);
	if (!ret)
		ret = kxs_domid_arg(req, &domid);
	if (!ret)
		ret = kxs_domain_release(req->ctx->doms, req->ctx->store,
					 domid);
	if (ret)
		return ret;
	kxs_watch_fire_special(req->ctx->doms, KXS_SPECIAL_RELEASE, domid);
	return kxs_reply_ok(req);
}

/* IS_DOMAIN_INTRODUCED <domid>|: T| or F| */
static int kxs_op_is_domain_introduced(struct kxs_request *req)
{
	u16 domid;
	int ret;

	ret = kxs_need_priv(req);
	if (!ret)
		ret = kxs_domid_arg(req, &domid);
	if (!ret)
		ret = kxs_domain_is_introduced(req->ctx->doms, domid);
	if (ret < 0)
		return ret;
	return kxs_reply_string(req, ret ? "T" : "F");
}

/* RESUME <domid>| */
static int kxs_op_resume(struct kxs_request *req)
{
	u16 domid;
	int ret;

	ret = kxs_need_priv(req);
	if (!ret)
		ret = kxs_domid_arg(req, &domid);
	if (!ret)
		ret = kxs_domain_resume(req->ctx->doms, domid);
	return ret ? ret : kxs_reply_ok(req);
}

/* SET_TARGET <domid>|<tdomid>| */
static int kxs_op_set_target(struct kxs_request *req)
{
	const char *argv[2];
	u16 domid, tdomid;
	int ret;

	ret = kxs_need_priv(req);
	if (ret)
		return ret;
	if (kxs_args_n(req, argv, 2) || kxs_domid_parse(argv[0], &domid) ||
	    kxs_domid_parse(argv[1], &tdomid))
		return -EINVAL;
	ret = kxs_domain_set_target(req->ctx->doms, domid, tdomid);
	return ret ? ret : kxs_reply_ok(req);
}

/* Arguments of GET_FEATURE and GET_QUOTA, where none may be one "". */
static int kxs_optional_args(const struct kxs_request *req,
			     const char **argv, int max)
{
	int argc = kxs_args(req, argv, max);

	return argc == 1 && !argv[0][0] ? 0 : argc;
}

/* GET_FEATURE [<domid>|]: <value>| */
static int kxs_op_get_feature(struct kxs_request *req)
{
	const char *argv[1];
	u32 features = KXS_FEATURES_SUPPORTED;
	u16 domid;
	int argc, ret;

	argc = kxs_optional_args(req, argv, 1);
	if (argc < 0)
		return argc;
	if (argc) {
		ret = kxs_need_priv(req);
		if (!ret)
			ret = kxs_domid_parse(argv[0], &domid);
		if (!ret)
			ret = kxs_domain_get_features(req->ctx->doms, domid,
						      &features);
		if (ret)
			return ret;
	} else if (!req->caller.priv) {
		ret = kxs_domain_get_features(req->ctx->doms, req->ctx->domid,
					      &features);
		if (ret)
			return ret;
	}
	req->reply_len = sprintf(req->reply, "%u", features) + 1;
	return 0;
}

/* SET_FEATURE <domid>|<value>| */
static int kxs_op_set_feature(struct kxs_request *req)
{
	const char *argv[2];
	u32 features;
	u16 domid;
	int ret;

	ret = kxs_need_priv(req);
	if (ret)
		return ret;
	if (kxs_args_n(req, argv, 2) || kxs_domid_parse(argv[0], &domid) ||
	    kstrtou32(argv[1], 10, &features))
		return -EINVAL;
	ret = kxs_domain_set_features(req->ctx->doms, domid, features);
	return ret ? ret : kxs_reply_ok(req);
}

/* GET_QUOTA [[<domid>|]<quota>|]: <value>|, or the quota names. */
static int kxs_op_get_quota(struct kxs_request *req)
{
	const char *argv[2];
	int argc, q, domid = -1;
	size_t off = 0;
	u16 id;
	u32 val;
	int ret;

	ret = kxs_need_priv(req);
	if (ret)
		return ret;
	argc = kxs_optional_args(req, argv, 2);
	if (argc < 0)
		return argc;
	if (!argc) {
		for (q = 0; q < KXS_QUOTA_NR; q++)
			off += sprintf(req->reply + off, "%s%s", q ? " " : "",
				       kxs_quota_names[q]);
		req->reply_len = off + 1;
		return 0;
	}
	if (argc == 2) {
		if (kxs_domid_parse(argv[0], &id))
			return -EINVAL;
		domid = id;
	}
	q = kxs_quota_lookup(argv[argc - 1]);
	if (q < 0)
		return q;
	ret = kxs_domain_get_quota(req->ctx->doms, domid, q, &val);
	if (ret)
		return ret;
	req->reply_len = sprintf(req->reply, "%u", val) + 1;
	return 0;
}

/* SET_QUOTA [<domid>|]<quota>|<value>| */
static int kxs_op_set_quota(struct kxs_request *req)
{
	const char *argv[3];
	int argc, q, domid = -1;
	u16 id;
	u32 val;
	int ret;

	ret = kxs_need_priv(req);
	if (ret)
		return ret;
	argc = kxs_args(req, argv, 3);
	if (argc < 2)
		return -EINVAL;
	if (argc == 3) {
		if (kxs_domid_parse(argv[0], &id))
			return -EINVAL;
		domid = id;
	}
	q = kxs_quota_lookup(argv[argc - 2]);
	if (q < 0 || kstrtou32(argv[argc - 1], 10, &val))
		return -EINVAL;
	ret = kxs_domain_set_quota(req->ctx->doms, domid, q, val);
	return ret ? ret : kxs_reply_ok(req);
}

/*
 * The <wpath>|<token>| of WATCH and UNWATCH, the path made canonical in
 * req->path (special paths, "@...", are kept as they are).
 */
static int kxs_watch_args(struct kxs_request *req, const char **argv,
			  int argc, bool *relative)
{
	return kxs_watch_canon(argv[0], req->ctx->domid, req->path, relative);
}

/* WATCH <wpath>|<token>|[<depth>|]: reply, then the initial event. */
static int kxs_op_watch(struct kxs_request *req)
{
	u32 depth = KXS_WATCH_DEPTH_ANY;
	const char *argv[3];
	bool relative;
	int argc, ret;

	argc = kxs_args(req, argv, ARRAY_SIZE(argv));
	if (argc < 2)
		return -EINVAL;
	/* A depth only where the feature is on, as the reference checks. */
	if (argc == 3 &&
	    ((req->ctx->dom && !(READ_ONCE(req->ctx->dom->features) &
				 KXS_FEATURE_WATCHDEPTH)) ||
	     kstrtou32(argv[2], 10, &depth)))
		return -EINVAL;
	ret = kxs_watch_args(req, argv, argc, &relative);
	if (ret)
		return ret;
	ret = kxs_watch_add(req->ctx->doms, req->ctx, &req->caller, req->path,
			    relative, argv[1], depth);
	if (ret)
		return ret;
	req->watch_path = argv[0];
	req->watch_token = argv[1];
	return kxs_reply_ok(req);
}

/* UNWATCH <wpath>|<token>| */
static int kxs_op_unwatch(struct kxs_request *req)
{
	const char *argv[2];
	bool relative;
	int ret;

	if (kxs_args_n(req, argv, 2))
		return -EINVAL;
	ret = kxs_watch_args(req, argv, 2, &relative);
	if (!ret)
		ret = kxs_watch_remove(req->ctx->doms, req->ctx, req->path,
				       argv[1]);
	return ret ? ret : kxs_reply_ok(req);
}

/* RESET_WATCHES |: every watch and transaction of the connection ends. */
static int kxs_op_reset_watches(struct kxs_request *req)
{
	const char *argv[1];

	if (kxs_optional_args(req, argv, 1))
		return -EINVAL;
	kxs_ctx_reset(req->ctx);
	return kxs_reply_ok(req);
}

/* CONTROL <command>|[<parameters>|]*: see control.c. */
static int kxs_op_control(struct kxs_request *req)
{
	const char *argv[8];
	int argc, ret;

	ret = kxs_need_priv(req);
	if (ret)
		return ret;
	argc = kxs_args(req, argv, ARRAY_SIZE(argv));
	if (argc < 1)
		return -EINVAL;
	return kxs_control(req, argv, argc);
}

static bool kxs_type_ignores_tx(u32 type)
{
	return type == XS_WATCH || type == XS_UNWATCH;
}

typedef int (*kxs_op_fn)(struct kxs_request *req);

static const kxs_op_fn kxs_ops[] = {
	[XS_CONTROL]			= kxs_op_control,
	[XS_DIRECTORY]			= kxs_op_directory,
	[XS_READ]			= kxs_op_read,
	[XS_GET_PERMS]			= kxs_op_get_perms,
	[XS_WATCH]			= kxs_op_watch,
	[XS_UNWATCH]			= kxs_op_unwatch,
	[XS_TRANSACTION_START]		= kxs_op_transaction_start,
	[XS_TRANSACTION_END]		= kxs_op_transaction_end,
	[XS_INTRODUCE]			= kxs_op_introduce,
	[XS_RELEASE]			= kxs_op_release,
	[XS_GET_DOMAIN_PATH]		= kxs_op_get_domain_path,
	[XS_WRITE]			= kxs_op_write,
	[XS_MKDIR]			= kxs_op_mkdir,
	[XS_RM]				= kxs_op_rm,
	[XS_SET_PERMS]			= kxs_op_set_perms,
	[XS_IS_DOMAIN_INTRODUCED]	= kxs_op_is_domain_introduced,
	[XS_RESUME]			= kxs_op_resume,
	[XS_SET_TARGET]			= kxs_op_set_target,
	[XS_RESET_WATCHES]		= kxs_op_reset_watches,
	[XS_DIRECTORY_PART]		= kxs_op_directory_part,
	[KXS_TYPE_GET_FEATURE]		= kxs_op_get_feature,
	[KXS_TYPE_SET_FEATURE]		= kxs_op_set_feature,
	[KXS_TYPE_GET_QUOTA]		= kxs_op_get_quota,
	[KXS_TYPE_SET_QUOTA]		= kxs_op_set_quota,
};

/**
 * kxs_proto_handle() - handle one request
 * @req: the request; its reply payload is left in req->reply
 *
 * Every request gets a reply: its own type on success, XS_ERROR with an
 * errno name otherwise.  Types that are not requests (WATCH_EVENT, ERROR,
 * the removed RESTRICT, unknown ones) get ENOSYS, as the specification
 * says of every type a server does not support.  After a WATCH,
 * req->watch_path says which initial event to send after the reply.
 *
 * Context: the context's request lock held, the context not dead.
 * Return: the type of the reply.
 */
u32 kxs_proto_handle(struct kxs_request *req)
{
	u32 type = req->hdr->type;
	int ret = -ENOSYS;

	req->reply_len = 0;
	req->watch_path = NULL;
	if (type < ARRAY_SIZE(kxs_ops) && kxs_ops[type]) {
		kxs_domain_caller(req->ctx->doms, req->ctx, &req->caller);
		/*
		 * A tx_id that names no open transaction of the connection
		 * is ENOENT; watches ignore it, as the specification says.
		 */
		req->store = req->ctx->store;
		req->tx = NULL;
		ret = 0;
		if (req->hdr->tx_id && !kxs_type_ignores_tx(type)) {
			req->tx = kxs_tx_find(req->ctx, req->hdr->tx_id);
			if (!req->tx)
				ret = -ENOENT;
		}
		if (!ret)
			ret = kxs_ops[type](req);
	}
	if (!ret)
		return type;
	kxs_reply_string(req, kxs_errno_name(-ret));
	return XS_ERROR;
}
