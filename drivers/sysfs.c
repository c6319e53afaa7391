// SPDX-License-Identifier: GPL-2.0
/*
 * The module's sysfs files for checkpoint and restore:
 *
 *  /sys/module/kxenstore/checkpoint        read: a stream of the store;
 *                                          write: a stream to restore
 *  /sys/module/kxenstore/checkpoint_omits  what a checkpoint leaves out
 *  /sys/module/kxenstore/stats             objects allocated, by kind
 *
 * sysfs hands a binary attribute at most a page per call, at an offset.
 * A read at offset 0 takes a snapshot of the whole store, which the
 * reads that follow on the same open file return piece by piece, so that
 * a reader gets the store of one instant whatever its read sizes.  Writes
 * gather a stream from offset 0 on; a scanner follows the grammar as the
 * bytes arrive, and the write that brings the stream's last byte
 * restores it (the format is self-delimiting; sysfs tells nobody when a
 * file is closed).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <xen/xen.h>

#include "checkpoint.h"
#include "device.h"
#include "domain.h"
#include "path.h"
#include "proto.h"
#include "stats.h"
#include "sysfs.h"
#include "xen_dom0.h"
#include "xen_guests.h"

static ushort checkpoint_guest = 1;

/*
 * Only a domid a guest can have, or in a Xen dom0 0, for the connection
 * of dom0's kernel's ring: watches parked for another never go.
 */
static int kxs_guest_param_set(const char *val, const struct kernel_param *kp)
{
	u16 domid;
	int ret = kstrtou16(val, 0, &domid);

	if (ret)
		return ret;
	if (domid ? !kxs_domid_is_guest(domid) : !xen_initial_domain())
		return -EINVAL;
	*(ushort *)kp->arg = domid;
	return 0;
}

static const struct kernel_param_ops kxs_guest_param_ops = {
	.set = kxs_guest_param_set,
	.get = param_get_ushort,
};

module_param_cb(checkpoint_guest, &kxs_guest_param_ops, &checkpoint_guest,
		0644);
MODULE_PARM_DESC(checkpoint_guest,
		 "guest domain whose watches checkpoints carry and restores give back, or 0 for dom0's kernel's ring (QEMU's format has no domain for them; default 1)");

static bool checkpoint_domains;
module_param(checkpoint_domains, bool, 0644);
MODULE_PARM_DESC(checkpoint_domains,
		 "checkpoints end with a domain section and restores take one: the domains' state, the special paths' permissions, the watches the watch list leaves out (QEMU's loader refuses such streams; default N)");

static uint checkpoint_max_bytes = 64 << 20;
module_param(checkpoint_max_bytes, uint, 0644);
MODULE_PARM_DESC(checkpoint_max_bytes,
		 "longest stream a restore takes (default 64 MiB)");

/* Where the structure scanner is in the grammar. */
enum kxs_scan_state {
	KXS_SCAN_U32,		/* a big-endian u32, then @next */
	KXS_SCAN_FLAGS,		/* a node's flags */
	KXS_SCAN_DATA,		/* @skip bytes of value */
	KXS_SCAN_PERMS,		/* permission strings up to an empty one */
	KXS_SCAN_NAMES,		/* child names, each followed by a node */
	KXS_SCAN_WATCHES,	/* watch paths, each followed by a token */
	KXS_SCAN_TOKEN,
	KXS_SCAN_SECTION,	/* @skip bytes of the domain section */
	KXS_SCAN_DONE,
};

/* What a u32 is. */
enum kxs_scan_u32 {
	KXS_U32_LAST_TX,
	KXS_U32_TREE_ID,
	KXS_U32_BASE,
	KXS_U32_DOMID,
	KXS_U32_REF,
	KXS_U32_LEN,
	KXS_U32_SECTION,
};

/**
 * struct kxs_scan - follows a stream's structure as its bytes arrive
 * @state: enum kxs_scan_state
 * @what: with KXS_SCAN_U32, enum kxs_scan_u32
 * @nbytes: bytes of the u32 seen
 * @val: the u32 so far
 * @skip: value bytes left
 * @open: nodes whose children are being read
 * @in_str: inside a non-empty string
 * @domains: a domain section follows the watch list
 *
 * Only the structure: kxs_checkpoint_restore() checks everything else.
 */
