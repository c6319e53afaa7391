// SPDX-License-Identifier: GPL-2.0
/*
 * Transactions on the wire: TRANSACTION_START gives an id, requests that
 * carry it see the transaction's own view, TRANSACTION_END T publishes it
 * (or fails with EAGAIN after a conflicting change), F discards it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/xstest.h"

#define BASE "/kxs-test/tx"

/* Start a transaction; check the reply's form and return its id. */
static uint32_t tx_start(int fd)
{
	static struct xst_msg m;
	uint32_t id = xst_next_req_id();
	unsigned long v;
	char *end;

	xst_send(fd, XS_TRANSACTION_START, id, 0, S(""));
	xst_recv(fd, &m);
	CHECK(m.hdr.type == XS_TRANSACTION_START && m.hdr.req_id == id &&
	      m.hdr.tx_id == 0,
	      "TRANSACTION_START got %s %s (req_id %#x tx_id %#x)",
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len),
	      m.hdr.req_id, m.hdr.tx_id);
	CHECK(m.hdr.len >= 2 && m.body[m.hdr.len - 1] == 0 &&
	      strspn((char *)m.body, "0123456789") == m.hdr.len - 1,
	      "TRANSACTION_START reply %s is not \"<decimal>\\0\"",
	      xst_esc(m.body, m.hdr.len));
	errno = 0;
	v = strtoul((char *)m.body, &end, 10);
	CHECK(!errno && v && v <= UINT32_MAX && m.body[0] != '0',
	      "transaction id %s", xst_esc(m.body, m.hdr.len));
	return (uint32_t)v;
}

static void tx_end(int fd, uint32_t tx, const char *how, const char *err)
{
	if (err)
		xst_rpc_tx(fd, XS_TRANSACTION_END, tx, how, strlen(how) + 1,
			   XS_ERROR, err, strlen(err) + 1);
	else
		xst_rpc_tx(fd, XS_TRANSACTION_END, tx, how, strlen(how) + 1,
			   XS_TRANSACTION_END, OK_REPLY);
}

static void tx_read(int fd, uint32_t tx, const char *path, const char *val)
{
	xst_rpc_tx(fd, XS_READ, tx, path, strlen(path) + 1, XS_READ, val,
		   strlen(val));
}

static void tx_read_err(int fd, uint32_t tx, const char *path,
			const char *err)
{
	xst_rpc_tx(fd, XS_READ, tx, path, strlen(path) + 1, XS_ERROR, err,
		   strlen(err) + 1);
}

static void tx_write(int fd, uint32_t tx, const char *path, const char *val)
{
	char buf[512];
	size_t pl = strlen(path) + 1, vl = strlen(val);

	memcpy(buf, path, pl);
	memcpy(buf + pl, val, vl);
	xst_rpc_tx(fd, XS_WRITE, tx, buf, pl + vl, XS_WRITE, OK_REPLY);
}

static void transaction_start_returns_distinct_decimal_ids(void)
{
	int fd = xst_open(0), fd2 = xst_open(0);
	uint32_t a = tx_start(fd), b = tx_start(fd), c = tx_start(fd2);

	CHECK(a != b, "two transactions got the same id %u", a);
	tx_end(fd, a, "F", NULL);
	tx_end(fd, b, "F", NULL);
	tx_end(fd2, c, "F", NULL);
	close(fd2);
	close(fd);
}

/*
 * Inside: the transaction's writes, removals and new children; outside
 * (same and other connection): the old state until the commit.
 */
