// SPDX-License-Identifier: GPL-2.0
/*
 * kxenstore: xenstore served by the kernel.
 *
 * Module entry points: one store, served on one misc device.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "device.h"
#include "store.h"

static char *device_name = "xen/xenbus";
module_param(device_name, charp, 0444);
MODULE_PARM_DESC(device_name,
		 "device node to serve, relative to /dev (default xen/xenbus)");

static struct kxs_store *kxs_store;
static struct kxs_device kxs_device;

static int __init kxs_init(void)
{
	int ret;

	kxs_store = kxs_store_create();
	if (!kxs_store)
		return -ENOMEM;
	ret = kxs_device_register(&kxs_device, device_name, kxs_store);
	if (ret) {
		kxs_store_destroy(kxs_store);
		return ret;
	}
	pr_info("serving /dev/%s\n", device_name);
	return 0;
}

/* No file is open: each holds a reference on the module. */
static void __exit kxs_exit(void)
{
	kxs_device_unregister(&kxs_device);
	kxs_store_destroy(kxs_store);
}

module_init(kxs_init);
module_exit(kxs_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("xenstore served by the kernel on /dev/xen/xenbus");
