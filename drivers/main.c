// SPDX-License-Identifier: GPL-2.0
/*
 * kxenstore: xenstore served by the kernel.
 *
 * Module entry points: one store and its domain table, served on one misc
 * device.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

/* The same limits as Kconfig's, for out-of-tree builds (see Kconfig). */
#ifndef CONFIG_64BIT
#error "kxenstore needs a 64-bit kernel: its generation counters are read without locks"
#endif
#ifdef CONFIG_PREEMPT_RT
#error "kxenstore does not support PREEMPT_RT: its commit takes spinlock_t with preemption off"
#endif

#include <linux/string.h>
#include <xen/xen.h>

#include "device.h"
#include "domain.h"
#include "stats.h"
#include "store.h"
#include "sysfs.h"
#include "xen_dom0.h"
#include "xen_guests.h"

/*
 * Under Xen the kernel's own xenbus frontend has /dev/xen/xenbus (and
 * talks to the store through the ring this module serves there).
 */
#define KXS_DEVICE_NAME		"xen/xenbus"
#define KXS_DEVICE_NAME_XEN	"xen/kxenstore"

static char *device_name;
module_param(device_name, charp, 0444);
MODULE_PARM_DESC(device_name,
		 "device node to serve, relative to /dev (default xen/xenbus; xen/kxenstore in a Xen domain)");

/* Set once loaded: from then on a parameter write acts at once. */
static bool kxs_loaded;

static struct kxs_device kxs_device;

/*
 * Set by the live-update script between its checkpoint and the unload
 * (and in the new module until its restore), so that no client changes
 * what the checkpoint holds: no new connection, and dom0's ring takes
 * in no new message.
 */
static bool frozen;

static int kxs_frozen_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_bool(val, kp);

	if (ret || !kxs_loaded)
		return ret;
	WRITE_ONCE(kxs_device.frozen, frozen);
	kxs_dom0_pause(frozen);
	kxs_guests_pause(frozen);
	return 0;
}

static const struct kernel_param_ops kxs_frozen_ops = {
	.set = kxs_frozen_set,
	.get = param_get_bool,
};

module_param_cb(frozen, &kxs_frozen_ops, &frozen, 0644);
MODULE_PARM_DESC(frozen,
		 "refuse new connections with EAGAIN, take in no new request on dom0's ring (set while a live update runs)");

/* xen_ring's values, indexed by enum kxs_dom0_mode. */
static const char * const kxs_dom0_modes[] = {
	[KXS_DOM0_OFF] = "off",
	[KXS_DOM0_AUTO] = "auto",
	[KXS_DOM0_ON] = "on",
};

static enum kxs_dom0_mode xen_ring = KXS_DOM0_AUTO;

/*
 * At load time, the mode.  Once loaded, only "off" may be written: stop
 * serving dom0's ring, which a live update does between its checkpoint
 * and the unload (frozen, and the ring and the guests' rings quiet:
 * else EBUSY), and stop serving guests; the file keeps showing the mode
 * the module was loaded with.
 */
static int kxs_xen_ring_set(const char *val, const struct kernel_param *kp)
{
	int mode = sysfs_match_string(kxs_dom0_modes, val);
	int ret;

	if (!kxs_loaded) {
		if (mode < 0) {
			pr_err("xen_ring=%s: not one of auto, on, off\n", val);
			return -EINVAL;
		}
		xen_ring = mode;
		return 0;
	}
	if (mode != KXS_DOM0_OFF)
		return -EINVAL;
	if (!READ_ONCE(frozen) || !kxs_guests_quiet())
		return -EBUSY;
	ret = kxs_dom0_handover();
	if (!ret)
		kxs_guests_stop();
	return ret;
}

static int kxs_xen_ring_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", kxs_dom0_modes[xen_ring]);
}

static const struct kernel_param_ops kxs_xen_ring_ops = {
	.set = kxs_xen_ring_set,
	.get = kxs_xen_ring_get,
};

module_param_cb(xen_ring, &kxs_xen_ring_ops, NULL, 0644);
MODULE_PARM_DESC(xen_ring,
		 "serve the xenstore ring of dom0's kernel: auto (where it waits for a store), on (or fail), off; once loaded, writing off while frozen hands it over (live update)");

static ushort device_mode = 0600;
module_param(device_mode, ushort, 0444);
MODULE_PARM_DESC(device_mode,
		 "permissions of the device node (default 0600: root only, like xenstored's socket)");

/*
 * The global quotas (xenstored's defaults), for every guest domain
 * without its own.  SET_QUOTA and "xenstore-control quota set" change
 * them at run time; the parameter files show the current values.
 */
static u32 kxs_quota[KXS_QUOTA_NR] = {
	[KXS_QUOTA_NODES]		= 1000,
	[KXS_QUOTA_WATCHES]		= 128,
	[KXS_QUOTA_TRANSACTIONS]	= 10,
	[KXS_QUOTA_NODE_SIZE]		= 2048,
	[KXS_QUOTA_PERMS]		= 5,
	[KXS_QUOTA_TX_NODES]		= 1024,
	[KXS_QUOTA_MEMORY]		= 2621440,
};
module_param_named(quota_nodes, kxs_quota[KXS_QUOTA_NODES], uint, 0444);
MODULE_PARM_DESC(quota_nodes, "nodes a guest domain may own (0: no limit)");
module_param_named(quota_watches, kxs_quota[KXS_QUOTA_WATCHES], uint, 0444);
MODULE_PARM_DESC(quota_watches, "watches per guest domain (0: no limit)");
module_param_named(quota_transactions, kxs_quota[KXS_QUOTA_TRANSACTIONS],
		   uint, 0444);
