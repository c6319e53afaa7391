/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the KUnit suites.
 */
#ifndef _KXS_TEST_H
#define _KXS_TEST_H

#include "perms.h"

/*
 * A caller acting for @d: the control domain for 0 (privileged), else a
 * guest without target and without quotas.
 */
#define KXS_AS(d) (&(const struct kxs_caller){ \
	.domid = (d), .target = KXS_NO_TARGET, .priv = !(d) })

#endif /* _KXS_TEST_H */
