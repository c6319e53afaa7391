// SPDX-License-Identifier: GPL-2.0
/*
 * Serving guests on a Xen host whose store this module is (it serves
 * dom0's own kernel: xen_dom0.c), as Xen's xenstored does
 * (tools/xenstored/domain.c there):
 *
 * - INTRODUCE(domid, gfn, port) from the toolstack maps the guest's ring
 *   through its reserved xenstore grant (GNTTAB_RESERVED_XENSTORE, which
 *   the domain builder points at dom0: the gfn is not needed), binds the
 *   other end of the guest's event channel, and serves the ring (ring.c)
 *   as a connection that acts for the guest from its first byte on.
 *   INTRODUCE of a served guest binds the channel again and resets the
 *   connection (a guest resumed, or a toolstack reconnecting it).
 * - The hypervisor raises VIRQ_DOM_EXC when a domain shuts down or dies;
 *   the work it starts asks the hypervisor about each served guest
 *   (XEN_DOMCTL_getdomaininfo): a guest that shut down fires
 *   @releaseDomain once (until RESUME), one that is dying or gone is
 *   released (its nodes, watches and transactions go, as with RELEASE),
 *   fires @releaseDomain, and its ring is unmapped and its channel
 *   closed, which lets the hypervisor finish destroying it.
 * - RELEASE ends the ring the same way.
 *
 * Ending a ring waits for its work, which may wait for the store's
 * quiesce lock, which a checkpoint may wait to take while a request
 * (a RELEASE, say) holds it: so requests never wait for a ring's end.
 * Ends, channel re-bindings and the checks run in order on one ordered
 * workqueue, outside any request.
 *
 * A guest's ring is hostile memory: ring.c reads each index once, copies
 * before parsing and stops serving a guest that breaks the rules; the
 * connection's quotas bound what a guest makes the kernel hold; each
 * ring's work yields after a bounded number of rounds, and the late EOI
 * of its channel slows an event storm down.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/interrupt.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu-rwsem.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <xen/events.h>
#include <xen/grant_table.h>
#include <xen/interface/event_channel.h>
#include <xen/interface/grant_table.h>
#include <xen/interface/xen.h>
#include <xen/xen.h>
#include <asm/xen/hypercall.h>

#include "domain.h"
#include "ring.h"
#include "watch.h"
#include "xen_guests.h"

/*
 * XEN_DOMCTL_getdomaininfo (xen/include/public/domctl.h).  The domctl
 * interface is not a stable ABI: each Xen release may change it and
 * refuses (-EACCES) a caller that names another version.  The versions
 * below (Xen 4.16 to 4.20) share what is read here: the size of struct
 * xen_domctl (its union is 128 bytes), and that getdomaininfo starts
 * with the domain's id and its flags.
 */
#define KXS_DOMCTL_GETDOMAININFO	5
#define KXS_DOMINF_DYING		BIT(0)
#define KXS_DOMINF_SHUTDOWN		BIT(2)

static const u32 kxs_domctl_versions[] = {
	0x15,	/* Xen 4.17 */
	0x16,	/* Xen 4.18 */
	0x17,	/* Xen 4.19, 4.20 */
	0x14,	/* Xen 4.16 */
};

struct kxs_domctl {
	u32 cmd;
	u32 interface_version;
	u16 domain;
	u16 pad[3];
	union {
		struct {
			u16 domain;
			u16 pad;
			u32 flags;
		} info;
		u8 raw[128];
	} u;
} __aligned(8);
static_assert(sizeof(struct kxs_domctl) == 144);

/**
 * struct kxs_guest - the served ring of one guest
 * @ring: the ring, or NULL for a domain a restore brought back whose
 *	ring could not be served (kept so that its death is seen)
 * @page: where its page is mapped
 * @handle: the grant mapping's
 * @irq: our end of its event channel, or -1 while none (set by the
 *	handler too: an event pending at binding fires before the binding
 *	returns the number)
 * @port: the guest's end, as INTRODUCE gave it
 * @new_port: the one a re-INTRODUCE gave, for @rebind
 * @eoi: an event was taken and awaits its late EOI
 * @domid: the guest
 * @name: of the interrupt
 * @rebind: binds @new_port (a re-INTRODUCE)
 * @end: stops serving and frees all this (its release)
 *
 * Locking: created and bound by INTRODUCE, which publishes it in
 * kxs_guests.table; @new_port is written under kxs_guests.lock; @rebind
 * and @end run on kxs_guests.wq, in order, and only they change @irq and
 * @port (and the handler, see @irq); @eoi is an atomic bit.
 */
