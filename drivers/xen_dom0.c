// SPDX-License-Identifier: GPL-2.0
/*
 * Serving dom0's own kernel: on a Xen dom0 without a xenstore domain, the
 * kernel's xenbus (XS_LOCAL mode) allocates a ring page
 * (xen_store_interface) and an unbound event channel (xen_store_evtchn)
 * that accepts a binding from dom0 itself, and waits: its xenbus_probe
 * runs at the first event on that channel.  A xenstored daemon binds the
 * other end and serves the page; so does this, in the kernel, with the
 * same request handling as the device file (ring.c).
 *
 * The channel has one other end at a time: a daemon that bound it first
 * is left alone (only the device is served), and one that starts later
 * fails to bind it.  While the ring is served the module holds a
 * reference on itself, so that rmmod cannot leave dom0's xenbus without
 * a store.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interrupt.h>
#include <linux/module.h>
#include <xen/events.h>
#include <xen/interface/event_channel.h>
#include <xen/xen.h>
#include <xen/xenbus.h>
#include <asm/xen/hypercall.h>

#include "ring.h"
#include "xen_dom0.h"

/**
 * struct kxs_dom0 - the served ring of dom0's kernel
 * @ring: the ring
 * @irq: the interrupt of this end of the event channel (also set by the handler: see there)
 * @eoi: an event was taken and awaits its late EOI (after the ring's
 *	work has looked at the page)
 *
 * Locking: set up before the interrupt is bound and torn down after it
 * is disabled; @eoi is an atomic bit.
 */
struct kxs_dom0 {
	struct kxs_ring *ring;
	int irq;
	unsigned long eoi;
};

/* Set once serving, cleared when stopped; read by kxs_dom0_serving(). */
static struct kxs_dom0 *kxs_dom0;

static irqreturn_t kxs_dom0_interrupt(int irq, void *arg)
{
	struct kxs_dom0 *d = arg;

	/*
	 * An event already pending fires as soon as the handler is bound,
	 * before the binding returns the number: the work that follows
	 * needs it for its EOI and its notifications.
	 */
	WRITE_ONCE(d->irq, irq);
	set_bit(0, &d->eoi);
	kxs_ring_kick(d->ring);
	return IRQ_HANDLED;
}

static void kxs_dom0_notify(struct kxs_ring *r)
{
	struct kxs_dom0 *d = r->priv;

	notify_remote_via_irq(READ_ONCE(d->irq));
}

/*
 * The page was looked at since the event: the channel may fire again,
 * later if the event brought nothing (the interrupt code then delays
 * the next ones of a storm).
 */
static void kxs_dom0_done(struct kxs_ring *r, bool idle)
{
	struct kxs_dom0 *d = r->priv;

	if (test_and_clear_bit(0, &d->eoi))
		xen_irq_lateeoi(READ_ONCE(d->irq),
				idle ? XEN_EOI_FLAG_SPURIOUS : 0);
}

static const struct kxs_ring_ops kxs_dom0_ring_ops = {
	.notify = kxs_dom0_notify,
	.done = kxs_dom0_done,
};

/*
 * Close our end of the channel unless the interrupt code did already
 * (it closes the channels it bound when it unbinds them, and may have
 * failed before or after it bound this one).
 */
static void kxs_dom0_close_port(evtchn_port_t port)
{
	struct evtchn_status st = { .dom = DOMID_SELF, .port = port };
	struct evtchn_close close = { .port = port };

	if (HYPERVISOR_event_channel_op(EVTCHNOP_status, &st) ||
	    st.status != EVTCHNSTAT_interdomain ||
	    st.u.interdomain.port != xen_store_evtchn)
		return;
	if (HYPERVISOR_event_channel_op(EVTCHNOP_close, &close))
		pr_warn("could not close event channel %u\n", port);
}

/* Why the kernel's ring is not ours to serve, or NULL if it is. */
static const char *kxs_dom0_unservable(void)
{
	if (!xen_initial_domain())
		return "not a Xen dom0";
	if (xen_store_domain_type != XS_LOCAL)
		return "the kernel's xenstore is not local to dom0 (a xenstore domain serves it)";
	if (!xen_store_interface || !xen_store_evtchn)
		return "the kernel has no xenstore ring";
	return NULL;
}

/**
 * kxs_dom0_start() - serve dom0's kernel's ring, where it waits for a store
 * @store: the store
 * @doms: its domain table
 * @mode: KXS_DOM0_OFF: do nothing; KXS_DOM0_AUTO: serve it where it can
 *	be served, else log why not; KXS_DOM0_ON: serve it or fail
 * @paused: take in no request until kxs_dom0_pause(false) (a live
 *	update's new module, until its restore)
 *
 * Binds the other end of the kernel's xenstore event channel and signals
 * it once, which starts the kernel's xenbus (or, after a live update,
 * tells it the ring moves again: the indexes in the page are taken as
 * they are).
 *
 * Return: 0, or with KXS_DOM0_ON only: -ENODEV (nothing to serve),
 * -EBUSY (another store bound the channel), -ENOMEM, or the errno of a
 * failed binding.
 */
