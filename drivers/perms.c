// SPDX-License-Identifier: GPL-2.0
/*
 * Node permissions: who may do what to a node, and their wire form.
 *
 * The rule is the reference daemon's: the control domain may do
 * anything; the owner (first entry) may do anything; otherwise the first
 * entry naming the caller gives its access, and the first entry's access
 * applies to everybody not named.  A domain that targets another (SET_TARGET)
 * is treated as that domain too, so a device model acts for its guest.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "perms.h"

/**
 * kxs_domid_parse() - a domain id in decimal, as the wire carries it
 * @s: NUL-terminated string
 * @domid: set to the value
 *
 * Return: 0, or -EINVAL unless @s is 1 to 5 digits with a value up
 * to 65535 (no sign, no blanks).
 */
int kxs_domid_parse(const char *s, u16 *domid)
{
	unsigned int v = 0;
	size_t i;

	if (!s[0] || strlen(s) > 5)
		return -EINVAL;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	if (v > U16_MAX)
		return -EINVAL;
	*domid = v;
	return 0;
}

static int kxs_perm_letter(char l)
{
	switch (l) {
	case 'n':
		return KXS_PERM_NONE;
	case 'r':
		return KXS_PERM_READ;
	case 'w':
		return KXS_PERM_WRITE;
	case 'b':
		return KXS_PERM_BOTH;
	}
	return -EINVAL;
}

/**
 * kxs_perms_parse() - parse permission strings
 * @s: @len bytes: one or more NUL-terminated "<n|r|w|b><domid>"
 * @len: bytes at @s; the last must be a NUL
 * @perms: room for @max entries
 * @max: size of @perms
 *
 * Return: the number of entries, -EINVAL for a malformed list, or
 * -E2BIG when there are more than @max.
 */
int kxs_perms_parse(const char *s, size_t len, struct kxs_perm *perms,
		    unsigned int max)
{
	const char *end = s + len;
	unsigned int nr = 0;

	if (!len || s[len - 1] != '\0')
		return -EINVAL;
	while (s < end) {
		size_t n = strlen(s);
		int access = kxs_perm_letter(s[0]);
		u16 domid;

		if (!n || access < 0 || kxs_domid_parse(s + 1, &domid))
			return -EINVAL;
		if (nr == max)
			return -E2BIG;
		perms[nr].domid = domid;
		perms[nr].access = access;
		nr++;
		s += n + 1;
	}
	return nr;
}

/**
 * kxs_perm_string() - one permission entry as the protocol writes it
 * @perm: the entry
 * @out: room for "<letter><domid>" and its NUL (KXS_PERM_STR bytes)
 *
 * Return: its length, NUL excluded.
 */
int kxs_perm_string(const struct kxs_perm *perm, char *out)
{
	static const char letters[] = "nrwb";

	return snprintf(out, KXS_PERM_STR, "%c%u",
			letters[perm->access & KXS_PERM_BOTH], perm->domid);
}

/**
 * kxs_perms_format() - permissions in wire form, as GET_PERMS returns them
 * @perms: the entries
 * @nr: their number
 * @buf: where to write "<letter><domid>" strings, each NUL-terminated
 * @size: size of @buf
 *
 * Return: bytes written, or -E2BIG if they do not fit.
 */
int kxs_perms_format(const struct kxs_perm *perms, unsigned int nr,
		     char *buf, size_t size)
{
	size_t off = 0;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		char one[KXS_PERM_STR];
		int n = kxs_perm_string(&perms[i], one);

		if (off + n + 1 > size)
			return -E2BIG;
		memcpy(buf + off, one, n + 1);
		off += n + 1;
	}
	return off;
}