struct kxs_guest {
	struct kxs_ring *ring;
	struct page *page;
	grant_handle_t handle;
	int irq;
	evtchn_port_t port;
	evtchn_port_t new_port;
	unsigned long eoi;
	u16 domid;
	char name[24];
	struct work_struct rebind;
	struct work_struct end;
};

/**
 * struct kxs_guests - the guests served, and what watches their fate
 * @lock: @table, @paused and each guest's @new_port
 * @table: struct kxs_guest by domid, while served
 * @nr: entries in @table
 * @wq: ordered: rings' ends and re-bindings, and @check
 * @check: asks the hypervisor about every served guest
 * @virq: the interrupt of VIRQ_DOM_EXC, or 0
 * @version: the hypervisor's domctl interface version, or 0 (unknown:
 *	guests are not served)
 * @paused: rings take in no new message (frozen: a live update)
 * @store: the store
 * @doms: its domain table
 *
 * Set up by kxs_guests_start() before the domain table's hooks point
 * here, torn down by kxs_guests_stop() after they no longer do.
 */
static struct kxs_guests {
	struct mutex lock;	/* table, paused and new_port */
	struct xarray table;
	unsigned int nr;
	struct workqueue_struct *wq;
	struct work_struct check;
	int virq;
	u32 version;
	bool paused;
	struct kxs_store *store;
	struct kxs_domains *doms;
} kxs_guests = {
	.lock = __MUTEX_INITIALIZER(kxs_guests.lock),
	.table = XARRAY_INIT(kxs_guests.table, 0),
};

/*
 * Ask the hypervisor about @domid.
 *
 * Return: 0 and its XEN_DOMINF_* flags, -ESRCH if no such domain exists
 * (getdomaininfo answers with the next domain up), or the hypercall's
 * error (-EACCES: another interface version).
 */
static int kxs_domain_info(u32 version, u16 domid, u32 *flags)
{
	struct kxs_domctl op = {
		.cmd = KXS_DOMCTL_GETDOMAININFO,
		.interface_version = version,
		.domain = domid,
	};
	int ret;

	ret = _hypercall1(int, domctl, &op);
	if (ret)
		return ret;
	if (op.u.info.domain != domid)
		return -ESRCH;
	*flags = op.u.info.flags;
	return 0;
}

/* The domctl interface version the hypervisor speaks, or 0. */
static u32 kxs_domctl_version(void)
{
	u32 flags;
	int i;

	for (i = 0; i < ARRAY_SIZE(kxs_domctl_versions); i++)
		if (!kxs_domain_info(kxs_domctl_versions[i], 0, &flags))
			return kxs_domctl_versions[i];
	return 0;
}

static irqreturn_t kxs_guest_interrupt(int irq, void *arg)
{
	struct kxs_guest *g = arg;

	WRITE_ONCE(g->irq, irq);
	set_bit(0, &g->eoi);
	kxs_ring_kick(g->ring);
	return IRQ_HANDLED;
}

/*
 * A notification to a channel that is being bound again goes nowhere
 * (the interrupt code ignores an interrupt it no longer knows); the
 * re-binding kicks the ring and notifies once it is done.
 */
static void kxs_guest_notify(struct kxs_ring *r)
{
	struct kxs_guest *g = r->priv;
	int irq = READ_ONCE(g->irq);

	if (irq >= 0)
		notify_remote_via_irq(irq);
}

/* As kxs_dom0_done(): the page was looked at since the event. */
static void kxs_guest_done(struct kxs_ring *r, bool idle)
{
	struct kxs_guest *g = r->priv;
	int irq = READ_ONCE(g->irq);

	if (irq >= 0 && test_and_clear_bit(0, &g->eoi))
		xen_irq_lateeoi(irq, idle ? XEN_EOI_FLAG_SPURIOUS : 0);
}

static const struct kxs_ring_ops kxs_guest_ring_ops = {
	.notify = kxs_guest_notify,
	.done = kxs_guest_done,
};

/*
 * Close our end of a channel to @domid's @port unless the interrupt code
 * did already (it closes what it bound when binding fails after that).
 */