struct kxs_scan {
	u8 state;
	u8 what;
	u8 nbytes;
	bool in_str;
	bool domains;
	u32 val;
	u32 skip;
	u32 open;
};

static void kxs_scan_u32(struct kxs_scan *sc, enum kxs_scan_u32 what)
{
	sc->state = KXS_SCAN_U32;
	sc->what = what;
	sc->nbytes = 0;
	sc->val = 0;
}

/* A node (or a reference) is complete. */
static void kxs_scan_node_done(struct kxs_scan *sc)
{
	if (sc->open)
		sc->state = KXS_SCAN_NAMES;
	else
		kxs_scan_u32(sc, KXS_U32_BASE);
}

static int kxs_scan_u32_done(struct kxs_scan *sc)
{
	switch (sc->what) {
	case KXS_U32_LAST_TX:
		kxs_scan_u32(sc, KXS_U32_TREE_ID);
		break;
	case KXS_U32_TREE_ID:
		sc->state = KXS_SCAN_FLAGS;
		break;
	case KXS_U32_BASE:
		if (sc->val)
			kxs_scan_u32(sc, KXS_U32_DOMID);
		else
			sc->state = KXS_SCAN_WATCHES;
		break;
	case KXS_U32_DOMID:
		kxs_scan_u32(sc, KXS_U32_TREE_ID);
		break;
	case KXS_U32_REF:
		kxs_scan_node_done(sc);
		break;
	case KXS_U32_LEN:
		if (sc->val > KXS_PAYLOAD_MAX)
			return -EINVAL;
		sc->skip = sc->val;
		sc->state = sc->skip ? KXS_SCAN_DATA : KXS_SCAN_PERMS;
		break;
	case KXS_U32_SECTION:
		sc->skip = sc->val;
		sc->state = sc->skip ? KXS_SCAN_SECTION : KXS_SCAN_DONE;
		break;
	}
	return 0;
}

/* An empty string (a list's end) or the end of a non-empty one. */
static int kxs_scan_string(struct kxs_scan *sc, bool empty)
{
	switch (sc->state) {
	case KXS_SCAN_PERMS:
		if (empty) {
			/* A node must not nest deeper than a path can. */
			if (++sc->open > KXS_PATH_MAX / 2 + 1)
				return -EINVAL;
			sc->state = KXS_SCAN_NAMES;
		}
		break;
	case KXS_SCAN_NAMES:
		if (!empty) {
			sc->state = KXS_SCAN_FLAGS;
			break;
		}
		sc->open--;
		kxs_scan_node_done(sc);
		break;
	case KXS_SCAN_WATCHES:
		if (!empty)
			sc->state = KXS_SCAN_TOKEN;
		else if (sc->domains)
			kxs_scan_u32(sc, KXS_U32_SECTION);
		else
			sc->state = KXS_SCAN_DONE;
		break;
	case KXS_SCAN_TOKEN:
		sc->state = KXS_SCAN_WATCHES;
		break;
	}
	return 0;
}

/*
 * Follow @len more bytes.  Return: the bytes up to and including the
 * stream's last one if it is among them, 0 if more are needed, -EINVAL.
 */
