// SPDX-License-Identifier: GPL-2.0
/*
 * kxs_hostile: a Xen guest that misbehaves on its own xenstore ring.
 *
 * Loaded in a guest by tests/xen/guests.sh, it writes raw bytes to the
 * request ring that the guest's kernel shares with the xenstore server:
 * what the guest's /dev/xen/xenbus would refuse to send.  Each parameter
 * is one action; given together, they run in this order:
 *
 *   flood=N      N valid READ requests of @path, as fast as the ring takes
 *                them (request ids the guest's kernel never uses: its
 *                xenbus reader drops the replies)
 *   truncated=1  a WRITE header that promises 100 bytes, then 10 of them
 *                and nothing more
 *   oversize=1   a WRITE header with len XENSTORE_PAYLOAD_MAX + 1, and
 *                the 4097 bytes it promises
 *   badidx=1     req_prod moved more than a ring ahead of req_cons
 *   reconnect=1  ask the server to reset the ring (XENSTORE_RECONNECT)
 *                and wait until it says it is connected again
 *
 * After each action it waits up to @wait_ms for the server to react and
 * prints the ring as it is then: "kxs_hostile: ACTION: ..." with the
 * indexes, the server's error and connection fields.  The kernel's own
 * xenbus shares the ring: nothing else in the guest may use xenstore
 * while the module loads.  The module does all its work in init; rmmod
 * undoes nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <xen/events.h>
#include <xen/xen.h>
#include <xen/xenbus.h>
#include <xen/interface/io/xs_wire.h>

static unsigned int flood;
module_param(flood, uint, 0444);
MODULE_PARM_DESC(flood, "write N READ requests of path, as fast as the ring allows");

static bool truncated;
module_param(truncated, bool, 0444);
MODULE_PARM_DESC(truncated, "write a header promising 100 bytes and give 10");

static bool oversize;
module_param(oversize, bool, 0444);
MODULE_PARM_DESC(oversize, "write a header with len XENSTORE_PAYLOAD_MAX + 1");

static bool badidx;
module_param(badidx, bool, 0444);
MODULE_PARM_DESC(badidx, "move req_prod more than a ring ahead of req_cons");

static bool reconnect;
module_param(reconnect, bool, 0444);
MODULE_PARM_DESC(reconnect, "ask the server to reset the ring, last");

static char *path = "domid";
module_param(path, charp, 0444);
MODULE_PARM_DESC(path, "the path the flood reads (default: domid)");

static unsigned int wait_ms = 5000;
module_param(wait_ms, uint, 0444);
MODULE_PARM_DESC(wait_ms, "how long to wait for the server after each action");

/* Far from the guest kernel's own ids, which count up from 0. */
#define HOSTILE_REQ_ID 0x4b580000u

static void kick(void)
{
	notify_remote_via_evtchn(xen_store_evtchn);
}

static void show(const char *what)
{
	struct xenstore_domain_interface *r = xen_store_interface;

	pr_info("%s: req_cons %u req_prod %u rsp_cons %u rsp_prod %u error %u connection %u features %u\n",
		what, READ_ONCE(r->req_cons), READ_ONCE(r->req_prod),
		READ_ONCE(r->rsp_cons), READ_ONCE(r->rsp_prod),
		READ_ONCE(r->error), READ_ONCE(r->connection),
		READ_ONCE(r->server_features));
}

/*
 * Copy @len bytes into the request ring, waiting for room while the
 * server consumes; -ETIMEDOUT if it stops for @wait_ms.
 */
static int ring_put(const void *data, size_t len)
{
	struct xenstore_domain_interface *r = xen_store_interface;
	unsigned long deadline = jiffies + msecs_to_jiffies(wait_ms);
	const char *p = data;

	while (len) {
		XENSTORE_RING_IDX cons, prod, off;
		size_t room, chunk;

		cons = READ_ONCE(r->req_cons);
		prod = READ_ONCE(r->req_prod);
		/* the indexes before the bytes they cover (xenbus_comms.c) */
		virt_mb();
		if (prod - cons > XENSTORE_RING_SIZE)
			return -EIO;
		room = XENSTORE_RING_SIZE - (prod - cons);
		if (!room) {
			kick();
			if (time_after(jiffies, deadline))
				return -ETIMEDOUT;
			usleep_range(500, 1000);
			continue;
		}
		off = MASK_XENSTORE_IDX(prod);
		chunk = min3(room, len, (size_t)(XENSTORE_RING_SIZE - off));
		memcpy(r->req + off, p, chunk);
		/* the bytes before the index that publishes them */
		virt_wmb();
		WRITE_ONCE(r->req_prod, prod + chunk);
		p += chunk;
		len -= chunk;
		deadline = jiffies + msecs_to_jiffies(wait_ms);
	}
	kick();
	return 0;
}

