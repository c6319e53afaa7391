// SPDX-License-Identifier: GPL-2.0
/*
 * The domain section of a checkpoint: what QEMU's format has no room for
 * and a live update must carry (Documentation/checkpoint.rst, "The
 * domain section"): the state of every domain that has some (introduced,
 * its event channel, target, features, quotas, shutdown), the special
 * paths' permissions, and the watches of guests and of dom0's ring that
 * the stream's watch list leaves out.
 *
 * After the watch list: a big-endian u32 length, then that many bytes of
 * text, one record per line, fields separated by one space:
 *
 *	kxenstore-domains 1
 *	domain <domid> <introduced> <gfn> <port> <target> <features>
 *	       <shutdown> <quota bits> <quota>... (KXS_QUOTA_NR values)
 *	special <path> <permission>...
 *	watch <domid> <depth> <relative> <path, hex> <token, hex>
 *	end
 *
 * (a domain record is one line).  Paths and tokens are hex: a token may
 * hold any byte but NUL.  A section is parsed and checked whole before
 * anything is applied.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "checkpoint.h"
#include "checkpoint_domains.h"
#include "domain.h"
#include "path.h"
#include "proto.h"
#include "watch.h"

#define KXS_DSEC_MAGIC	"kxenstore-domains 1"

/**
 * struct kxs_dsec - a parsed domain section
 * @doms: the domains' states
 * @nr_doms: their number
 * @special: each special path's permissions, or NULL if not given
 * @nr_special: their numbers
 * @watches: the watches, allocated to be parked (kxs_watch_alloc())
 * @nr_watches: their number
 */
struct kxs_dsec {
	struct kxs_domain_state *doms;
	unsigned int nr_doms;
	struct kxs_perm *special[KXS_SPECIAL_NR];
	unsigned int nr_special[KXS_SPECIAL_NR];
	struct kxs_watch **watches;
	unsigned int nr_watches;
};

/* A printf into the growing buffer. */
static __printf(2, 3) void kxs_dsec_printf(struct kxs_sbuf *b,
					   const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = kvasprintf(GFP_KERNEL, fmt, ap);
	va_end(ap);
	if (!s) {
		b->err = -ENOMEM;
		return;
	}
	kxs_sbuf_bytes(b, s, strlen(s));
	kfree(s);
}

static void kxs_dsec_hex(struct kxs_sbuf *b, const char *s)
{
	size_t len = strlen(s);
	char *hex = kvmalloc(2 * len + 1, GFP_KERNEL);

	if (!hex) {
		b->err = -ENOMEM;
		return;
	}
	*bin2hex(hex, s, len) = '\0';
	kxs_sbuf_bytes(b, hex, 2 * len);
	kvfree(hex);
}

/* The watches to save, gathered to be sorted. */
struct kxs_dsec_watches {
	struct kxs_dsec_watch {
		const struct kxs_watch *w;
		u16 domid;
	} *all;
	unsigned int nr;
};

static int kxs_dsec_gather(void *arg, const struct kxs_watch *w, u16 domid)
{
	struct kxs_dsec_watches *ws = arg;
	void *grown = kxs_grow(ws->all, ws->nr, sizeof(*ws->all));

	if (!grown)
		return -ENOMEM;
	ws->all = grown;
	ws->all[ws->nr].w = w;
	ws->all[ws->nr++].domid = domid;
	return 0;
}

/* By domain, path, token, depth, relative: nothing depends on addresses. */
static int kxs_dsec_watch_cmp(const void *a, const void *b)
{
	const struct kxs_dsec_watch *x = a, *y = b;
	int r;

	if (x->domid != y->domid)
		return x->domid < y->domid ? -1 : 1;
	r = strcmp(x->w->path, y->w->path);
	if (!r)
		r = strcmp(x->w->token, y->w->token);
	if (!r && x->w->depth != y->w->depth)
		r = x->w->depth < y->w->depth ? -1 : 1;
	return r ? r : (int)x->w->relative - (int)y->w->relative;
}

/*
 * The section's watch lines.  The watches stay as they are meanwhile:
 * the quiesce lock is held for writing (no request, adoption or
 * release runs).
 */
