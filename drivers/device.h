/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The character device clients open: /dev/xen/xenbus by default.
 */
#ifndef _KXS_DEVICE_H
#define _KXS_DEVICE_H

#include <linux/atomic.h>
#include <linux/miscdevice.h>

struct kxs_domains;
struct kxs_store;

/**
 * struct kxs_device - a misc device serving one store
 * @misc: the misc device; its open files are connections
 * @store: the store the connections act on
 * @doms: the store's domain table
 * @nr_open: open files (connections)
 * @frozen: refuse new connections (the frozen module parameter, main.c)
 */
struct kxs_device {
	struct miscdevice misc;
	struct kxs_store *store;
	struct kxs_domains *doms;
	atomic_t nr_open;
	bool frozen;
};

int kxs_device_register(struct kxs_device *dev, const char *name,
			umode_t mode, struct kxs_store *store,
			struct kxs_domains *doms);
void kxs_device_unregister(struct kxs_device *dev);

#endif /* _KXS_DEVICE_H */