MODULE_PARM_DESC(quota_transactions,
		 "open transactions per guest domain (0: no limit)");
module_param_named(quota_node_size, kxs_quota[KXS_QUOTA_NODE_SIZE], uint,
		   0444);
MODULE_PARM_DESC(quota_node_size,
		 "bytes of a node a guest writes: 24 + 8 per permission + value + child names (0: no limit)");
module_param_named(quota_permissions, kxs_quota[KXS_QUOTA_PERMS], uint,
		   0444);
MODULE_PARM_DESC(quota_permissions,
		 "permission entries a guest may give a node (0: no limit)");
module_param_named(quota_transaction_nodes, kxs_quota[KXS_QUOTA_TX_NODES],
		   uint, 0444);
MODULE_PARM_DESC(quota_transaction_nodes,
		 "paths one transaction of a guest may touch (0: no limit)");
module_param_named(quota_memory, kxs_quota[KXS_QUOTA_MEMORY], uint, 0444);
MODULE_PARM_DESC(quota_memory,
		 "bytes a guest's nodes, transactions and watches may hold (0: no limit)");

static struct kxs_store *kxs_store;
static struct kxs_domains kxs_domains;

/*
 * commit_max_ns: the longest a transaction's commit kept preemption off
 * (every lock-free reader on every CPU spins meanwhile); writing 0
 * starts counting again.  A figure for the benchmark, not a setting.
 */
static int kxs_commit_max_get(char *buf, const struct kernel_param *kp)
{
	struct kxs_store *s = READ_ONCE(kxs_store);

	return sysfs_emit(buf, "%llu\n", s ? READ_ONCE(s->commit_max_ns) : 0);
}

static int kxs_commit_max_set(const char *val, const struct kernel_param *kp)
{
	struct kxs_store *s = READ_ONCE(kxs_store);
	u64 v;

	if (kstrtou64(val, 0, &v) || v)
		return -EINVAL;
	if (s)
		WRITE_ONCE(s->commit_max_ns, 0);
	return 0;
}

static const struct kernel_param_ops kxs_commit_max_ops = {
	.get = kxs_commit_max_get,
	.set = kxs_commit_max_set,
};
module_param_cb(commit_max_ns, &kxs_commit_max_ops, NULL, 0644);
MODULE_PARM_DESC(commit_max_ns,
		 "longest commit section so far, in ns (write 0 to reset)");

static int __init kxs_init(void)
{
	int ret;

	if (device_mode & ~0777) {
		pr_err("device_mode=%#o is not a permission mode\n",
		       device_mode);
		return -EINVAL;
	}
	if (!device_name && xen_domain()) {
		device_name = KXS_DEVICE_NAME_XEN;
		pr_info("in a Xen domain, whose kernel has /dev/%s: serving /dev/%s\n",
			KXS_DEVICE_NAME, device_name);
	} else if (!device_name) {
		device_name = KXS_DEVICE_NAME;
	}
	kxs_store = kxs_store_create();
	if (!kxs_store)
		return -ENOMEM;
	ret = kxs_domains_init(&kxs_domains, kxs_quota);
	if (ret)
		goto err_store;
	kxs_device.frozen = frozen;
	ret = kxs_device_register(&kxs_device, device_name, device_mode,
				  kxs_store, &kxs_domains);
	if (ret)
		goto err_domains;
	ret = kxs_sysfs_register(kxs_store, &kxs_domains, &kxs_device);
	if (ret)
		goto err_device;
	pr_info("serving /dev/%s\n", device_name);
	/* Last: from here on dom0's kernel may depend on the store. */
	ret = kxs_dom0_start(kxs_store, &kxs_domains, xen_ring, frozen);
	if (ret)
		goto err_device;
	/* Serving dom0's kernel, the module is the host's store. */
	if (kxs_dom0_serving())
		kxs_guests_start(kxs_store, &kxs_domains, frozen);
	kxs_loaded = true;
	return 0;

err_device:
	kxs_sysfs_unregister();
	kxs_device_unregister(&kxs_device);
err_domains:
	kxs_domains_destroy(&kxs_domains);
err_store:
	kxs_store_destroy(kxs_store);
	return ret;
}

/* No file is open: each holds a reference on the module. */
static void __exit kxs_exit(void)
{
	int i;

	kxs_dom0_stop();
	kxs_guests_stop();
	kxs_sysfs_unregister();
	kxs_device_unregister(&kxs_device);
	kxs_domains_destroy(&kxs_domains);
	kxs_store_destroy(kxs_store);
	/* Everything the module allocated is freed (or on its way). */
	for (i = 0; i < KXS_STAT_NR; i++)
		if (WARN(kxs_stat(i), "%ld %s left at unload\n", kxs_stat(i),
			 kxs_stat_names[i]))
			break;
}

module_init(kxs_init);
module_exit(kxs_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("xenstore served by the kernel on /dev/xen/xenbus");