static int kxs_dsec_save_watches(struct kxs_sbuf *b, struct kxs_domains *d,
				 u16 guest)
{
	struct kxs_dsec_watches ws = { };
	unsigned int i;
	int ret;

	ret = kxs_watch_for_unsaved(d, guest, kxs_dsec_gather, &ws);
	if (!ret)
		sort(ws.all, ws.nr, sizeof(*ws.all), kxs_dsec_watch_cmp, NULL);
	for (i = 0; !ret && i < ws.nr; i++) {
		const struct kxs_watch *w = ws.all[i].w;

		kxs_dsec_printf(b, "watch %u %u %u ", ws.all[i].domid,
				w->depth, w->relative);
		kxs_dsec_hex(b, w->path);
		kxs_sbuf_u8(b, ' ');
		kxs_dsec_hex(b, w->token);
		kxs_sbuf_u8(b, '\n');
		ret = b->err;
	}
	kvfree(ws.all);
	return ret;
}

static void kxs_dsec_save_domain(struct kxs_sbuf *b,
				 const struct kxs_domain_state *st)
{
	int q;

	kxs_dsec_printf(b, "domain %u %u %lld %u %d %u %u %lu", st->domid,
			st->introduced, st->gfn, st->port, st->target,
			st->features, st->shutdown, st->quota_set);
	for (q = 0; q < KXS_QUOTA_NR; q++)
		kxs_dsec_printf(b, " %u", st->quota[q]);
	kxs_sbuf_u8(b, '\n');
}

static void kxs_dsec_save_special(struct kxs_sbuf *b, struct kxs_domains *d,
				  int sp)
{
	char str[KXS_PERM_STR];
	struct kxs_perm *p;
	unsigned int nr, i;

	p = kxs_special_perms(d, sp, &nr);
	if (!p) {
		b->err = -ENOMEM;
		return;
	}
	kxs_dsec_printf(b, "special %s", kxs_special_name(sp));
	for (i = 0; i < nr; i++) {
		kxs_perm_string(&p[i], str);
		kxs_dsec_printf(b, " %s", str);
	}
	kxs_sbuf_u8(b, '\n');
	kfree(p);
}

/**
 * kxs_dsec_save() - append the domain section to a stream
 * @d: the domain table
 * @guest: the guest domain whose watches the stream's list carries
 * @b: the stream
 *
 * Context: the quiesce lock held for writing.
 * Return: 0 or -ENOMEM.
 */
int kxs_dsec_save(struct kxs_domains *d, u16 guest, struct kxs_sbuf *b)
{
	struct kxs_domain_state *st = NULL;
	struct kxs_sbuf t = { };
	int i, n, ret;

	n = kxs_domain_states(d, &st);
	if (n < 0)
		return n;
	kxs_dsec_printf(&t, KXS_DSEC_MAGIC "\n");
	for (i = 0; i < n; i++)
		kxs_dsec_save_domain(&t, &st[i]);
	kvfree(st);
	for (i = 0; i < KXS_SPECIAL_NR; i++)
		kxs_dsec_save_special(&t, d, i);
	ret = t.err;
	if (!ret)
		ret = kxs_dsec_save_watches(&t, d, guest);
	kxs_dsec_printf(&t, "end\n");
	if (!ret)
		ret = t.err;
	if (!ret && t.len > U32_MAX)
		ret = -ENOMEM;
	if (!ret) {
		kxs_sbuf_be32(b, t.len);
		kxs_sbuf_bytes(b, t.buf, t.len);
	}
	kvfree(t.buf);
	return ret;
}

/* The next space-separated field of @line, or NULL. */
static char *kxs_dsec_field(char **line)
{
	char *f = strsep(line, " ");

	return f && *f ? f : NULL;
}

static int kxs_dsec_u32(char **line, u32 *v)
{
	char *f = kxs_dsec_field(line);

	return f && !kstrtou32(f, 10, v) ? 0 : -EINVAL;
}