static void transaction_is_isolated_until_commit(void)
{
	int fd = xst_open(0), other = xst_open(0);
	uint32_t tx;

	xst_write_str(fd, BASE "/iso/a", "old", 3);
	xst_write_str(fd, BASE "/iso/gone", "x", 1);
	tx = tx_start(fd);
	tx_write(fd, tx, BASE "/iso/a", "new");
	tx_write(fd, tx, BASE "/iso/b/c", "added");
	xst_rpc_tx(fd, XS_RM, tx, S(BASE "/iso/gone"), XS_RM, OK_REPLY);
	tx_read(fd, tx, BASE "/iso/a", "new");
	tx_read(fd, tx, BASE "/iso/b/c", "added");
	tx_read_err(fd, tx, BASE "/iso/gone", "ENOENT");
	xst_rpc_tx(fd, XS_DIRECTORY, tx, S(BASE "/iso"), XS_DIRECTORY,
		   S("a\0b"));

	xst_read_expect(fd, BASE "/iso/a", "old", 3);
	xst_read_expect(other, BASE "/iso/a", "old", 3);
	xst_read_err(other, BASE "/iso/b", "ENOENT");
	xst_read_expect(other, BASE "/iso/gone", "x", 1);
	xst_dir_expect(other, BASE "/iso", S("a\0gone"));

	tx_end(fd, tx, "T", NULL);
	xst_read_expect(other, BASE "/iso/a", "new", 3);
	xst_read_expect(other, BASE "/iso/b/c", "added", 5);
	xst_read_err(other, BASE "/iso/gone", "ENOENT");
	xst_dir_expect(other, BASE "/iso", S("a\0b"));
	xst_rm(fd, BASE "/iso");
	close(other);
	close(fd);
}

static void aborted_transaction_changes_nothing(void)
{
	int fd = xst_open(0);
	uint32_t tx;

	xst_write_str(fd, BASE "/abort/a", "kept", 4);
	tx = tx_start(fd);
	tx_write(fd, tx, BASE "/abort/a", "changed");
	tx_write(fd, tx, BASE "/abort/new", "1");
	xst_rpc_tx(fd, XS_MKDIR, tx, S(BASE "/abort/dir"), XS_MKDIR, OK_REPLY);
	tx_end(fd, tx, "F", NULL);
	xst_read_expect(fd, BASE "/abort/a", "kept", 4);
	xst_dir_expect(fd, BASE "/abort", S("a"));
	/* the id is gone */
	tx_read_err(fd, tx, BASE "/abort/a", "ENOENT");
	xst_rm(fd, BASE "/abort");
	close(fd);
}

/* A node the transaction read changes meanwhile: the commit fails. */
static void commit_after_conflicting_write_fails_with_eagain(void)
{
	int fd = xst_open(0), other = xst_open(0);
	uint32_t tx;

	xst_write_str(fd, BASE "/conflict/x", "1", 1);
	tx = tx_start(fd);
	tx_read(fd, tx, BASE "/conflict/x", "1");
	tx_write(fd, tx, BASE "/conflict/x", "2");
	tx_write(fd, tx, BASE "/conflict/y", "from tx");
	xst_write_str(other, BASE "/conflict/x", "other", 5);
	tx_end(fd, tx, "T", "EAGAIN");
	xst_read_expect(fd, BASE "/conflict/x", "other", 5);
	xst_read_err(fd, BASE "/conflict/y", "ENOENT");
	/* the transaction is over after a failed commit */
	tx_read_err(fd, tx, BASE "/conflict/x", "ENOENT");
	tx_end(fd, tx, "F", "ENOENT");
	xst_rm(fd, BASE "/conflict");
	close(other);
	close(fd);
}

static void unknown_transaction_id_is_enoent(void)
{
	int fd = xst_open(0), other = xst_open(0);
	uint32_t tx;

	xst_write_str(fd, BASE "/unknown", "v", 1);
	tx_read_err(fd, 0x12345678, BASE "/unknown", "ENOENT");
	xst_rpc_tx(fd, XS_WRITE, 0xfffffffe, S(BASE "/unknown\0w") - 1,
		   XS_ERROR, S("ENOENT"));
	tx_end(fd, 0x12345678, "T", "ENOENT");
	tx_end(fd, 0, "T", "ENOENT");
	/* ids belong to the connection that started them */
	tx = tx_start(fd);
	tx_read_err(other, tx, BASE "/unknown", "ENOENT");
	tx_end(other, tx, "F", "ENOENT");
	tx_read(fd, tx, BASE "/unknown", "v");
	tx_end(fd, tx, "F", NULL);
	xst_read_expect(fd, BASE "/unknown", "v", 1);
	xst_rm(fd, BASE "/unknown");
	close(other);
	close(fd);
}