int kxs_dom0_start(struct kxs_store *store, struct kxs_domains *doms,
		   enum kxs_dom0_mode mode, bool paused)
{
	struct evtchn_bind_interdomain bind = {
		.remote_dom = DOMID_SELF,
	};
	const char *why;
	struct kxs_dom0 *d;
	int ret;

	if (mode == KXS_DOM0_OFF)
		return 0;
	why = kxs_dom0_unservable();
	if (why) {
		if (mode == KXS_DOM0_ON)
			pr_err("xen_ring=on: %s\n", why);
		return mode == KXS_DOM0_ON ? -ENODEV : 0;
	}

	bind.remote_port = xen_store_evtchn;
	ret = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bind);
	if (ret) {
		/* Xen refuses a second binding with -EINVAL. */
		pr_info("dom0's xenstore event channel %d is bound already (a xenstored runs?), error %d: serving only the device\n",
			xen_store_evtchn, ret);
		return mode == KXS_DOM0_ON ? -EBUSY : 0;
	}

	ret = -ENOMEM;
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		goto err_port;
	d->ring = kxs_ring_create(store, doms, 0, KXS_RING_DOM0 |
				  (paused ? KXS_RING_PAUSED : 0),
				  xen_store_interface, &kxs_dom0_ring_ops, d);
	if (!d->ring)
		goto err_free;
	ret = bind_evtchn_to_irqhandler_lateeoi(bind.local_port,
						kxs_dom0_interrupt, 0,
						"kxenstore", d);
	if (ret < 0)
		goto err_ring;
	WRITE_ONCE(d->irq, ret);

	__module_get(THIS_MODULE);
	WRITE_ONCE(kxs_dom0, d);
	/* Whatever waits in the page, and the event the kernel waits for. */
	kxs_ring_kick(d->ring);
	notify_remote_via_irq(d->irq);
	pr_info("serving dom0's xenstore ring (event channel %d, ours %u)\n",
		xen_store_evtchn, bind.local_port);
	return 0;

err_ring:
	kxs_ring_destroy(d->ring);
err_free:
	kfree(d);
err_port:
	kxs_dom0_close_port(bind.local_port);
	pr_err("cannot serve dom0's xenstore ring: error %d\n", ret);
	return mode == KXS_DOM0_ON ? ret : 0;
}

/**
 * kxs_dom0_stop() - stop serving dom0's kernel
 *
 * Unbinds our end of the channel (which leaves the kernel's end waiting
 * for a new binding) and leaves the page as it is.
 */
void kxs_dom0_stop(void)
{
	struct kxs_dom0 *d = kxs_dom0;

	if (!d)
		return;
	WRITE_ONCE(kxs_dom0, NULL);
	disable_irq(d->irq);
	kxs_ring_destroy(d->ring);
	unbind_from_irqhandler(d->irq, d);
	kfree(d);
	module_put(THIS_MODULE);
}

/**
 * kxs_dom0_serving() - whether dom0's kernel's ring is served
 *
 * Return: true from a successful kxs_dom0_start() to kxs_dom0_stop().
 */
bool kxs_dom0_serving(void)
{
	return READ_ONCE(kxs_dom0);
}

/**
 * kxs_dom0_pause() - stop or resume taking in requests from dom0's ring
 * @paused: whether to stop (see kxs_ring_pause())
 */
void kxs_dom0_pause(bool paused)
{
	struct kxs_dom0 *d = READ_ONCE(kxs_dom0);

	if (d)
		kxs_ring_pause(d->ring, paused);
}

/**
 * kxs_dom0_quiet() - dom0's ring is paused and holds nothing uncarried
 *
 * Return: true if the ring is served, paused, and its connection holds no
 * part of a message, no open transaction, and no reply not yet in the
 * page (kxs_ring_quiet()).
 */
bool kxs_dom0_quiet(void)
{
	struct kxs_dom0 *d = READ_ONCE(kxs_dom0);

	return d && kxs_ring_quiet(d->ring);
}

/**
 * kxs_dom0_handover() - stop serving dom0's ring for the next module
 *
 * For a live update, after its checkpoint: the ring must be quiet.  The
 * page keeps its indexes and requests wait there; the kernel's end of
 * the event channel waits for the next binding.  The module may then be
 * unloaded.
 *
 * Context: the module parameter lock held (a parameter write).
 * Return: 0, -ENODEV if the ring is not served, -EBUSY if it is not
 * quiet.
 */
int kxs_dom0_handover(void)
{
	if (!kxs_dom0_serving())
		return -ENODEV;
	if (!kxs_dom0_quiet())
		return -EBUSY;
	kxs_dom0_stop();
	pr_info("dom0's xenstore ring handed over: no longer served\n");
	return 0;
}