static ssize_t kxs_scan(struct kxs_scan *sc, const u8 *p, size_t len)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < len && !ret; i++) {
		u8 c = p[i];

		switch (sc->state) {
		case KXS_SCAN_U32:
			/* Whole when it is (the usual case), else bytewise. */
			if (!sc->nbytes && len - i >= 4) {
				__be32 be;

				memcpy(&be, p + i, sizeof(be));
				sc->val = be32_to_cpu(be);
				sc->nbytes = 4;
				i += 3;
			} else {
				sc->val = sc->val << 8 | c;
				sc->nbytes++;
			}
			if (sc->nbytes == 4)
				ret = kxs_scan_u32_done(sc);
			break;
		case KXS_SCAN_FLAGS:
			if (c == KXS_CP_NODE_REF)
				kxs_scan_u32(sc, KXS_U32_REF);
			else if (c & ~(KXS_CP_MODIFIED_IN_TX |
				       KXS_CP_DELETED_IN_TX))
				ret = -EINVAL;
			else
				kxs_scan_u32(sc, KXS_U32_LEN);
			break;
		case KXS_SCAN_DATA:
		case KXS_SCAN_SECTION: {
			/* The value's (or the section's) bytes at once. */
			size_t n = min_t(size_t, sc->skip, len - i);

			i += n - 1;
			sc->skip -= n;
			if (!sc->skip)
				sc->state = sc->state == KXS_SCAN_DATA ?
					    KXS_SCAN_PERMS : KXS_SCAN_DONE;
			break;
		}
		case KXS_SCAN_PERMS:
		case KXS_SCAN_NAMES:
		case KXS_SCAN_WATCHES:
		case KXS_SCAN_TOKEN:
			if (sc->in_str && c) {
				/* The rest of a string at once. */
				const u8 *nul = memchr(p + i, 0, len - i);

				if (!nul) {
					i = len - 1;
					break;
				}
				i = nul - p;
				c = 0;
			}
			if (sc->in_str || c) {
				sc->in_str = c;
				if (!c)
					ret = kxs_scan_string(sc, false);
			} else {
				ret = kxs_scan_string(sc, true);
			}
			break;
		case KXS_SCAN_DONE:
			return -EINVAL;	/* trailing bytes */
		}
		if (!ret && sc->state == KXS_SCAN_DONE)
			return i + 1;
	}
	return ret;
}

/**
 * kxs_sysfs_scan() - where a stream written in pieces ends
 * @buf: the bytes
 * @len: their number
 * @chunk: the size of each piece
 * @domains: a domain section follows the watch list
 *
 * The scanner as writes of @chunk bytes drive it (for KUnit).
 *
 * Return: the length of the stream if it ends with the last piece, 0 if
 * it is not complete, -EINVAL if it is not valid or bytes follow its end.
 */
ssize_t kxs_sysfs_scan(const u8 *buf, size_t len, size_t chunk, bool domains)
{
	struct kxs_scan sc = { .domains = domains };
	size_t off;
	ssize_t end = 0;

	kxs_scan_u32(&sc, KXS_U32_LAST_TX);
	for (off = 0; off < len && !end; off += chunk) {
		size_t n = min(chunk, len - off);

		end = kxs_scan(&sc, buf + off, n);
		if (end > 0 && end != n)
			return -EINVAL;
		if (end > 0)
			end += off;
	}
	if (end > 0 && end != len)
		return -EINVAL;
	return end;
}

/* A snapshot being read, per open file. */
#define KXS_SNAPSHOTS	4

struct kxs_snapshot {
	struct file *file;
	u8 *buf;
	size_t len;
	unsigned long used;	/* for eviction: the oldest goes */
};

static struct {
	struct kxs_store *store;
	struct kxs_domains *doms;
	struct kxs_device *dev;
	struct mutex read_lock;		/* @snap, @clock */
	struct kxs_snapshot snap[KXS_SNAPSHOTS];
	unsigned long clock;
	struct mutex write_lock;	/* @in, @in_file, @in_scan */
	struct file *in_file;
	struct kxs_sbuf in;
	struct kxs_scan in_scan;
	bool registered;
} kxs_cp;

static void kxs_snapshot_drop(struct kxs_snapshot *sn)
{
	kvfree(sn->buf);
	/* The file was held, so that no new one can take its address. */
	if (sn->file)
		fput(sn->file);
	memset(sn, 0, sizeof(*sn));
}

static struct kxs_snapshot *kxs_snapshot_of(struct file *file)
{
	int i;

	for (i = 0; i < KXS_SNAPSHOTS; i++)
		if (kxs_cp.snap[i].file == file)
			return &kxs_cp.snap[i];
	return NULL;
}

