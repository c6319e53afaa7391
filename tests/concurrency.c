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

static const struct xst_case cases[] = {
	{ "writers-sharing-a-file-each-get-their-replies",
	  writers_sharing_a_file_each_get_their_replies },
	{ "readers-see-whole-values-while-writers-change-the-tree",
	  readers_see_whole_values_while_writers_change_the_tree },
	{ "lookups-never-miss-nodes-while-siblings-change",
	  lookups_never_miss_nodes_while_siblings_change },
};

int main(int argc, char **argv)
{
	return xst_main(argc, argv, cases, ARRAY_SIZE(cases));
}
