/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the KUnit suites.
 */
#ifndef _KXS_TEST_H
#define _KXS_TEST_H

#include "perms.h"

static inline const struct kxs_caller *
kxs_test_as(struct kxs_caller *c, u16 domid)
{
	c->domid = domid;
	c->target = KXS_NO_TARGET;
	c->priv = domid == KXS_DOMID_CONTROL;
	return c;
}

/*
 * A caller acting for @d: the control domain for 0 (privileged), else a
 * guest without target and without quotas.  Valid in the enclosing block.
 */
#define KXS_AS(d) kxs_test_as(&(struct kxs_caller){ }, (d))

#endif /* _KXS_TEST_H */
