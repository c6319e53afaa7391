/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Serving the xenstore ring of dom0's own kernel (its xenbus in XS_LOCAL
 * mode), as a xenstored daemon would.
 */
#ifndef _KXS_XEN_DOM0_H
#define _KXS_XEN_DOM0_H

#include <linux/errno.h>
#include <linux/types.h>

struct kxs_domains;
struct kxs_store;

/* Whether to serve dom0's kernel: the xen_ring module parameter. */
enum kxs_dom0_mode {
	KXS_DOM0_OFF,	/* never */
	KXS_DOM0_AUTO,	/* where the kernel waits for a store; else say why */
	KXS_DOM0_ON,	/* or fail to load */
};

#if IS_ENABLED(CONFIG_XEN_DOM0)
/*
 * How the kernel found its store: from the kernel's private
 * drivers/xen/xenbus/xenbus.h (the variable is exported).
 */
enum xenstore_init { XS_UNKNOWN, XS_PV, XS_HVM, XS_LOCAL };
extern enum xenstore_init xen_store_domain_type;

int kxs_dom0_start(struct kxs_store *store, struct kxs_domains *doms,
		   enum kxs_dom0_mode mode, bool paused);
void kxs_dom0_stop(void);
bool kxs_dom0_serving(void);
void kxs_dom0_pause(bool paused);
bool kxs_dom0_quiet(void);
int kxs_dom0_handover(void);
#else
static inline int kxs_dom0_start(struct kxs_store *store,
				 struct kxs_domains *doms,
				 enum kxs_dom0_mode mode, bool paused)
{
	return mode == KXS_DOM0_ON ? -ENODEV : 0;
}

static inline void kxs_dom0_stop(void)
{
}

static inline bool kxs_dom0_serving(void)
{
	return false;
}

static inline void kxs_dom0_pause(bool paused)
{
}

static inline bool kxs_dom0_quiet(void)
{
	return false;
}

static inline int kxs_dom0_handover(void)
{
	return -ENODEV;
}
#endif

#endif /* _KXS_XEN_DOM0_H */