static int kxs_dsec_parse_domain(struct kxs_dsec *ds, char *line)
{
	struct kxs_domain_state *st;
	u32 v[7], set;
	void *grown;
	char *f;
	int i;

	grown = kxs_grow(ds->doms, ds->nr_doms, sizeof(*ds->doms));
	if (!grown)
		return -ENOMEM;
	ds->doms = grown;
	st = &ds->doms[ds->nr_doms];
	memset(st, 0, sizeof(*st));
	if (kxs_dsec_u32(&line, &v[0]) || kxs_dsec_u32(&line, &v[1]))
		return -EINVAL;
	f = kxs_dsec_field(&line);
	if (!f || kstrtos64(f, 10, &st->gfn))
		return -EINVAL;
	if (kxs_dsec_u32(&line, &v[2]))
		return -EINVAL;
	f = kxs_dsec_field(&line);
	if (!f || kstrtoint(f, 10, &st->target))
		return -EINVAL;
	for (i = 3; i < 6; i++)
		if (kxs_dsec_u32(&line, &v[i]))
			return -EINVAL;
	set = v[5];
	for (i = 0; i < KXS_QUOTA_NR; i++)
		if (kxs_dsec_u32(&line, &st->quota[i]))
			return -EINVAL;
	if (line || v[0] > U16_MAX || !kxs_domid_is_guest(v[0]) || v[1] > 1 ||
	    v[4] > 1 || (v[1] && !v[2]) ||
	    (v[3] & ~KXS_FEATURES_SUPPORTED) || (set >> KXS_QUOTA_NR) ||
	    (st->target != KXS_NO_TARGET &&
	     (st->target < 0 || st->target > U16_MAX ||
	      !kxs_domid_is_guest(st->target))))
		return -EINVAL;
	for (i = 0; i < ds->nr_doms; i++)
		if (ds->doms[i].domid == v[0])
			return -EINVAL;
	st->domid = v[0];
	st->introduced = v[1];
	st->port = v[2];
	st->features = v[3];
	st->shutdown = v[4];
	st->quota_set = set;
	ds->nr_doms++;
	return 0;
}

static int kxs_dsec_parse_special(struct kxs_dsec *ds, char *line)
{
	char *name = kxs_dsec_field(&line);
	int sp = name ? kxs_special_lookup(name) : -EINVAL;
	struct kxs_perm *perms;
	size_t len;
	int nr;

	if (sp < 0 || ds->special[sp] || !line)
		return -EINVAL;
	/* "n0 r5" as SET_PERMS has it: "n0\0r5\0". */
	len = strlen(line) + 1;
	strreplace(line, ' ', '\0');
	perms = kmalloc_array(len / 2 + 1, sizeof(*perms), GFP_KERNEL);
	if (!perms)
		return -ENOMEM;
	nr = kxs_perms_parse(line, len, perms, len / 2 + 1);
	if (nr < 1) {
		kfree(perms);
		return -EINVAL;
	}
	ds->special[sp] = perms;
	ds->nr_special[sp] = nr;
	return 0;
}

/* A hex field into a NUL-terminated string of at most @max bytes. */
static char *kxs_dsec_unhex(char **line, size_t max)
{
	char *f = kxs_dsec_field(line), *s;
	size_t len;

	if (!f)
		return ERR_PTR(-EINVAL);
	len = strlen(f);
	if (len % 2 || len / 2 > max)
		return ERR_PTR(-EINVAL);
	s = kvmalloc(len / 2 + 1, GFP_KERNEL);
	if (!s)
		return ERR_PTR(-ENOMEM);
	s[len / 2] = '\0';
	if (hex2bin(s, f, len / 2) || strlen(s) != len / 2) {
		kvfree(s);
		return ERR_PTR(-EINVAL);
	}
	return s;
}

static int kxs_dsec_parse_watch(struct kxs_dsec *ds, char *line, char *canon)
{
	char *path = NULL, *token = NULL;
	struct kxs_watch *w;
	void *grown;
	u32 domid, depth, rel;
	bool relative;
	int ret = -EINVAL;

	if (kxs_dsec_u32(&line, &domid) || kxs_dsec_u32(&line, &depth) ||
	    kxs_dsec_u32(&line, &rel) || rel > 1 || domid > U16_MAX ||
	    (domid && !kxs_domid_is_guest(domid)))
		return -EINVAL;
	path = kxs_dsec_unhex(&line, KXS_PATH_MAX);
	if (IS_ERR(path))
		return PTR_ERR(path);
	token = kxs_dsec_unhex(&line, KXS_PAYLOAD_MAX);
	if (IS_ERR(token)) {
		ret = PTR_ERR(token);
		token = NULL;
		goto out;
	}
	/* A path as WATCH registers it, whose events fit in a message. */
	if (line || kxs_watch_canon(path, domid, canon, &relative) ||
	    relative || strcmp(path, canon) ||
	    strlen(path) + 1 + strlen(token) + 1 > KXS_PAYLOAD_MAX ||
	    (rel && path[0] == '@'))
		goto out;
	ret = -ENOMEM;
	grown = kxs_grow(ds->watches, ds->nr_watches, sizeof(*ds->watches));
	if (!grown)
		goto out;
	ds->watches = grown;
	w = kxs_watch_alloc(path, rel, token, domid);
	if (!w)
		goto out;
	w->depth = depth;
	ds->watches[ds->nr_watches++] = w;
	ret = 0;
out:
	kvfree(path);
	kvfree(token);
	return ret;
}

