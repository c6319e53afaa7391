// SPDX-License-Identifier: GPL-2.0
/*
 * The misc device.  One open file is one connection, acting for the
 * control domain until the bind ioctl makes it a guest's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "uapi/linux/kxenstore.h"

#include "conn.h"
#include "device.h"

static int kxs_dev_open(struct inode *inode, struct file *file)
{
	/* misc_open() left our miscdevice in private_data. */
	struct kxs_device *dev = container_of(file->private_data,
					      struct kxs_device, misc);
	struct kxs_conn *c;

	if (READ_ONCE(dev->frozen))
		return -EAGAIN;
	c = kxs_conn_create(dev->store, dev->doms);
	if (!c)
		return -ENOMEM;
	c->nr_open = &dev->nr_open;
	atomic_inc(&dev->nr_open);
	file->private_data = c;
	return stream_open(inode, file);
}

static int kxs_dev_release(struct inode *inode, struct file *file)
{
	struct kxs_conn *c = file->private_data;

	if (c->nr_open)
		atomic_dec(c->nr_open);
	kxs_conn_close(c);
	return 0;
}

static ssize_t kxs_dev_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;

	return kxs_conn_read(file->private_data, to,
			     file->f_flags & O_NONBLOCK);
}

static ssize_t kxs_dev_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;

	return kxs_conn_write(file->private_data, from,
			      file->f_flags & O_NONBLOCK);
}

/*
 * read() and write() of one buffer, the usual client's one of each per
 * request, without the kiocb that read_iter() and write_iter() (readv(),
 * writev(), io_uring) take: as /dev/zero and /dev/null do.
 */
static ssize_t kxs_dev_read(struct file *file, char __user *buf, size_t len,
			    loff_t *ppos)
{
	struct iov_iter to;

	iov_iter_ubuf(&to, ITER_DEST, buf, len);
	return kxs_conn_read(file->private_data, &to,
			     file->f_flags & O_NONBLOCK);
}

static ssize_t kxs_dev_write(struct file *file, const char __user *buf,
			     size_t len, loff_t *ppos)
{
	struct iov_iter from;

	iov_iter_ubuf(&from, ITER_SOURCE, (void __user *)buf, len);
	return kxs_conn_write(file->private_data, &from,
			      file->f_flags & O_NONBLOCK);
}

static __poll_t kxs_dev_poll(struct file *file, poll_table *wait)
{
	return kxs_conn_poll(file->private_data, file, wait);
}

static long kxs_dev_ioctl_bind(struct kxs_conn *c, void __user *argp)
{
	struct kxs_ioc_bind b;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&b, argp, sizeof(b)))
		return -EFAULT;
	if (b.flags || b.domid > U16_MAX)
		return -EINVAL;
	return kxs_conn_bind(c, b.domid);
}

static long kxs_dev_ioctl_request(struct kxs_conn *c, void __user *argp)
{
	struct kxs_ioc_request __user *ureq = argp;
	struct kxs_ioc_request r;
	u32 reply_len;
	int ret;

	if (copy_from_user(&r, ureq, sizeof(r)))
		return -EFAULT;
	if (r.flags || r.reply_size < KXS_IOC_MSG_MAX)
		return -EINVAL;
	ret = kxs_conn_request(c, u64_to_user_ptr(r.request), r.request_len,
			       u64_to_user_ptr(r.reply), &reply_len);
	if (ret)
		return ret;
	return put_user(reply_len, &ureq->reply_len);
}

static long kxs_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case KXS_IOC_BIND_DOMAIN:
		return kxs_dev_ioctl_bind(file->private_data, argp);
	case KXS_IOC_REQUEST:
		return kxs_dev_ioctl_request(file->private_data, argp);
	}
	return -ENOTTY;
}

static const struct file_operations kxs_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= kxs_dev_open,
	.release	= kxs_dev_release,
	.read		= kxs_dev_read,
	.write		= kxs_dev_write,
	.read_iter	= kxs_dev_read_iter,
	.write_iter	= kxs_dev_write_iter,
	.poll		= kxs_dev_poll,
	.unlocked_ioctl	= kxs_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static bool kxs_path_exists(const char *fmt, const char *name)
{
	struct path path;
	char *s;
	int ret;

	s = kasprintf(GFP_KERNEL, fmt, name);
	if (!s)
		return false;
	ret = kern_path(s, 0, &path);
	kfree(s);
	if (ret)
		return false;
	path_put(&path);
	return true;
}

/*
 * Is a device of that name there already?  On a Xen dom0 the kernel's
 * own xenbus frontend holds /dev/xen/xenbus.  misc_register() does not
 * check names, and the sysfs clash it would run into is loud and late,
 * so look for the device node and for the misc class entry (whose name
 * has '!' for '/') first.
 */
static bool kxs_device_name_taken(const char *name)
{
	bool taken;
	char *sysname;

	if (kxs_path_exists("/dev/%s", name))
		return true;
	sysname = kstrdup(name, GFP_KERNEL);
	if (!sysname)
		return false;
	strreplace(sysname, '/', '!');
	taken = kxs_path_exists("/sys/class/misc/%s", sysname);
	kfree(sysname);
	return taken;
}

/* A relative path of non-empty components without "." or "..". */
static bool kxs_device_name_valid(const char *name)
{
	const char *p = name;

	if (!*name || *name == '/' || strlen(name) > 64)
		return false;
	while (*p) {
		size_t len = strchrnul(p, '/') - p;

		if (!len || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += len;
		if (*p == '/' && !*++p)
			return false;
	}
	return true;
}

/**
 * kxs_device_register() - create the device node clients open
 * @dev: the device to set up
 * @name: its path under /dev
 * @mode: permissions of the device node
 * @store: the store its connections act on
 * @doms: the store's domain table
 *
 * Return: 0, -EINVAL for a bad name, -EEXIST if the name is taken, or the
 * error of misc_register().
 */
int kxs_device_register(struct kxs_device *dev, const char *name,
			umode_t mode, struct kxs_store *store,
			struct kxs_domains *doms)
{
	int ret;

	if (!kxs_device_name_valid(name)) {
		pr_err("device_name=\"%s\" is not a valid device path\n", name);
		return -EINVAL;
	}
	if (kxs_device_name_taken(name)) {
		pr_err("/dev/%s already exists (on a Xen dom0 the kernel's xenbus driver owns /dev/xen/xenbus); load with device_name=<another name>, e.g. device_name=xen/kxenstore\n",
		       name);
		return -EEXIST;
	}
	dev->store = store;
	dev->doms = doms;
	atomic_set(&dev->nr_open, 0);
	dev->misc.mode = mode;
	dev->misc.minor = MISC_DYNAMIC_MINOR;
	dev->misc.name = name;
	dev->misc.fops = &kxs_dev_fops;
	ret = misc_register(&dev->misc);
	if (ret)
		pr_err("cannot register /dev/%s: %d; try another device_name=\n",
		       name, ret);
	return ret;
}

void kxs_device_unregister(struct kxs_device *dev)
{
	misc_deregister(&dev->misc);
}
