/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checkpoint and restore of a whole store in QEMU's xenstore
 * serialization format (see Documentation/checkpoint.rst).
 */
#ifndef _KXS_CHECKPOINT_H
#define _KXS_CHECKPOINT_H

#include <linux/types.h>

struct kxs_domains;
struct kxs_store;

/* Node flags of the format. */
#define KXS_CP_MODIFIED_IN_TX	0x01
#define KXS_CP_DELETED_IN_TX	0x02
#define KXS_CP_NODE_REF		0x04

/* The id a stream we write gives the main tree, as QEMU's first one. */
#define KXS_CP_MAIN_TX		1
/* The base of a transaction whose commit fails: not the main tree's. */
#define KXS_CP_STALE_BASE	U32_MAX
/* The most watches of its guest QEMU's loader takes (XS_MAX_WATCHES). */
#define KXS_CP_QEMU_WATCHES	128

/**
 * struct kxs_sbuf - a growing byte buffer for a stream
 * @buf: the bytes (kvmalloc()ed)
 * @len: bytes used
 * @size: bytes allocated
 * @max: if not 0, the most it may hold: growth stops there
 * @err: 0, or -ENOMEM once an append failed (later appends do nothing)
 */
struct kxs_sbuf {
	u8 *buf;
	size_t len;
	size_t size;
	size_t max;
	int err;
};

void kxs_sbuf_bytes(struct kxs_sbuf *b, const void *p, size_t len);
void kxs_sbuf_u8(struct kxs_sbuf *b, u8 v);
void kxs_sbuf_be32(struct kxs_sbuf *b, u32 v);
void kxs_sbuf_str(struct kxs_sbuf *b, const char *s);
void *kxs_grow(void *old, u32 count, size_t size);

int kxs_checkpoint_save(struct kxs_store *s, struct kxs_domains *d,
			u16 guest, u8 **buf, size_t *len);
int kxs_checkpoint_save_domains(struct kxs_store *s, struct kxs_domains *d,
				u16 guest, u8 **buf, size_t *len);
int kxs_checkpoint_restore(struct kxs_store *s, struct kxs_domains *d,
			   u16 guest, const u8 *buf, size_t len);
int kxs_checkpoint_restore_domains(struct kxs_store *s,
				   struct kxs_domains *d, u16 guest,
				   const u8 *buf, size_t len);
int kxs_checkpoint_omits(struct kxs_domains *d, u16 guest, bool domains,
			 char *buf, size_t size);

#endif /* _KXS_CHECKPOINT_H */