static void kxs_guest_close_port(evtchn_port_t local, u16 domid,
				 evtchn_port_t port)
{
	struct evtchn_status st = { .dom = DOMID_SELF, .port = local };
	struct evtchn_close close = { .port = local };

	if (HYPERVISOR_event_channel_op(EVTCHNOP_status, &st) ||
	    st.status != EVTCHNSTAT_interdomain ||
	    st.u.interdomain.dom != domid || st.u.interdomain.port != port)
		return;
	if (HYPERVISOR_event_channel_op(EVTCHNOP_close, &close))
		pr_warn("could not close event channel %u\n", local);
}

/* Bind our end of the guest's channel @port; @g->irq is set. */
static int kxs_guest_bind(struct kxs_guest *g, evtchn_port_t port)
{
	struct evtchn_bind_interdomain bind = {
		.remote_dom = g->domid,
		.remote_port = port,
	};
	int ret;

	ret = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bind);
	if (ret)
		return ret;
	ret = bind_evtchn_to_irqhandler_lateeoi(bind.local_port,
						kxs_guest_interrupt, 0,
						g->name, g);
	if (ret < 0) {
		kxs_guest_close_port(bind.local_port, g->domid, port);
		return ret;
	}
	WRITE_ONCE(g->irq, ret);
	g->port = port;
	return 0;
}

static void kxs_guest_unbind(struct kxs_guest *g)
{
	int irq = g->irq;

	if (irq < 0)
		return;
	WRITE_ONCE(g->irq, -1);
	unbind_from_irqhandler(irq, g);
}

/* Map the guest's xenstore page (its grant 1, which it gave to dom0). */
static int kxs_guest_map(struct kxs_guest *g)
{
	struct gnttab_map_grant_ref op;
	int ret;

	ret = gnttab_alloc_pages(1, &g->page);
	if (ret)
		return ret;
	gnttab_set_map_op(&op, (unsigned long)page_address(g->page),
			  GNTMAP_host_map, GNTTAB_RESERVED_XENSTORE, g->domid);
	ret = gnttab_map_refs(&op, NULL, &g->page, 1);
	if (!ret && op.status != GNTST_okay) {
		pr_info("INTRODUCE %u: cannot map its xenstore grant: status %d\n",
			g->domid, op.status);
		ret = -EINVAL;
	}
	if (ret) {
		gnttab_free_pages(1, &g->page);
		g->page = NULL;
		return ret;
	}
	g->handle = op.handle;
	return 0;
}

static void kxs_guest_unmap(struct kxs_guest *g)
{
	struct gnttab_unmap_grant_ref op;
	struct gntab_unmap_queue_data q = {
		.unmap_ops = &op,
		.pages = &g->page,
		.count = 1,
	};

	gnttab_set_unmap_op(&op, (unsigned long)page_address(g->page),
			    GNTMAP_host_map, g->handle);
	if (gnttab_unmap_refs_sync(&q)) {
		/* Still the guest's frame: never give it to anyone else. */
		pr_err("domain %u: cannot unmap its xenstore page: leaking it\n",
		       g->domid);
		return;
	}
	gnttab_free_pages(1, &g->page);
}

static void kxs_guest_free(struct kxs_guest *g)
{
	if (g->page)
		kxs_guest_unmap(g);
	kfree(g);
}

/* Stop serving, then let go of the page and the channel. */
static void kxs_guest_end(struct work_struct *work)
{
	struct kxs_guest *g = container_of(work, struct kxs_guest, end);

	if (g->irq >= 0)
		disable_irq(g->irq);
	if (g->ring)
		kxs_ring_destroy(g->ring);
	kxs_guest_unbind(g);
	pr_info("domain %u: no longer served\n", g->domid);
	kxs_guest_free(g);
}

/* A re-INTRODUCE's channel: the old one goes first (it may be the same). */
static void kxs_guest_rebind(struct work_struct *work)
{
	struct kxs_guest *g = container_of(work, struct kxs_guest, rebind);
	evtchn_port_t port;
	int ret;

	mutex_lock(&kxs_guests.lock);
	port = g->new_port;
	mutex_unlock(&kxs_guests.lock);
	kxs_guest_unbind(g);
	/* An EOI the old channel still owed goes with it. */
	clear_bit(0, &g->eoi);
	ret = kxs_guest_bind(g, port);
	if (ret) {
		/* As the reference: served, with no channel, until the next. */
		pr_warn("INTRODUCE %u again: cannot bind event channel %u: error %d\n",
			g->domid, port, ret);
		return;
	}
	kxs_ring_kick(g->ring);
	notify_remote_via_irq(g->irq);
}

