/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kxenstore: the ioctls of /dev/xen/xenbus.
 *
 * The device speaks the xenstore wire protocol through read() and write()
 * (struct xsd_sockmsg headers, <xen/io/xs_wire.h>).  These ioctls
 * complement it; see Documentation/ABI/testing/dev-kxenstore.
 */
#ifndef _UAPI_LINUX_KXENSTORE_H
#define _UAPI_LINUX_KXENSTORE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KXS_IOC_MAGIC		0xB9

/* Header and largest payload of a wire message (XENSTORE_PAYLOAD_MAX). */
#define KXS_IOC_MSG_MAX		(16 + 4096)

/**
 * struct kxs_ioc_bind - act for a guest domain from now on
 * @domid: the guest domain, 1 to 0x7fef (DOMID_FIRST_RESERVED - 1)
 * @flags: must be 0
 *
 * Needs CAP_SYS_ADMIN and a connection that has not sent a byte of a
 * request yet (EBUSY otherwise, or if it is bound already).  Domain 0 and
 * the DOMID_* special values are refused with EINVAL.  From then on the
 * connection is the guest's ring: relative paths are under
 * /local/domain/<domid>, the guest's permissions and quotas apply, and
 * requests reserved to the control domain fail with EACCES.
 */
struct kxs_ioc_bind {
	__u32 domid;
	__u32 flags;
};

/**
 * struct kxs_ioc_request - one request and its reply in one call
 * @request: user address of the request: header, then payload
 * @reply: user address of room for the reply: header, then payload
 * @request_len: bytes at @request; must be 16 + the header's len
 * @reply_size: bytes at @reply; at least KXS_IOC_MSG_MAX
 * @reply_len: set to the bytes of reply written at @reply
 * @flags: must be 0
 *
 * The reply is the message read() would return for the same request
 * (XS_ERROR with an errno name included); the ioctl itself fails only
 * when the request cannot be taken in: EINVAL for a malformed argument,
 * E2BIG for a payload over 4096 bytes, EFAULT, EPIPE once the domain
 * was released.  Replies to requests sent with write() and watch events
 * are not returned here: they stay queued for read().
 */
struct kxs_ioc_request {
	__u64 request;
	__u64 reply;
	__u32 request_len;
	__u32 reply_size;
	__u32 reply_len;
	__u32 flags;
};

#define KXS_IOC_BIND_DOMAIN	_IOW(KXS_IOC_MAGIC, 0x01, struct kxs_ioc_bind)
#define KXS_IOC_REQUEST		_IOWR(KXS_IOC_MAGIC, 0x02, \
				      struct kxs_ioc_request)

#endif /* _UAPI_LINUX_KXENSTORE_H */