/* A fresh snapshot for @file, in its slot, a free one, or the oldest. */
static int kxs_snapshot_take(struct file *file, struct kxs_snapshot **out)
{
	struct kxs_snapshot *sn = kxs_snapshot_of(file);
	int i, ret;

	for (i = 0; !sn && i < KXS_SNAPSHOTS; i++)
		if (!kxs_cp.snap[i].file)
			sn = &kxs_cp.snap[i];
	if (!sn) {
		sn = &kxs_cp.snap[0];
		for (i = 1; i < KXS_SNAPSHOTS; i++)
			if (kxs_cp.snap[i].used < sn->used)
				sn = &kxs_cp.snap[i];
	}
	kxs_snapshot_drop(sn);
	if (READ_ONCE(checkpoint_domains))
		ret = kxs_checkpoint_save_domains(kxs_cp.store, kxs_cp.doms,
						  READ_ONCE(checkpoint_guest),
						  &sn->buf, &sn->len);
	else
		ret = kxs_checkpoint_save(kxs_cp.store, kxs_cp.doms,
					  READ_ONCE(checkpoint_guest),
					  &sn->buf, &sn->len);
	if (ret)
		return ret;
	sn->file = get_file(file);
	*out = sn;
	return 0;
}

static ssize_t checkpoint_read(struct file *file, struct kobject *kobj,
			       struct bin_attribute *attr, char *buf,
			       loff_t off, size_t count)
{
	struct kxs_snapshot *sn;
	ssize_t ret;

	mutex_lock(&kxs_cp.read_lock);
	if (off == 0) {
		ret = kxs_snapshot_take(file, &sn);
		if (ret)
			goto out;
	} else {
		/* Evicted, or a seek: the rest of that instant is gone. */
		sn = kxs_snapshot_of(file);
		ret = -ESTALE;
		if (!sn)
			goto out;
	}
	sn->used = ++kxs_cp.clock;
	ret = 0;
	if (off < sn->len) {
		ret = min_t(size_t, count, sn->len - off);
		memcpy(buf, sn->buf + off, ret);
	} else {
		kxs_snapshot_drop(sn);	/* read to the end */
	}
out:
	mutex_unlock(&kxs_cp.read_lock);
	return ret;
}

static void kxs_in_reset(void)
{
	kvfree(kxs_cp.in.buf);
	memset(&kxs_cp.in, 0, sizeof(kxs_cp.in));
	if (kxs_cp.in_file)
		fput(kxs_cp.in_file);
	kxs_cp.in_file = NULL;
}

static ssize_t checkpoint_write(struct file *file, struct kobject *kobj,
				struct bin_attribute *attr, char *buf,
				loff_t off, size_t count)
{
	ssize_t ret, end;

	mutex_lock(&kxs_cp.write_lock);
	if (off == 0) {
		kxs_in_reset();
		memset(&kxs_cp.in_scan, 0, sizeof(kxs_cp.in_scan));
		kxs_cp.in_scan.domains = READ_ONCE(checkpoint_domains);
		kxs_scan_u32(&kxs_cp.in_scan, KXS_U32_LAST_TX);
		kxs_cp.in_file = get_file(file);
	} else if (kxs_cp.in_file != file || off != kxs_cp.in.len) {
		/* Not the continuation of the stream being written. */
		ret = -EINVAL;
		goto out;
	}
	ret = -EFBIG;
	kxs_cp.in.max = READ_ONCE(checkpoint_max_bytes);
	if (kxs_cp.in.len + count > kxs_cp.in.max)
		goto fail;
	end = kxs_scan(&kxs_cp.in_scan, buf, count);
	ret = -EINVAL;
	if (end < 0 || (end > 0 && end != count))
		goto fail;
	kxs_sbuf_bytes(&kxs_cp.in, buf, count);
	ret = kxs_cp.in.err;
	if (ret)
		goto fail;
	ret = count;
	if (!end)
		goto out;
	if (kxs_cp.in_scan.domains)
		ret = kxs_checkpoint_restore_domains(kxs_cp.store, kxs_cp.doms,
						     READ_ONCE(checkpoint_guest),
						     kxs_cp.in.buf,
						     kxs_cp.in.len);
	else
		ret = kxs_checkpoint_restore(kxs_cp.store, kxs_cp.doms,
					     READ_ONCE(checkpoint_guest),
					     kxs_cp.in.buf, kxs_cp.in.len);
	if (!ret)
		ret = count;
fail:
	kxs_in_reset();
out:
	mutex_unlock(&kxs_cp.write_lock);
	return ret;
}