/*
 * Serve a guest's ring: map it, bind its channel @port.  @flags: of
 * kxs_ring_create(), besides KXS_RING_GUEST and KXS_RING_PAUSED (which
 * follows kxs_guests.paused).
 *
 * Context: kxs_guests.lock held, @domid not in the table.
 * Return: the guest, in the table and served; or an ERR_PTR: -ENOMEM,
 * or -EINVAL for a grant or channel that cannot be had.
 */
/* An entry for @domid, with no ring, page or channel yet. */
static struct kxs_guest *kxs_guest_alloc(u16 domid)
{
	struct kxs_guest *g = kzalloc(sizeof(*g), GFP_KERNEL);

	if (!g)
		return NULL;
	g->domid = domid;
	g->irq = -1;
	snprintf(g->name, sizeof(g->name), "kxenstore-d%u", domid);
	INIT_WORK(&g->rebind, kxs_guest_rebind);
	INIT_WORK(&g->end, kxs_guest_end);
	return g;
}

static struct kxs_guest *kxs_guest_serve(struct kxs_domains *doms, u16 domid,
					 u32 port, unsigned int flags)
{
	struct kxs_guest *g;
	int ret;

	lockdep_assert_held(&kxs_guests.lock);
	g = kxs_guest_alloc(domid);
	if (!g)
		return ERR_PTR(-ENOMEM);
	ret = kxs_guest_map(g);
	if (ret) {
		kxs_guest_free(g);
		return ERR_PTR(ret == -ENOMEM ? ret : -EINVAL);
	}
	if (kxs_guests.paused)
		flags |= KXS_RING_PAUSED;
	g->ring = kxs_ring_create(kxs_guests.store, doms, domid,
				  flags | KXS_RING_GUEST,
				  page_address(g->page), &kxs_guest_ring_ops, g);
	if (!g->ring) {
		kxs_guest_free(g);
		return ERR_PTR(-ENOMEM);
	}
	ret = xa_err(xa_store(&kxs_guests.table, domid, g, GFP_KERNEL));
	if (ret)
		goto err_end;
	ret = kxs_guest_bind(g, port);
	if (ret) {
		pr_info("domain %u: cannot bind event channel %u: error %d\n",
			domid, port, ret);
		xa_erase(&kxs_guests.table, domid);
		ret = -EINVAL;
		goto err_end;
	}
	kxs_guests.nr++;
	/* Whatever waits in the page; and a guest may wait for news. */
	kxs_ring_kick(g->ring);
	notify_remote_via_irq(g->irq);
	pr_info("domain %u: serving its ring (event channel %u)\n", domid,
		port);
	return g;

err_end:
	/* The ring's work may run already (see the top of this file). */
	queue_work(kxs_guests.wq, &g->end);
	return ERR_PTR(ret);
}

/*
 * kxs_domain_hooks.introduce: serve the guest's ring, or reset a served
 * one and bind its (new) channel.
 */
static int kxs_guests_introduce(struct kxs_domains *doms, u16 domid,
				u32 port)
{
	struct kxs_guest *g;

	if (!kxs_guests.version)
		return -EOPNOTSUPP;
	mutex_lock(&kxs_guests.lock);
	g = xa_load(&kxs_guests.table, domid);
	if (g && g->ring) {
		g->new_port = port;
		kxs_ring_reset(g->ring);
		queue_work(kxs_guests.wq, &g->rebind);
		mutex_unlock(&kxs_guests.lock);
		return 0;
	}
	if (g) {
		/* Restored without a ring: try again from the start. */
		xa_erase(&kxs_guests.table, domid);
		kxs_guests.nr--;
		queue_work(kxs_guests.wq, &g->end);
	}
	g = kxs_guest_serve(doms, domid, port, 0);
	mutex_unlock(&kxs_guests.lock);
	return PTR_ERR_OR_ZERO(g);
}

/*
 * kxs_domain_hooks.restore: serve a ring a live update hands over, from
 * its indexes as they are; its connection takes the watches the restore
 * parked for the domain.  A ring that cannot be served is kept without
 * one (the reference daemon does the same), so that the domain's death
 * is still seen; a check soon after sees one that died meanwhile.
 */
