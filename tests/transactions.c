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

static const struct xst_case cases[] = {
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
};

int main(int argc, char **argv)
{
	return xst_main(argc, argv, cases, ARRAY_SIZE(cases));
}