static __maybe_unused BIN_ATTR_ADMIN_RW(checkpoint, 0);

static ssize_t checkpoint_omits_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	int n = atomic_read(&kxs_cp.dev->nr_open), len = 0, ret;

	if (n)
		len = sysfs_emit(buf, "connections %d\n", n);
	/*
	 * The ring's connection is carried when the stream is domain 0's
	 * and the ring is quiet (paused while frozen, nothing in flight).
	 */
	if (kxs_dom0_serving() &&
	    (READ_ONCE(checkpoint_guest) != 0 || !kxs_dom0_quiet()))
		len += sysfs_emit_at(buf, len, "dom0-ring\n");
	/* Guests' rings likewise, with the domain section only. */
	len += kxs_guests_unquiet(!READ_ONCE(checkpoint_domains), buf + len,
				  PAGE_SIZE - len);
	ret = kxs_checkpoint_omits(kxs_cp.doms, READ_ONCE(checkpoint_guest),
				   READ_ONCE(checkpoint_domains), buf + len,
				   PAGE_SIZE - len);
	return ret < 0 ? ret : len + ret;
}

static ssize_t stats_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	int i, len = 0;

	for (i = 0; i < KXS_STAT_NR; i++)
		len += sysfs_emit_at(buf, len, "%s %ld\n", kxs_stat_names[i],
				     kxs_stat(i));
	return len;
}

static struct kobj_attribute stats_attr __maybe_unused =
	__ATTR(stats, 0444, stats_show, NULL);

static struct kobj_attribute checkpoint_omits_attr __maybe_unused =
	__ATTR(checkpoint_omits, 0400, checkpoint_omits_show, NULL);

/**
 * kxs_sysfs_register() - create the checkpoint files
 * @store: the store they save and restore
 * @doms: its domain table
 * @dev: the device serving it (its open files are counted)
 *
 * Return: 0 or an errno.  Built into the kernel (KUnit), the module has
 * no directory of its own and there are no files.
 */
int kxs_sysfs_register(struct kxs_store *store, struct kxs_domains *doms,
		       struct kxs_device *dev)
{
	mutex_init(&kxs_cp.read_lock);
	mutex_init(&kxs_cp.write_lock);
	kxs_cp.store = store;
	kxs_cp.doms = doms;
	kxs_cp.dev = dev;
#ifdef MODULE
	{
		struct kobject *kobj = &THIS_MODULE->mkobj.kobj;
		int ret;

		ret = sysfs_create_bin_file(kobj, &bin_attr_checkpoint);
		if (ret)
			return ret;
		ret = sysfs_create_file(kobj, &checkpoint_omits_attr.attr);
		if (!ret) {
			ret = sysfs_create_file(kobj, &stats_attr.attr);
			if (ret)
				sysfs_remove_file(kobj,
						  &checkpoint_omits_attr.attr);
		}
		if (ret) {
			sysfs_remove_bin_file(kobj, &bin_attr_checkpoint);
			return ret;
		}
		kxs_cp.registered = true;
	}
#endif
	return 0;
}

/* Remove the files, then free what readers and writers left behind. */
void kxs_sysfs_unregister(void)
{
	int i;

#ifdef MODULE
	if (kxs_cp.registered) {
		struct kobject *kobj = &THIS_MODULE->mkobj.kobj;

		sysfs_remove_file(kobj, &stats_attr.attr);
		sysfs_remove_file(kobj, &checkpoint_omits_attr.attr);
		sysfs_remove_bin_file(kobj, &bin_attr_checkpoint);
		kxs_cp.registered = false;
	}
#endif
	for (i = 0; i < KXS_SNAPSHOTS; i++)
		kxs_snapshot_drop(&kxs_cp.snap[i]);
	kxs_in_reset();
	mutex_destroy(&kxs_cp.read_lock);
	mutex_destroy(&kxs_cp.write_lock);
}
