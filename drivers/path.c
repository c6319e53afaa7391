// SPDX-License-Identifier: GPL-2.0
/*
 * xenstore paths.
 *
 * A canonical path starts with "/", uses only [A-Za-z0-9-/_@], has no
 * empty component ("//") and no trailing "/" unless it is "/" itself, and
 * is at most KXS_PATH_MAX bytes long.  A path that does not start with "/"
 * (or "@", the special watch paths, not accepted here) is relative to the
 * caller's domain directory, /local/domain/<domid>.
 */
#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/rbtree.h>
#include <linux/string.h>

#include "path.h"

/*
 * The characters of a path, ASCII only: the kernel's isalnum() also
 * accepts Latin-1 letters.  A table: paths are checked on every request.
 */
static const bool kxs_path_chars[128] = {
	['a' ... 'z'] = true, ['A' ... 'Z'] = true, ['0' ... '9'] = true,
	['-'] = true, ['/'] = true, ['_'] = true, ['@'] = true,
};

static bool kxs_path_char_valid(char c)
{
	unsigned char u = c;

	return u < ARRAY_SIZE(kxs_path_chars) && kxs_path_chars[u];
}

/**
 * kxs_path_name_valid() - can @name be a component of a canonical path?
 * @name: the name (not NUL-terminated)
 * @len: its length
 *
 * Return: true if it is not empty and has only valid characters, no '/'.
 */
bool kxs_path_name_valid(const char *name, size_t len)
{
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < len; i++)
		if (name[i] == '/' || !kxs_path_char_valid(name[i]))
			return false;
	return true;
}

/*
 * The length of @path if it is a canonical absolute path, else -EINVAL:
 * one pass over its bytes, as every request that names a path makes one.
 */
static __always_inline int kxs_path_check(const char *path)
{
	size_t i;
	char c;

	if (path[0] != '/')
		return -EINVAL;
	for (i = 0; (c = path[i]); i++)
		if (i == KXS_PATH_MAX || !kxs_path_char_valid(c) ||
		    (c == '/' && path[i + 1] == '/'))
			return -EINVAL;
	if (i > 1 && path[i - 1] == '/')
		return -EINVAL;
	return i;
}

/**
 * kxs_path_valid() - is @path a canonical absolute path?
 * @path: NUL-terminated path
 *
 * Return: true if it is.
 */
bool kxs_path_valid(const char *path)
{
	return kxs_path_check(path) >= 0;
}

/**
 * kxs_path_guest_len() - a canonical path's length as a guest's limit
 *	counts it
 * @path: canonical absolute path
 *
 * The length after "/local/domain/<domid>/" (a domid of up to 5 digits),
 * if @path starts with that, else the whole length: the reference's
 * path-max quota counts a path so.
 *
 * Return: the length.
 */
size_t kxs_path_guest_len(const char *path)
{
	static const char home[] = KXS_HOME_PREFIX;
	size_t len = strlen(path), i = sizeof(home) - 1;

	if (strncmp(path, home, i))
		return len;
	while (i < len && i < sizeof(home) - 1 + 5 && isdigit(path[i]))
		i++;
	if (i == sizeof(home) - 1 || path[i] != '/')
		return len;
	return len - i - 1;
}

/**
 * kxs_path_resolve() - turn a path from a request into a canonical one
 * @in: NUL-terminated path as the client sent it
 * @domid: the client's domain, the base of relative paths
 * @out: buffer of KXS_PATH_BUF bytes for the canonical path
 *
 * Return: 0, or -EINVAL if the path is not valid.
 */
int kxs_path_resolve(const char *in, u16 domid, char *out)
{
	size_t len;
	int n;

	if (in[0] == '/') {
		n = kxs_path_check(in);
		if (n < 0)
			return n;
		memcpy(out, in, n + 1);
		return 0;
	}
	len = strnlen(in, KXS_PATH_BUF);
	if (!len || len > KXS_REL_PATH_MAX || in[0] == '@')
		return -EINVAL;
	n = snprintf(out, KXS_PATH_BUF, KXS_HOME_FMT "/%s", domid, in);
	if (n > KXS_PATH_MAX)
		return -EINVAL;
	return kxs_path_valid(out) ? 0 : -EINVAL;
}

/**
 * kxs_path_home_relative() - a path as a relative one names it
 * @path: a canonical path
 * @domid: the domain whose home it is relative to
 *
 * Return: @path without the leading "/local/domain/<domid>/" if it has
 * it, else @path itself.
 */
const char *kxs_path_home_relative(const char *path, u16 domid)
{
	char home[32];
	int n = snprintf(home, sizeof(home), KXS_HOME_FMT "/", domid);

	return strncmp(path, home, n) ? path : path + n;
}

/*
 * Compare the @len bytes at @key with @path, both known to start with
 * the same @*i bytes; set *@i to the bytes they have in common (at most
 * @len).  With @after, only @path's first @len bytes count.
 */
static int kxs_path_cmp_from(const char *key, size_t len, const char *path,
			     bool after, size_t *i)
{
	size_t n = *i;

	while (n < len && key[n] == path[n])
		n++;
	*i = n;
	if (n < len)
		return (unsigned char)key[n] - (unsigned char)path[n];
	return after || !path[n] ? 0 : -1;
}

/* Is the first entry after the key in the tree's order? */
static bool kxs_path_goes_left(int r, bool after)
{
	return after ? r < 0 : r <= 0;
}

/**
 * kxs_path_bound() - search a tree of entries ordered by path
 * @root: the tree
 * @off: where an entry's path (NUL-terminated) is, from its rb_node
 * @key: the key's bytes (no NUL among them)
 * @len: their number
 * @after: find the first entry after every one whose path starts with
 *	the key, instead of the first at or after the key
 *
 * Paths in such trees share long prefixes (a chain 1500 deep), so each
 * compare starts after what the key is known to share with the entries
 * left to look at: all of them lie between the two nearest entries seen
 * on either side of the key (the tree's first and last to begin with),
 * and share with the key the shorter of those two's common prefixes with
 * it.  A search costs the key's length plus the tree's depth, not their
 * product.
 *
 * Return: the entry's rb_node, or NULL.
 */
struct rb_node *kxs_path_bound(const struct rb_root *root, size_t off,
			       const char *key, size_t len, bool after)
{
	struct rb_node *rb = root->rb_node, *first, *last, *best = NULL;
	size_t lo = 0, hi = 0;

	if (!rb)
		return NULL;
	first = rb_first(root);
	if (kxs_path_goes_left(kxs_path_cmp_from(key, len,
						 (const char *)first + off,
						 after, &lo), after))
		return first;
	last = rb_last(root);
	if (!kxs_path_goes_left(kxs_path_cmp_from(key, len,
						  (const char *)last + off,
						  after, &hi), after))
		return NULL;
	while (rb) {
		size_t i = min(lo, hi);
		int r = kxs_path_cmp_from(key, len, (const char *)rb + off,
					  after, &i);

		if (kxs_path_goes_left(r, after)) {
			best = rb;
			hi = i;
			rb = rb->rb_left;
		} else {
			lo = i;
			rb = rb->rb_right;
		}
	}
	return best;
}
