// SPDX-License-Identifier: GPL-2.0
/*
 * Several threads at once: writers sharing one file get every reply, in
 * their own order; readers on their own files see whole values and
 * well-formed lists while writers change the tree.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/xstest.h"

#define BASE "/kxs-test/concurrency"

#define WRITERS 4
#define ROUNDS 100

struct shared_writer {
	int fd, t;
};

/* req_id: thread, round, and whether it is the WRITE (0) or READ (1) */
#define REQ_ID(t, i, kind) (((uint32_t)(t) << 24) | ((uint32_t)(i) << 1) | (kind))

static void *shared_writer_thread(void *arg)
{
	struct shared_writer *w = arg;
	unsigned char msg[2 * XST_MSG_MAX];
	char p[128];
	size_t n;
	int i, len;

	xst_block_sigalrm();
	for (i = 0; i < ROUNDS; i++) {
		/* a WRITE and the READ of what it wrote, in one write() */
		len = snprintf(p, sizeof(p), BASE "/w%d/k%d%ct%d-%d", w->t, i,
			       0, w->t, i);
		n = xst_build(msg, XS_WRITE, REQ_ID(w->t, i, 0), 0, p, len);
		len = snprintf(p, sizeof(p), BASE "/w%d/k%d", w->t, i);
		n += xst_build(msg + n, XS_READ, REQ_ID(w->t, i, 1), 0, p,
			       len + 1);
		if (write(w->fd, msg, n) != (ssize_t)n)
			abort();
	}
	return NULL;
}