/**
 * kxs_dsec_free() - free a parsed section
 * @ds: the section, or NULL
 */
void kxs_dsec_free(struct kxs_dsec *ds)
{
	unsigned int i;

	if (!ds)
		return;
	kvfree(ds->doms);
	for (i = 0; i < KXS_SPECIAL_NR; i++)
		kfree(ds->special[i]);
	for (i = 0; i < ds->nr_watches; i++)
		if (ds->watches[i])
			kxs_watch_kfree(ds->watches[i]);
	kvfree(ds->watches);
	kfree(ds);
}

/**
 * kxs_dsec_parse() - parse and check a domain section
 * @p: its text (after its length)
 * @len: the length
 *
 * Return: the section, ERR_PTR(-EINVAL) if it is not valid, or
 * ERR_PTR(-ENOMEM).
 */
struct kxs_dsec *kxs_dsec_parse(const u8 *p, size_t len)
{
	struct kxs_dsec *ds = kzalloc(sizeof(*ds), GFP_KERNEL);
	char *line = NULL, *canon = NULL, *kind;
	bool first = true, end = false;
	int ret = -ENOMEM;

	if (!ds)
		return ERR_PTR(-ENOMEM);
	canon = kmalloc(KXS_PATH_BUF, GFP_KERNEL);
	if (!canon)
		goto out;
	ret = -EINVAL;
	while (len) {
		const u8 *nl = memchr(p, '\n', len);
		size_t n = nl ? nl - p : len;
		char *rest;

		if (!nl || end || memchr(p, '\0', n))
			goto out;
		kvfree(line);
		line = kvmalloc(n + 1, GFP_KERNEL);
		ret = -ENOMEM;
		if (!line)
			goto out;
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + 1;
		len -= n + 1;
		ret = -EINVAL;
		if (first) {
			if (strcmp(line, KXS_DSEC_MAGIC))
				goto out;
			first = false;
			continue;
		}
		rest = line;
		kind = strsep(&rest, " ");
		if (!strcmp(kind, "end") && !rest)
			end = true;
		else if (!strcmp(kind, "domain") && rest)
			ret = kxs_dsec_parse_domain(ds, rest);
		else if (!strcmp(kind, "special") && rest)
			ret = kxs_dsec_parse_special(ds, rest);
		else if (!strcmp(kind, "watch") && rest)
			ret = kxs_dsec_parse_watch(ds, rest, canon);
		if (ret && !end)
			goto out;
		ret = -EINVAL;
	}
	if (end)
		ret = 0;
out:
	kvfree(line);
	kfree(canon);
	if (ret) {
		kxs_dsec_free(ds);
		return ERR_PTR(ret);
	}
	return ds;
}

/**
 * kxs_dsec_check() - can a section be applied to the domain table?
 * @ds: the section
 * @d: the table
 *
 * Return: 0, or -EBUSY if a domain of the table has state already (the
 * section brings back every domain's: only a fresh module takes it).
 */
int kxs_dsec_check(struct kxs_dsec *ds, struct kxs_domains *d)
{
	u16 domid = 0;

	return kxs_domain_has_state(d, &domid) ? -EBUSY : 0;
}

/**
 * kxs_dsec_apply() - make a checked section the domain table's state
 * @ds: the section; its watches are taken (parked for their domains)
 * @d: the table
 *
 * Context: the quiesce lock held for writing, after kxs_dsec_check().
 * Return: 0 or -ENOMEM (what was applied stays).
 */
int kxs_dsec_apply(struct kxs_dsec *ds, struct kxs_domains *d)
{
	static const struct kxs_caller control = {
		.domid = KXS_DOMID_CONTROL, .target = KXS_NO_TARGET,
		.priv = true,
	};
	unsigned int i;
	int ret = 0;

	for (i = 0; i < KXS_SPECIAL_NR && !ret; i++)
		if (ds->special[i])
			ret = kxs_special_set_perms(d, &control, i,
						    ds->special[i],
						    ds->nr_special[i]);
	for (i = 0; i < ds->nr_doms && !ret; i++)
		ret = kxs_domain_restore(d, &ds->doms[i]);
	if (ret)
		return ret;
	for (i = 0; i < ds->nr_watches; i++) {
		kxs_watch_park(d, ds->watches[i]);
		ds->watches[i] = NULL;
	}
	return 0;
}
