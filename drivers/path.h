/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xenstore paths: validation and resolution of relative paths.
 */
#ifndef _KXS_PATH_H
#define _KXS_PATH_H

#include <linux/types.h>
#include <xen/interface/io/xs_wire.h>

/* Longest canonical path, and the buffer that holds one. */
#define KXS_PATH_MAX		XENSTORE_ABS_PATH_MAX
#define KXS_PATH_BUF		(KXS_PATH_MAX + 1)
/* Longest relative path a client may send. */
#define KXS_REL_PATH_MAX	XENSTORE_REL_PATH_MAX
/* The deepest a canonical path goes: every component at least "/x". */
#define KXS_DEPTH_MAX		(KXS_PATH_MAX / 2 + 1)

/* A domain's home, below which its relative paths resolve. */
#define KXS_HOME_PREFIX		"/local/domain/"
#define KXS_HOME_FMT		KXS_HOME_PREFIX "%u"

int kxs_path_resolve(const char *in, u16 domid, char *out);
const char *kxs_path_home_relative(const char *path, u16 domid);
size_t kxs_path_guest_len(const char *path);
bool kxs_path_valid(const char *path);
bool kxs_path_name_valid(const char *name, size_t len);

struct rb_node;
struct rb_root;
struct rb_node *kxs_path_bound(const struct rb_root *root, size_t off,
			       const char *key, size_t len, bool after);

#endif /* _KXS_PATH_H */
