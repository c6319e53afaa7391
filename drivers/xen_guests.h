/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Serving guests' xenstore rings on a Xen host whose store this is.
 */
#ifndef _KXS_XEN_GUESTS_H
#define _KXS_XEN_GUESTS_H

#include <linux/types.h>

struct kxs_domains;
struct kxs_store;

#if IS_ENABLED(CONFIG_XEN_DOM0)
void kxs_guests_start(struct kxs_store *store, struct kxs_domains *doms,
		      bool paused);
void kxs_guests_stop(void);
unsigned int kxs_guests_served(void);
void kxs_guests_pause(bool paused);
int kxs_guests_unquiet(bool all, char *buf, size_t size);
bool kxs_guests_quiet(void);
#else
static inline void kxs_guests_start(struct kxs_store *store,
				    struct kxs_domains *doms, bool paused)
{
}

static inline void kxs_guests_stop(void)
{
}

static inline unsigned int kxs_guests_served(void)
{
	return 0;
}

static inline void kxs_guests_pause(bool paused)
{
}

static inline int kxs_guests_unquiet(bool all, char *buf, size_t size)
{
	return 0;
}

static inline bool kxs_guests_quiet(void)
{
	return true;
}
#endif

#endif /* _KXS_XEN_GUESTS_H */