/* Wait up to @wait_ms until the server has consumed every request byte. */
static bool wait_consumed(void)
{
	struct xenstore_domain_interface *r = xen_store_interface;
	unsigned long deadline = jiffies + msecs_to_jiffies(wait_ms);

	while (READ_ONCE(r->req_cons) != READ_ONCE(r->req_prod)) {
		if (time_after(jiffies, deadline))
			return false;
		msleep(20);
	}
	return true;
}

static int do_flood(void)
{
	size_t plen = strlen(path) + 1;
	struct xsd_sockmsg *msg;
	unsigned long t0 = jiffies;
	unsigned int i;
	int err = 0;

	if (plen > XENSTORE_PAYLOAD_MAX)
		return -EINVAL;
	msg = kmalloc(sizeof(*msg) + plen, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	memcpy(msg + 1, path, plen);
	for (i = 0; i < flood && !err; i++) {
		msg->type = XS_READ;
		msg->req_id = HOSTILE_REQ_ID + i;
		msg->tx_id = 0;
		msg->len = plen;
		err = ring_put(msg, sizeof(*msg) + plen);
	}
	kfree(msg);
	pr_info("flood: %u of %u READs written in %u ms (%d), all consumed: %s\n",
		err ? i - 1 : i, flood, jiffies_to_msecs(jiffies - t0), err,
		wait_consumed() ? "yes" : "no");
	show("flood");
	return err;
}

static int do_truncated(void)
{
	struct {
		struct xsd_sockmsg hdr;
		char body[10];
	} __packed m = {
		.hdr = { .type = XS_WRITE, .req_id = HOSTILE_REQ_ID - 1,
			 .len = 100 },
		.body = "data/cut",
	};
	int err = ring_put(&m, sizeof(m));

	pr_info("truncated: a header for 100 bytes and 10 of them (%d), consumed: %s\n",
		err, wait_consumed() ? "yes" : "no");
	show("truncated");
	return err;
}

static int do_oversize(void)
{
	size_t len = XENSTORE_PAYLOAD_MAX + 1;
	struct xsd_sockmsg *msg;
	int err;

	msg = kzalloc(sizeof(*msg) + len, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	msg->type = XS_WRITE;
	msg->req_id = HOSTILE_REQ_ID - 2;
	msg->len = len;
	memcpy(msg + 1, "data/over", 10);
	err = ring_put(msg, sizeof(*msg) + len);
	kfree(msg);
	pr_info("oversize: a header with len %zu and its bytes (%d), consumed: %s\n",
		len, err, wait_consumed() ? "yes" : "no");
	show("oversize");
	return err;
}

static int do_badidx(void)
{
	struct xenstore_domain_interface *r = xen_store_interface;
	XENSTORE_RING_IDX cons = READ_ONCE(r->req_cons);

	WRITE_ONCE(r->req_prod, cons + XENSTORE_RING_SIZE + 17);
	/* the index before the event that makes the server look */
	virt_wmb();
	kick();
	msleep(wait_ms);
	pr_info("badidx: req_prod set to req_cons + %u\n",
		XENSTORE_RING_SIZE + 17);
	show("badidx");
	return 0;
}

static int do_reconnect(void)
{
	struct xenstore_domain_interface *r = xen_store_interface;
	unsigned long deadline = jiffies + msecs_to_jiffies(wait_ms);

	if (!(READ_ONCE(r->server_features) &
	      XENSTORE_SERVER_FEATURE_RECONNECTION)) {
		pr_info("reconnect: the server does not offer it (features %u)\n",
			READ_ONCE(r->server_features));
		return -EOPNOTSUPP;
	}
	WRITE_ONCE(r->connection, XENSTORE_RECONNECT);
	/* the request before the event, as xenbus_comms.c's reset does */
	virt_mb();
	kick();
	while (READ_ONCE(r->connection) != XENSTORE_CONNECTED) {
		if (time_after(jiffies, deadline))
			break;
		msleep(20);
	}
	pr_info("reconnect: %s\n",
		READ_ONCE(r->connection) == XENSTORE_CONNECTED ?
		"connected again" : "still waiting");
	show("reconnect");
	return READ_ONCE(r->connection) == XENSTORE_CONNECTED ? 0 : -ETIMEDOUT;
}

static int __init kxs_hostile_init(void)
{
	int err = 0;

	if (!xen_domain() || xen_initial_domain() || !xen_store_interface) {
		pr_err("not a Xen guest with a xenstore ring\n");
		return -ENODEV;
	}
	show("before");
	if (flood)
		err = do_flood() ?: err;
	if (truncated)
		err = do_truncated() ?: err;
	if (oversize)
		err = do_oversize() ?: err;
	if (badidx)
		err = do_badidx() ?: err;
	if (reconnect)
		err = do_reconnect() ?: err;
	pr_info("done (%d)\n", err);
	return 0;
}

static void __exit kxs_hostile_exit(void)
{
}

module_init(kxs_hostile_init);
module_exit(kxs_hostile_exit);
MODULE_DESCRIPTION("A Xen guest that writes raw bytes to its xenstore ring");
MODULE_LICENSE("GPL");