static void writers_sharing_a_file_each_get_their_replies(void)
{
	static struct shared_writer w[WRITERS];
	static struct xst_msg m;
	pthread_t th[WRITERS];
	int next[WRITERS] = { 0 };
	int fd = xst_open(0), t, k, i;
	char want[64];

	xst_mkdir(fd, BASE);
	for (t = 0; t < WRITERS; t++) {
		w[t] = (struct shared_writer){ .fd = fd, .t = t };
		CHECK(!pthread_create(&th[t], NULL, shared_writer_thread, &w[t]),
		      "pthread_create");
	}
	for (k = 0; k < WRITERS * ROUNDS; k++) {
		/* the WRITE reply, then at once the READ reply of its pair */
		xst_recv(fd, &m);
		t = m.hdr.req_id >> 24;
		CHECK(t < WRITERS && !(m.hdr.req_id & 1),
		      "reply %d: req_id %#x, expected a WRITE's", k,
		      m.hdr.req_id);
		i = next[t]++;
		CHECK(m.hdr.req_id == REQ_ID(t, i, 0),
		      "thread %d: reply for req_id %#x, expected %#x", t,
		      m.hdr.req_id, REQ_ID(t, i, 0));
		CHECK(m.hdr.type == XS_WRITE && m.hdr.len == 3 &&
		      !memcmp(m.body, "OK", 3), "WRITE reply %s %s",
		      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
		snprintf(want, sizeof(want), "t%d-%d", t, i);
		xst_expect(fd, "READ written in the same write()", XS_READ,
			   REQ_ID(t, i, 1), 0, want, strlen(want));
	}
	for (t = 0; t < WRITERS; t++)
		pthread_join(th[t], NULL);
	xst_expect_silence(fd, 0);
	xst_rm(fd, BASE);
	close(fd);
}

/*
 * Values are 'c' repeated, then "#<total length>", so that a reader can
 * tell a whole value from a torn one.
 */
#define KEYS 16
#define RUN_MS 1500

static atomic_int stop;

static size_t make_value(char *v, unsigned int gen)
{
	size_t len = 1 + (gen * 97) % 2000, i;
	char tail[16];
	int tl;

	for (i = 0; i < len; i++)
		v[i] = 'a' + gen % 26;
	tl = snprintf(tail, sizeof(tail), "#%zu", len + 0);
	memcpy(v + len, tail, tl);
	/* the tail counts the bytes before it */
	return len + tl;
}

static int value_is_whole(const unsigned char *v, size_t n)
{
	size_t i, len;
	const unsigned char *hash = memchr(v, '#', n);

	if (!hash)
		return 0;
	len = hash - v;
	for (i = 1; i < len; i++)
		if (v[i] != v[0])
			return 0;
	return len && v[0] >= 'a' && v[0] <= 'z' &&
	       (size_t)atoi((const char *)hash + 1) == len &&
	       n == len + 1 + (size_t)snprintf(NULL, 0, "%zu", len);
}

static void *tree_writer_thread(void *arg)
{
	static __thread char v[4096];
	int seed = (int)(long)arg, fd = xst_open(0);
	unsigned int gen = seed;
	char p[128];
	size_t n;

	xst_block_sigalrm();
	while (!atomic_load(&stop)) {
		gen += 7;
		snprintf(p, sizeof(p), BASE "/tree/k%u", gen % KEYS);
		n = make_value(v, gen);
		xst_write_str(fd, p, v, n);
		if (gen % 5 == 0)
			xst_rm(fd, BASE "/tree/sub");
		else if (gen % 5 == 1)
			xst_mkdir(fd, BASE "/tree/sub/x/y");
	}
	close(fd);
	return NULL;
}

struct tree_reader {
	atomic_int ops;
};

static void check_list(const struct xst_msg *m)
{
	const char *prev = NULL, *name;
	size_t off = 0;

	CHECK(m->hdr.len && m->body[m->hdr.len - 1] == 0,
	      "DIRECTORY reply %s is not NUL-terminated",
	      xst_esc(m->body, m->hdr.len));
	while (off < m->hdr.len) {
		name = (const char *)m->body + off;
		CHECK(!strcmp(name, "sub") ||
		      (name[0] == 'k' && atoi(name + 1) < KEYS),
		      "unexpected child \"%s\" in %s", name,
		      xst_esc(m->body, m->hdr.len));
		CHECK(!prev || strcmp(prev, name) < 0,
		      "\"%s\" listed after \"%s\"", name, prev);
		prev = name;
		off += strlen(name) + 1;
	}
}

static void *tree_reader_thread(void *arg)
{
	static __thread struct xst_msg m;
	struct tree_reader *r = arg;
	int fd = xst_open(0);
	unsigned int i = 0;
	char p[128];

	xst_block_sigalrm();
	while (!atomic_load(&stop)) {
		i++;
		snprintf(p, sizeof(p), BASE "/tree/k%u", i % KEYS);
		xst_send(fd, XS_READ, i, 0, p, strlen(p) + 1);
		xst_recv(fd, &m);
		CHECK(m.hdr.req_id == i, "req_id %#x, expected %#x",
		      m.hdr.req_id, i);
		if (m.hdr.type == XS_READ)
			CHECK(value_is_whole(m.body, m.hdr.len),
			      "READ %s returned a torn value %s", p,
			      xst_esc(m.body, m.hdr.len));
		else
			CHECK(m.hdr.type == XS_ERROR &&
			      !strcmp((char *)m.body, "ENOENT"),
			      "READ %s: %s %s", p, xst_type_name(m.hdr.type),
			      xst_esc(m.body, m.hdr.len));

		xst_send(fd, XS_DIRECTORY, i, 0, S(BASE "/tree"));
		xst_recv(fd, &m);
		CHECK(m.hdr.type == XS_DIRECTORY, "DIRECTORY: %s %s",
		      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
		check_list(&m);

		xst_send(fd, XS_DIRECTORY, i, 0, S(BASE "/tree/sub/x"));
		xst_recv(fd, &m);
		CHECK((m.hdr.type == XS_DIRECTORY && m.hdr.len == 2 &&
		       !memcmp(m.body, "y", 2)) ||
		      (m.hdr.type == XS_ERROR &&
		       !strcmp((char *)m.body, "ENOENT")),
		      "DIRECTORY of sub/x: %s %s", xst_type_name(m.hdr.type),
		      xst_esc(m.body, m.hdr.len));
		atomic_fetch_add(&r->ops, 1);
	}
	close(fd);
	return NULL;
}

/*
 * Two writer threads (seeded 1 + i * @seed_step) and two reader threads
 * for @ms milliseconds; then each reader must have done some rounds.
 */
static void race_writers_and_readers(void *(*writer)(void *), int seed_step,
				     void *(*reader)(void *), int ms)
{
	static struct tree_reader r[2];
	pthread_t w[2], rd[2];
	int i;

	for (i = 0; i < 2; i++) {
		CHECK(!pthread_create(&w[i], NULL, writer,
				      (void *)(long)(i * seed_step + 1)),
		      "pthread_create");
		CHECK(!pthread_create(&rd[i], NULL, reader, &r[i]),
		      "pthread_create");
	}
	usleep(ms * 1000);
	atomic_store(&stop, 1);
	for (i = 0; i < 2; i++) {
		pthread_join(w[i], NULL);
		pthread_join(rd[i], NULL);
	}
	CHECK(atomic_load(&r[0].ops) >= 10 && atomic_load(&r[1].ops) >= 10,
	      "readers did only %d and %d rounds in %d ms",
	      atomic_load(&r[0].ops), atomic_load(&r[1].ops), ms);
}

static void readers_see_whole_values_while_writers_change_the_tree(void)
{
	int fd = xst_open(0), i;
	char v[4096];

	for (i = 0; i < KEYS; i++) {
		char p[64];

		snprintf(p, sizeof(p), BASE "/tree/k%d", i);
		xst_write_str(fd, p, v, make_value(v, i));
	}
	race_writers_and_readers(tree_writer_thread, 3, tree_reader_thread,
				 RUN_MS);
	xst_rm(fd, BASE);
	close(fd);
}

/*
 * Lookups never take the writer lock, and a descent racing an rbtree
 * rotation can miss a node that is there; the module retries such misses
 * (Documentation/design.rst).  Here stable nodes sit among siblings that
 * writers keep adding and removing, so the parent's tree rotates under
 * the readers all the time: a READ of a stable node must never fail and
 * every DIRECTORY must list all of them.
 */
#define STABLE 8
#define CHURN 256

static void stable_name(char *p, size_t n, int i)
{
	/* "n031s" sorts between the churning "n031" and "n032" */
	snprintf(p, n, BASE "/race/n%03ds", i * (CHURN / STABLE) + 7);
}

static void *churn_writer_thread(void *arg)
{
	unsigned int x = (unsigned int)(long)arg;
	int fd = xst_open(0);
	char p[128];

	xst_block_sigalrm();
	while (!atomic_load(&stop)) {
		x = x * 1103515245 + 12345;
		snprintf(p, sizeof(p), BASE "/race/n%03u", (x >> 8) % CHURN);
		if (x & 0x10000)
			xst_mkdir(fd, p);
		else
			xst_rm(fd, p);
	}
	close(fd);
	return NULL;
}

static void *stable_reader_thread(void *arg)
{
	static __thread struct xst_msg m;
	struct tree_reader *r = arg;
	int fd = xst_open(0), i, found;
	unsigned int round = 0;
	char p[128];

	xst_block_sigalrm();
	while (!atomic_load(&stop)) {
		round++;
		for (i = 0; i < STABLE; i++) {
			stable_name(p, sizeof(p), i);
			xst_send(fd, XS_READ, round, 0, p, strlen(p) + 1);
			xst_recv(fd, &m);
			CHECK(m.hdr.type == XS_READ && m.hdr.len == 1 &&
			      m.body[0] == 'v',
			      "READ %s while siblings change: %s %s", p,
			      xst_type_name(m.hdr.type),
			      xst_esc(m.body, m.hdr.len));
		}
		xst_send(fd, XS_DIRECTORY, round, 0, S(BASE "/race"));
		xst_recv(fd, &m);
		CHECK(m.hdr.type == XS_DIRECTORY, "DIRECTORY: %s %s",
		      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
		for (i = 0, found = 0; i < STABLE; i++) {
			const char *name;
			size_t off;

			stable_name(p, sizeof(p), i);
			name = strrchr(p, '/') + 1;
			for (off = 0; off < m.hdr.len;
			     off += strlen((char *)m.body + off) + 1)
				if (!strcmp((char *)m.body + off, name))
					found++;
		}
		CHECK(found == STABLE, "DIRECTORY listed %d of %d stable nodes: %s",
		      found, STABLE, xst_esc(m.body, m.hdr.len));
		atomic_fetch_add(&r->ops, 1);
	}
	close(fd);
	return NULL;
}

static void lookups_never_miss_nodes_while_siblings_change(void)
{
	int fd = xst_open(0), i;
	char p[128];

	for (i = 0; i < STABLE; i++) {
		stable_name(p, sizeof(p), i);
		xst_write_str(fd, p, "v", 1);
	}
	race_writers_and_readers(churn_writer_thread, 7919,
				 stable_reader_thread, 2 * RUN_MS);
	xst_rm(fd, BASE);
	close(fd);
}

/*
 * A guest's creations refused by a quota, beside lock-free readers.  A
 * creation that fails must never have put a node where a reader can find
 * it (the index's hash buckets), or the reader walks freed memory: only
 * the sanitizer kernels (KASAN on 2 vCPUs) see that happen, as a splat
 * that fails the run.  Here the readers also check every value.
 */
#define FAIL_DOM 43
#define WIDE 64

static void wide_name(char *p, size_t n, unsigned int i, bool missing)
{
	snprintf(p, n, BASE "/wide/n%03u%s", i, missing ? "m" : "");
}

static void *refused_creator_thread(void *arg)
{
	static __thread struct xst_msg m;
	int g = xst_open_domain(FAIL_DOM);
	unsigned int i = (unsigned int)(long)arg;
	static __thread char req[4096];
	size_t n;
	int k;

	xst_block_sigalrm();
	while (!atomic_load(&stop)) {
		i++;
		/* Over the nodes quota: a deep chain of new nodes... */
		n = snprintf(req, sizeof(req), "f%u", i % 97);
		for (k = 0; k < 24; k++)
			n += snprintf(req + n, sizeof(req) - n, "/c%u", (i + k) % 13);
		req[n++] = '\0';
		req[n++] = 'v';
		xst_call(g, XS_WRITE, 0, req, n, &m);
		CHECK(m.hdr.type == XS_ERROR && !strcmp((char *)m.body, "ENOSPC"),
		      "chain over the nodes quota: %s %s",
		      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
		/* ...and a short one whose last node is over node-size. */
		n = snprintf(req, sizeof(req), "s%u/a/b", i % 89);
		req[n++] = '\0';
		memset(req + n, 'x', 3000);
		n += 3000;
		xst_call(g, XS_WRITE, 0, req, n, &m);
		CHECK(m.hdr.type == XS_ERROR && !strcmp((char *)m.body, "ENOSPC"),
		      "value over node-size: %s %s",
		      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	}
	close(g);
	return NULL;
}

static void *wide_reader_thread(void *arg)
{
	static __thread struct xst_msg m;
	struct tree_reader *r = arg;
	unsigned int x = (unsigned int)(long)r;
	int fd = xst_open(0), i;
	char p[128];

	xst_block_sigalrm();
	while (!atomic_load(&stop)) {
		for (i = 0; i < 2 * WIDE; i++) {
			x = x * 1103515245 + 12345;
			wide_name(p, sizeof(p), (x >> 8) % WIDE, x & 0x100);
			xst_call(fd, XS_READ, 0, p, strlen(p) + 1, &m);
			if (x & 0x100)
				CHECK(m.hdr.type == XS_ERROR &&
				      !strcmp((char *)m.body, "ENOENT"),
				      "READ %s: %s %s", p,
				      xst_type_name(m.hdr.type),
				      xst_esc(m.body, m.hdr.len));
			else
				CHECK(m.hdr.type == XS_READ &&
				      m.hdr.len == 1 && m.body[0] == 'v',
				      "READ %s: %s %s", p,
				      xst_type_name(m.hdr.type),
				      xst_esc(m.body, m.hdr.len));
		}
		atomic_fetch_add(&r->ops, 1);
	}
	close(fd);
	return NULL;
}

static void refused_creations_leave_readers_alone(void)
{
	int fd = xst_open(0), i;
	const struct xst_buf *p;
	long before[XST_NSTATS], after[XST_NSTATS];
	char path[128];

	for (i = 0; i < WIDE; i++) {
		wide_name(path, sizeof(path), i, false);
		xst_write_str(fd, path, "v", 1);
	}
	xst_rm_any(fd, xst_home(FAIL_DOM));
	xst_mkdir(fd, xst_home(FAIL_DOM));
	p = XST_STRS(xst_home(FAIL_DOM), xst_fmt("n%u", FAIL_DOM));
	xst_rpc(fd, XS_SET_PERMS, p->b, p->len, XS_SET_PERMS, "OK", 3);
	p = XST_STRS(xst_u(FAIL_DOM), "17", "1");
	xst_rpc(fd, XS_INTRODUCE, p->b, p->len, XS_INTRODUCE, "OK", 3);
	p = XST_STRS(xst_u(FAIL_DOM), "nodes", "8");
	xst_rpc(fd, XST_SET_QUOTA, p->b, p->len, XST_SET_QUOTA, "OK", 3);
	xst_stats(before);
	race_writers_and_readers(refused_creator_thread, 31,
				 wide_reader_thread, 2 * RUN_MS);
	xst_stats(after);
	CHECK(after[XST_NODES] == before[XST_NODES],
	      "refused creations changed the node count: %ld -> %ld",
	      before[XST_NODES], after[XST_NODES]);
	p = XST_STRS(xst_u(FAIL_DOM));
	xst_rpc(fd, XS_RELEASE, p->b, p->len, XS_RELEASE, "OK", 3);
	xst_rm_any(fd, xst_home(FAIL_DOM));
	xst_rm(fd, BASE);
	close(fd);
}

/*
 * A transaction may commit only if nothing it read changed since it read
 * it.  One thread writes X = "w<k>" for k = 1, 2, ... outside any
 * transaction and reads X back after each write; two threads each read X
 * in a transaction and write back "t<j>", j being the k of the "w" value
 * (or the j of the "t" value) they read.  Once write k is done, a commit
 * that lands after it must have read write k or later: reading back
 * "t<j>" with j < k means a transaction overwrote a write it never saw.
 * A write used to give its node the new data and then the new generation
 * outside the node's seqcount, so that a transaction's read racing with
 * it could pair the old value with the new generation (only SMP kernels
 * can show it).
 */
#define LOST_X BASE "/lost/x"

static atomic_long commits, aborts, writes;

static unsigned long lost_number(const struct xst_msg *m, char *kind)
{
	char buf[32];

	CHECK(m->hdr.type == XS_READ && m->hdr.len > 1 &&
	      m->hdr.len < sizeof(buf), "READ %s: %s %s", LOST_X,
	      xst_type_name(m->hdr.type), xst_esc(m->body, m->hdr.len));
	memcpy(buf, m->body, m->hdr.len);
	buf[m->hdr.len] = '\0';
	*kind = buf[0];
	CHECK(buf[0] == 'w' || buf[0] == 't', "value of %s: %s", LOST_X, buf);
	return strtoul(buf + 1, NULL, 10);
}

static void *lost_writer_thread(void *arg)
{
	static __thread struct xst_msg m;
	int fd = xst_open(0);
	unsigned long k = 0, j;
	char v[32], kind;

	(void)arg;
	xst_block_sigalrm();
	while (!atomic_load(&stop)) {
		k++;
		snprintf(v, sizeof(v), "w%lu", k);
		xst_write_str(fd, LOST_X, v, strlen(v));
		/*
		 * A pause, so that a transaction whose read raced with this
		 * write gets to commit before the next one.
		 */
		usleep(1000);
		xst_call(fd, XS_READ, 0, S(LOST_X), &m);
		j = lost_number(&m, &kind);
		atomic_fetch_add(&writes, 1);
		CHECK(j >= k, "write %lu done, then X is %c%lu: a transaction "
		      "committed over a write it did not see (%ld commits, "
		      "%ld EAGAIN)", k, kind, j, atomic_load(&commits),
		      atomic_load(&aborts));
	}
	close(fd);
	return NULL;
}

static void *lost_tx_thread(void *arg)
{
	static __thread struct xst_msg m;
	struct tree_reader *r = arg;
	int fd = xst_open(0);
	char v[sizeof(LOST_X) + 32], kind;
	unsigned long j;
	uint32_t tx;
	size_t n;

	xst_block_sigalrm();
	while (!atomic_load(&stop)) {
		/* Not xst_tx_start(): its event buffers are not per thread. */
		xst_call(fd, XS_TRANSACTION_START, 0, "", 1, &m);
		CHECK(m.hdr.type == XS_TRANSACTION_START,
		      "TRANSACTION_START: %s %s", xst_type_name(m.hdr.type),
		      xst_esc(m.body, m.hdr.len));
		tx = strtoul((char *)m.body, NULL, 10);
		xst_call(fd, XS_READ, tx, S(LOST_X), &m);
		j = lost_number(&m, &kind);
		memcpy(v, LOST_X, sizeof(LOST_X));
		n = sizeof(LOST_X);
		n += snprintf(v + n, sizeof(v) - n, "t%lu", j);
		xst_call(fd, XS_WRITE, tx, v, n, &m);
		CHECK(m.hdr.type == XS_WRITE, "WRITE in a transaction: %s %s",
		      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
		xst_call(fd, XS_TRANSACTION_END, tx, S("T"), &m);
		if (m.hdr.type == XS_ERROR && !strcmp((char *)m.body, "EAGAIN")) {
			atomic_fetch_add(&aborts, 1);
		} else {
			CHECK(m.hdr.type == XS_TRANSACTION_END,
			      "TRANSACTION_END: %s %s",
			      xst_type_name(m.hdr.type),
			      xst_esc(m.body, m.hdr.len));
			atomic_fetch_add(&commits, 1);
		}
		atomic_fetch_add(&r->ops, 1);
	}
	close(fd);
	return NULL;
}

static void transactions_never_commit_over_a_write_they_missed(void)
{
	static struct tree_reader r[2];
	int fd = xst_open(0);
	pthread_t w, t[2];
	int i;

	xst_write_str(fd, LOST_X, "w0", 2);
	/* One writer: its k are the order of its writes. */
	CHECK(!pthread_create(&w, NULL, lost_writer_thread, NULL),
	      "pthread_create");
	for (i = 0; i < 2; i++)
		CHECK(!pthread_create(&t[i], NULL, lost_tx_thread, &r[i]),
		      "pthread_create");
	usleep(xst_env_ul("KXS_LOST_UPDATE_MS", 2 * RUN_MS, 1, 3600000) *
	       1000);
	atomic_store(&stop, 1);
	pthread_join(w, NULL);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	CHECK(atomic_load(&r[0].ops) >= 10 && atomic_load(&r[1].ops) >= 10,
	      "transactions did only %d and %d rounds",
	      atomic_load(&r[0].ops), atomic_load(&r[1].ops));
	printf("# %ld commits, %ld EAGAIN, %ld writes\n",
	       atomic_load(&commits), atomic_load(&aborts),
	       atomic_load(&writes));
	xst_rm(fd, BASE);
	close(fd);
}

static const struct xst_case cases[] = {
	{ "writers-sharing-a-file-each-get-their-replies",
	  writers_sharing_a_file_each_get_their_replies },
	{ "readers-see-whole-values-while-writers-change-the-tree",
	  readers_see_whole_values_while_writers_change_the_tree },
	{ "lookups-never-miss-nodes-while-siblings-change",
	  lookups_never_miss_nodes_while_siblings_change },
	{ "refused-creations-leave-readers-alone",
	  refused_creations_leave_readers_alone },
	{ "transactions-never-commit-over-a-write-they-missed",
	  transactions_never_commit_over_a_write_they_missed },
};

int main(int argc, char **argv)
{
	return xst_main(argc, argv, cases, ARRAY_SIZE(cases));
}
