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
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "path.h"

/* ASCII only: the kernel's isalnum() also accepts Latin-1 letters. */
static bool kxs_path_char_valid(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '/' || c == '_' ||
	       c == '@';
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

/**
 * kxs_path_valid() - is @path a canonical absolute path?
 * @path: NUL-terminated path
 *
 * Return: true if it is.
 */
bool kxs_path_valid(const char *path)
{
	size_t i, len = strlen(path);

	if (!len || len > KXS_PATH_MAX || path[0] != '/')
		return false;
	if (len > 1 && path[len - 1] == '/')
		return false;
	for (i = 0; i < len; i++) {
		if (!kxs_path_char_valid(path[i]))
			return false;
		if (path[i] == '/' && path[i + 1] == '/')
			return false;
	}
	return true;
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
	size_t len = strnlen(in, KXS_PATH_BUF);
	int n;

	if (in[0] == '/') {
		if (len > KXS_PATH_MAX)
			return -EINVAL;
		memcpy(out, in, len + 1);
	} else {
		if (!len || len > KXS_REL_PATH_MAX || in[0] == '@')
			return -EINVAL;
		n = snprintf(out, KXS_PATH_BUF, "/local/domain/%u/%s",
			     domid, in);
		if (n > KXS_PATH_MAX)
			return -EINVAL;
	}
	return kxs_path_valid(out) ? 0 : -EINVAL;
}