static void kxs_guests_restore(struct kxs_domains *doms, u16 domid, u32 port)
{
	struct kxs_guest *g;

	if (!kxs_guests.version)
		return;
	mutex_lock(&kxs_guests.lock);
	if (xa_load(&kxs_guests.table, domid))
		goto out;
	g = kxs_guest_serve(doms, domid, port, KXS_RING_ADOPT);
	if (!IS_ERR(g))
		goto out;
	pr_warn("domain %u: cannot serve its ring after a restore: error %ld\n",
		domid, PTR_ERR(g));
	g = kxs_guest_alloc(domid);
	if (!g)
		goto out;
	if (xa_err(xa_store(&kxs_guests.table, domid, g, GFP_KERNEL)))
		kfree(g);
	else
		kxs_guests.nr++;
out:
	mutex_unlock(&kxs_guests.lock);
	queue_work(kxs_guests.wq, &kxs_guests.check);
}

/* kxs_domain_hooks.release: its connections are dead; the ring goes. */
static void kxs_guests_release(struct kxs_domains *doms, u16 domid)
{
	struct kxs_guest *g;

	mutex_lock(&kxs_guests.lock);
	g = xa_erase(&kxs_guests.table, domid);
	if (g) {
		kxs_guests.nr--;
		queue_work(kxs_guests.wq, &g->end);
	}
	mutex_unlock(&kxs_guests.lock);
}

/* kxs_domain_hooks.exists: the hypervisor knows it (dying or not). */
static bool kxs_guests_exists(struct kxs_domains *doms, u16 domid)
{
	u32 flags;

	/* Unknown interface: nothing can be told, as without a hypervisor. */
	if (!kxs_guests.version)
		return true;
	return !kxs_domain_info(kxs_guests.version, domid, &flags);
}

static const struct kxs_domain_hooks kxs_guests_hooks = {
	.introduce = kxs_guests_introduce,
	.release = kxs_guests_release,
	.exists = kxs_guests_exists,
	.restore = kxs_guests_restore,
};

/*
 * What the hypervisor says of one served guest: shut down (news once),
 * dying or gone (released).
 */
static void kxs_guests_check_one(u16 domid)
{
	struct kxs_domains *doms = kxs_guests.doms;
	u32 flags = 0;
	int ret;

	ret = kxs_domain_info(kxs_guests.version, domid, &flags);
	if (ret && ret != -ESRCH) {
		pr_warn_ratelimited("domain %u: getdomaininfo failed: %d\n",
				    domid, ret);
		return;
	}
	if (!ret && !(flags & KXS_DOMINF_DYING)) {
		if ((flags & KXS_DOMINF_SHUTDOWN) &&
		    kxs_domain_shutdown(doms, domid) > 0)
			kxs_watch_fire_special(doms, KXS_SPECIAL_RELEASE,
					       domid);
		return;
	}
	percpu_down_read(&doms->quiesce);
	ret = kxs_domain_release(doms, kxs_guests.store, domid);
	if (!ret)
		kxs_watch_fire_special(doms, KXS_SPECIAL_RELEASE, domid);
	percpu_up_read(&doms->quiesce);
	/*
	 * Not introduced: it died while its INTRODUCE was under way.  Its
	 * ring goes all the same (the mapping would keep it from dying).
	 */
	if (ret == -ENOENT)
		kxs_guests_release(doms, domid);
}

/* VIRQ_DOM_EXC: some domain shut down or died; ask about each. */
static void kxs_guests_check(struct work_struct *work)
{
	unsigned long id = 0;

	for (;;) {
		mutex_lock(&kxs_guests.lock);
		if (!xa_find(&kxs_guests.table, &id, U16_MAX, XA_PRESENT)) {
			mutex_unlock(&kxs_guests.lock);
			break;
		}
		mutex_unlock(&kxs_guests.lock);
		kxs_guests_check_one(id);
		if (id++ == U16_MAX)
			break;
	}
}

static irqreturn_t kxs_guests_virq(int irq, void *arg)
{
	queue_work(kxs_guests.wq, &kxs_guests.check);
	return IRQ_HANDLED;
}

/**
 * kxs_guests_start() - serve the guests the toolstack introduces
 * @store: the store
 * @doms: its domain table
 * @paused: rings take in no new message until kxs_guests_pause(false)
 *	(a live update's new module, until its restore)
 *
 * Where the module serves dom0's kernel, it is the host's store: from
 * here on INTRODUCE serves a guest's ring.  If the hypervisor's domctl
 * interface is not one this module knows (a guest's death could not be
 * seen) or VIRQ_DOM_EXC is bound already (by a xenstored), INTRODUCE is
 * refused (EOPNOTSUPP: ENOSYS on the wire), and the log says why.
 */