static void transaction_end_takes_only_t_or_f(void)
{
	static const char *const bad[] = { "X", "", "TT", "t", "f", "TF" };
	int fd = xst_open(0);
	uint32_t tx = tx_start(fd);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		tx_end(fd, tx, bad[i], "EINVAL");
	xst_rpc_tx(fd, XS_TRANSACTION_END, tx, "T", 1, XS_ERROR, S("EINVAL"));
	xst_rpc_tx(fd, XS_TRANSACTION_END, tx, NULL, 0, XS_ERROR, S("EINVAL"));
	/* still open after the refusals */
	tx_write(fd, tx, BASE "/endarg", "1");
	tx_end(fd, tx, "T", NULL);
	xst_read_expect(fd, BASE "/endarg", "1", 1);
	xst_rm(fd, BASE "/endarg");
	close(fd);
}

static void transaction_start_inside_transaction_is_ebusy(void)
{
	int fd = xst_open(0);
	uint32_t tx = tx_start(fd);

	xst_rpc_tx(fd, XS_TRANSACTION_START, tx, S(""), XS_ERROR, S("EBUSY"));
	tx_end(fd, tx, "F", NULL);
	close(fd);
}

/* Closing a file aborts its open transactions. */
static void closing_file_aborts_its_transactions(void)
{
	int fd = xst_open(0), other = xst_open(0);
	uint32_t tx = tx_start(fd);

	tx_write(fd, tx, BASE "/closed/never", "1");
	close(fd);
	xst_read_err(other, BASE "/closed/never", "ENOENT");
	xst_read_err(other, BASE "/closed", "ENOENT");
	/* a new file does not inherit it either */
	fd = xst_open(0);
	tx_read_err(fd, tx, BASE "/closed/never", "ENOENT");
	close(fd);
	close(other);
}

/*
 * One read-modify-write of the decimal counter at @path in a transaction;
 * returns 1 if the commit failed with EAGAIN (to retry), 0 if it
 * committed.
 */
