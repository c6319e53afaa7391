/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's sysfs files: checkpoint and checkpoint_omits.
 */
#ifndef _KXS_SYSFS_H
#define _KXS_SYSFS_H

#include <linux/types.h>

struct kxs_device;
struct kxs_domains;
struct kxs_store;

int kxs_sysfs_register(struct kxs_store *store, struct kxs_domains *doms,
		       struct kxs_device *dev);
void kxs_sysfs_unregister(void);
ssize_t kxs_sysfs_scan(const u8 *buf, size_t len, size_t chunk, bool domains);

#endif /* _KXS_SYSFS_H */