void kxs_guests_start(struct kxs_store *store, struct kxs_domains *doms,
		      bool paused)
{
	int ret;

	kxs_guests.paused = paused;
	kxs_guests.store = store;
	kxs_guests.doms = doms;
	INIT_WORK(&kxs_guests.check, kxs_guests_check);
	kxs_guests.wq = alloc_ordered_workqueue("kxenstore-guests", 0);
	if (!kxs_guests.wq) {
		pr_err("no memory for the guests' workqueue: guests are not served\n");
		goto refuse;
	}
	kxs_guests.version = kxs_domctl_version();
	if (!kxs_guests.version) {
		pr_err("the hypervisor's domctl interface is none of versions 0x14-0x17 (Xen 4.16-4.20): guests' deaths cannot be seen, guests are not served\n");
		goto refuse;
	}
	ret = bind_virq_to_irqhandler(VIRQ_DOM_EXC, 0, kxs_guests_virq, 0,
				      "kxenstore-domexc", &kxs_guests);
	if (ret < 0) {
		pr_err("cannot bind VIRQ_DOM_EXC (error %d: a xenstored holds it?): guests are not served\n",
		       ret);
		kxs_guests.version = 0;
		goto refuse;
	}
	kxs_guests.virq = ret;
	pr_info("serving guests (domctl interface version %#x)\n",
		kxs_guests.version);
refuse:
	WRITE_ONCE(doms->hooks, &kxs_guests_hooks);
}

/**
 * kxs_guests_stop() - stop serving every guest
 *
 * Each served ring's connection closes (its watches and transactions
 * go; its nodes stay), and its page and channel are let go.
 */
void kxs_guests_stop(void)
{
	struct kxs_guest *g;
	unsigned long id;

	if (!kxs_guests.doms)
		return;
	WRITE_ONCE(kxs_guests.doms->hooks, NULL);
	if (kxs_guests.virq > 0)
		unbind_from_irqhandler(kxs_guests.virq, &kxs_guests);
	kxs_guests.virq = 0;
	if (kxs_guests.wq) {
		cancel_work_sync(&kxs_guests.check);
		mutex_lock(&kxs_guests.lock);
		xa_for_each(&kxs_guests.table, id, g) {
			xa_erase(&kxs_guests.table, id);
			queue_work(kxs_guests.wq, &g->end);
		}
		kxs_guests.nr = 0;
		mutex_unlock(&kxs_guests.lock);
		destroy_workqueue(kxs_guests.wq);
		kxs_guests.wq = NULL;
	}
	kxs_guests.version = 0;
	kxs_guests.doms = NULL;
}

/**
 * kxs_guests_served() - how many guests' rings are served
 *
 * Return: the number.
 */
unsigned int kxs_guests_served(void)
{
	return READ_ONCE(kxs_guests.nr);
}

/**
 * kxs_guests_pause() - stop or resume taking in requests from guests
 * @paused: whether to stop (see kxs_ring_pause())
 */
void kxs_guests_pause(bool paused)
{
	struct kxs_guest *g;
	unsigned long id;

	mutex_lock(&kxs_guests.lock);
	kxs_guests.paused = paused;
	xa_for_each(&kxs_guests.table, id, g)
		if (g->ring)
			kxs_ring_pause(g->ring, paused);
	mutex_unlock(&kxs_guests.lock);
}

/**
 * kxs_guests_unquiet() - the guests' rings a checkpoint cannot carry
 * @all: every served one (no domain section), else those not quiet
 *	(kxs_ring_quiet())
 * @buf: where to write "guest-ring <domid>" lines
 * @size: its size
 *
 * Return: bytes written.
 */
int kxs_guests_unquiet(bool all, char *buf, size_t size)
{
	struct kxs_guest *g;
	unsigned long id;
	int len = 0;

	mutex_lock(&kxs_guests.lock);
	xa_for_each(&kxs_guests.table, id, g)
		if (g->ring && (all || !kxs_ring_quiet(g->ring)))
			len += scnprintf(buf + len, size - len,
					 "guest-ring %lu\n", id);
	mutex_unlock(&kxs_guests.lock);
	return len;
}

/**
 * kxs_guests_quiet() - every guest's ring is paused and holds nothing
 *
 * Return: true if no served ring is anything but quiet.
 */
bool kxs_guests_quiet(void)
{
	struct kxs_guest *g;
	unsigned long id;
	bool quiet = true;

	mutex_lock(&kxs_guests.lock);
	xa_for_each(&kxs_guests.table, id, g)
		if (g->ring && !kxs_ring_quiet(g->ring))
			quiet = false;
	mutex_unlock(&kxs_guests.lock);
	return quiet;
}