static int increment_once(int fd, const char *path)
{
	static struct xst_msg m;
	char buf[64];
	uint32_t tx = tx_start(fd);
	unsigned long v;
	size_t pl = strlen(path) + 1;

	xst_call(fd, XS_READ, tx, path, pl, &m);
	CHECK(m.hdr.type == XS_READ, "READ %s in tx: %s %s", path,
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	m.body[m.hdr.len] = 0;
	v = strtoul((char *)m.body, NULL, 10);
	memcpy(buf, path, pl);
	pl += snprintf(buf + pl, sizeof(buf) - pl, "%lu", v + 1);
	xst_call(fd, XS_WRITE, tx, buf, pl, &m);
	CHECK(m.hdr.type == XS_WRITE, "WRITE in tx: %s %s",
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	xst_call(fd, XS_TRANSACTION_END, tx, S("T"), &m);
	if (m.hdr.type == XS_ERROR && !strcmp((char *)m.body, "EAGAIN"))
		return 1;
	CHECK(m.hdr.type == XS_TRANSACTION_END, "END T: %s %s",
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	return 0;
}

/* Run @fn(i) in @n child processes; fail unless each exits 0. */
static void in_processes(int n, int (*fn)(int i))
{
	pid_t pids[16];
	int i, st;

	for (i = 0; i < n; i++) {
		pids[i] = fork();
		CHECK(pids[i] >= 0, "fork: %s", strerror(errno));
		if (!pids[i])
			_exit(fn(i));
	}
	for (i = 0; i < n; i++) {
		CHECK(waitpid(pids[i], &st, 0) == pids[i], "waitpid");
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "process %d: status %#x", i, st);
	}
}

/* Create @path in a transaction; returns 1 on EAGAIN, 0 on commit. */
static int create_once(int fd, const char *path)
{
	static struct xst_msg m;
	uint32_t tx = tx_start(fd);

	tx_write(fd, tx, path, "new");
	xst_call(fd, XS_TRANSACTION_END, tx, S("T"), &m);
	if (m.hdr.type == XS_ERROR && !strcmp((char *)m.body, "EAGAIN"))
		return 1;
	CHECK(m.hdr.type == XS_TRANSACTION_END, "END T: %s %s",
	      xst_type_name(m.hdr.type), xst_esc(m.body, m.hdr.len));
	return 0;
}

enum { PROCS = 4, INCREMENTS = 40 };

static int counter_process(int i)
{
	int fd = xst_open(0), n, retries = 0;

	(void)i;
	for (n = 0; n < INCREMENTS; n++)
		while (increment_once(fd, BASE "/counter/value"))
			retries++;
	printf("process %d: %d increments, %d retries after EAGAIN\n", i,
	       INCREMENTS, retries);
	close(fd);
	return 0;
}

/* N processes x M read-increment-write transactions: exactly N x M. */
static void concurrent_increments_retried_on_eagain_add_up(void)
{
	int fd = xst_open(0);

	xst_write_str(fd, BASE "/counter/value", "0", 1);
	in_processes(PROCS, counter_process);
	xst_read_expect(fd, BASE "/counter/value",
			xst_fmt("%d", PROCS * INCREMENTS),
			strlen(xst_fmt("%d", PROCS * INCREMENTS)));
	xst_rm(fd, BASE "/counter");
	close(fd);
}

static int disjoint_process(int i)
{
	int fd = xst_open(0), n;
	const char *counter = xst_fmt(BASE "/disjoint/p%d/value", i);
	char path[128];

	for (n = 0; n < INCREMENTS; n++) {
		/* New nodes under the shared parent and its own counter. */
		snprintf(path, sizeof(path), BASE "/disjoint/p%d-n%d", i, n);
		if (increment_once(fd, counter) || create_once(fd, path)) {
			printf("process %d: EAGAIN at transaction %d\n", i,
			       n);
			return 1;
		}
	}
	close(fd);
	return 0;
}

/*
 * Transactions on disjoint subtrees (creating siblings under one parent
 * included) never fail each other.
 */
static void disjoint_transactions_never_see_eagain(void)
{
	int fd = xst_open(0), i;

	for (i = 0; i < 2; i++)
		xst_write_str(fd, xst_fmt(BASE "/disjoint/p%d/value", i), "0",
			      1);
	in_processes(2, disjoint_process);
	for (i = 0; i < 2; i++)
		xst_read_expect(fd, xst_fmt(BASE "/disjoint/p%d/value", i),
				xst_fmt("%d", INCREMENTS),
				strlen(xst_fmt("%d", INCREMENTS)));
	xst_rm(fd, BASE "/disjoint");
	close(fd);
}

static volatile int atomic_stop;
static char atomic_bad[256];

/* DIRECTORY of the parent must always show exactly one of a and b. */
static void *atomic_reader(void *arg)
{
	static const char dir[] = BASE "/atomic";
	int fd = xst_open(0);
	struct xst_msg *m = malloc(sizeof(*m));
	long reads = 0;

	(void)arg;
	while (m && !atomic_stop && !atomic_bad[0]) {
		xst_call(fd, XS_DIRECTORY, 0, dir, sizeof(dir), m);
		if (m->hdr.type != XS_DIRECTORY ||
		    (m->hdr.len != 2) || (m->body[0] != 'a' &&
					  m->body[0] != 'b'))
			snprintf(atomic_bad, sizeof(atomic_bad),
				 "after %ld reads: DIRECTORY got %s %s", reads,
				 xst_type_name(m->hdr.type),
				 xst_esc(m->body, m->hdr.len));
		reads++;
	}
	free(m);
	close(fd);
	return NULL;
}

/*
 * A transaction that removes one child and creates another is seen whole
 * or not at all by readers on the other vCPU.
 */
static void commit_is_atomic_for_readers(void)
{
	int fd = xst_open(0), i;
	long long end = xst_now_ms() + 3000;
	pthread_t rd[2];

	xst_write_str(fd, BASE "/atomic/a", "", 0);
	atomic_stop = 0;
	atomic_bad[0] = 0;
	for (i = 0; i < 2; i++)
		CHECK(!pthread_create(&rd[i], NULL, atomic_reader, NULL),
		      "pthread_create");
	for (i = 0; xst_now_ms() < end && !atomic_bad[0]; i++) {
		const char *from = i & 1 ? "b" : "a", *to = i & 1 ? "a" : "b";
		uint32_t tx = tx_start(fd);
		char p[128];

		snprintf(p, sizeof(p), BASE "/atomic/%s", from);
		xst_rpc_tx(fd, XS_RM, tx, p, strlen(p) + 1, XS_RM, OK_REPLY);
		snprintf(p, sizeof(p), BASE "/atomic/%s", to);
		tx_write(fd, tx, p, "");
		tx_end(fd, tx, "T", NULL);
	}
	atomic_stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(rd[i], NULL);
	CHECK(!atomic_bad[0], "%s", atomic_bad);
	printf("%d commits\n", i);
	xst_rm(fd, BASE "/atomic");
	close(fd);
}

/*
 * Paths of up to 1525 components in a transaction: each step along one
 * used to ask again about every ancestor (cubic in the depth: a minute
 * for one READ under TCG, every other request waiting), so the case's
 * time limit is what fails here.
 */
static void deep_paths_in_a_transaction_are_answered(void)
{
	static char path[4096], buf[4096];
	const char *top = BASE "/deep";
	int d0 = xst_open(0), g;
	size_t pl;
	uint32_t tx;

	xst_rm_any(d0, top);
	/* 3057 bytes: "/kxs-test/tx/deep" and 1520 "/c" (3072 at most) */
	xst_deep_path(path, top, 1520);
	tx = tx_start(d0);
	tx_read_err(d0, tx, path, "ENOENT");
	xst_rpc_tx(d0, XS_GET_PERMS, tx, path, strlen(path) + 1, XS_ERROR,
		   S("ENOENT"));
	pl = strlen(path) + 1;
	memcpy(buf, path, pl);
	memcpy(buf + pl, "deep", 4);
	xst_rpc_tx(d0, XS_WRITE, tx, buf, pl + 4, XS_WRITE, OK_REPLY);
	tx_read(d0, tx, path, "deep");
	tx_end(d0, tx, "T", NULL);
	xst_read_expect(d0, path, "deep", 4);
	/* A missing tail below a deep existing path. */
	strcat(path, "/x/y/z");
	tx = tx_start(d0);
	tx_read_err(d0, tx, path, "ENOENT");
	tx_end(d0, tx, "F", NULL);
	xst_rm(d0, top);

	/* A guest, relative: 900 components below its home. */
	xst_rm_any(d0, xst_home(71));
	xst_mkdir(d0, xst_home(71));
	xst_rpc(d0, XS_SET_PERMS, XST_STRS(xst_home(71), "n71")->b,
		strlen(xst_home(71)) + 5, XS_SET_PERMS, OK_REPLY);
	g = xst_open_domain(71);
	xst_deep_path(path, "d", 900);
	tx = tx_start(g);
	tx_read_err(g, tx, path, "ENOENT");
	tx_end(g, tx, "F", NULL);
	close(g);
	xst_rm(d0, xst_home(71));
	close(d0);
}

static const struct xst_case cases[] = {
	{ "deep-paths-in-a-transaction-are-answered",
	  deep_paths_in_a_transaction_are_answered },
	{ "transaction-start-returns-distinct-decimal-ids",
	  transaction_start_returns_distinct_decimal_ids },
	{ "transaction-is-isolated-until-commit",
	  transaction_is_isolated_until_commit },
	{ "aborted-transaction-changes-nothing",
	  aborted_transaction_changes_nothing },
	{ "commit-after-conflicting-write-fails-with-eagain",
	  commit_after_conflicting_write_fails_with_eagain },
	{ "unknown-transaction-id-is-enoent",
	  unknown_transaction_id_is_enoent },
	{ "transaction-end-takes-only-t-or-f",
	  transaction_end_takes_only_t_or_f },
	{ "transaction-start-inside-transaction-is-ebusy",
	  transaction_start_inside_transaction_is_ebusy },
	{ "closing-file-aborts-its-transactions",
	  closing_file_aborts_its_transactions },
	{ "concurrent-increments-retried-on-eagain-add-up",
	  concurrent_increments_retried_on_eagain_add_up },
	{ "disjoint-transactions-never-see-eagain",
	  disjoint_transactions_never_see_eagain },
	{ "commit-is-atomic-for-readers", commit_is_atomic_for_readers },
};

int main(int argc, char **argv)
{
	return xst_main(argc, argv, cases, ARRAY_SIZE(cases));
}
