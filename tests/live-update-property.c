// SPDX-License-Identifier: GPL-2.0
/*
 * oxenstored's live-update property through the real sysfs file: random
 * requests from several connections (the control domain and two guest
 * domains, with transactions and watches) run twice from the same start,
 * the second time with a checkpoint read from
 * /sys/module/kxenstore/checkpoint and written back between random
 * requests.  Every reply and every event must be the same.
 *
 * Transaction ids come from one counter for the whole store, so they are
 * compared by order of appearance.  Seeds: $KXS_PROP_SEEDS (default
 * "1 2 3"); a failure names the seed and the first request that differs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/xstest.h"

#define CKPT	"/sys/module/kxenstore/checkpoint"
#define NCONN	4
#define NOPS	200
#define G1	101
#define G2	102

static const char *const paths[] = {
	"data", "data/a", "data/a/b", "data/c", "/local/domain/101/data/a",
	"/local/domain/102/data", "/kxs-prop", "/kxs-prop/x", "/kxs-prop/x/y",
	"@releaseDomain",
};

struct transcript {
	char *buf;
	size_t len, size;
	size_t op_end[NOPS];
	uint32_t ids[64];	/* transaction ids, in order of appearance */
	unsigned int nids;
};

static void put(struct transcript *t, const void *p, size_t n)
{
	if (t->len + n > t->size) {
		t->size = 2 * (t->len + n);
		t->buf = realloc(t->buf, t->size);
		CHECK(t->buf, "out of memory");
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

/* A transaction id as its order of appearance in this run. */
static uint32_t tx_ord(struct transcript *t, uint32_t id)
{
	unsigned int i;

	if (!id)
		return 0;
	for (i = 0; i < t->nids; i++)
		if (t->ids[i] == id)
			return i + 1;
	CHECK(t->nids < 64, "too many transactions");
	t->ids[t->nids++] = id;
	return t->nids;
}

/* Everything queued on @fd, transaction ids made ordinal. */
static void drain(struct transcript *t, int fd, int idx, uint32_t *new_tx)
{
	char mark = 'A' + idx;

	put(t, &mark, 1);
	for (;;) {
		struct xsd_sockmsg h;
		char payload[XENSTORE_PAYLOAD_MAX + 1];
		ssize_t n = read(fd, &h, sizeof(h));

		if (n < 0 && errno == EAGAIN)
			return;
		CHECK(n == sizeof(h), "read header: %zd", n);
		xst_read_exact(fd, payload, h.len, 5000);
		payload[h.len] = '\0';
		h.req_id = 0;
		h.tx_id = tx_ord(t, h.tx_id);
		if (h.type == XS_TRANSACTION_START) {
			uint32_t id = strtoul(payload, NULL, 10);

			*new_tx = id;
			h.len = snprintf(payload, sizeof(payload), "T%u",
					 tx_ord(t, id)) + 1;
		}
		put(t, &h, sizeof(h));
		put(t, payload, h.len);
	}
}

/* The whole checkpoint file; its length in *@len. */
static char *read_checkpoint(size_t *len)
{
	size_t size = 1 << 20;
	char *buf = malloc(size);
	ssize_t n;
	int fd;

	CHECK(buf, "out of memory");
	*len = 0;
	fd = open(CKPT, O_RDONLY);
	CHECK(fd >= 0, "open %s: %m", CKPT);
	while ((n = read(fd, buf + *len, size - *len)) > 0) {
		*len += n;
		if (*len == size) {
			size *= 2;
			buf = realloc(buf, size);
			CHECK(buf, "out of memory");
		}
	}
	CHECK(n == 0, "read %s: %m", CKPT);
	close(fd);
	return buf;
}

/* Checkpoint, restore it, and check that the store is the same bytes. */
static void restore_via_sysfs(void)
{
	size_t len, len2, off, i;
	char *buf = read_checkpoint(&len), *again;
	ssize_t n;
	int fd;

	fd = open(CKPT, O_WRONLY);
	CHECK(fd >= 0, "open %s for writing: %m", CKPT);
	for (off = 0; off < len; off += n) {
		n = write(fd, buf + off, len - off);
		CHECK(n > 0, "restore at byte %zu of %zu: %m", off, len);
	}
	close(fd);
	again = read_checkpoint(&len2);
	for (i = 0; i < len && i < len2 && buf[i] == again[i]; i++)
		;
	CHECK(len == len2 && i == len,
	      "the restore changed the store: %zu and %zu bytes, first difference at %zu",
	      len, len2, i);
	free(again);
	free(buf);
}

static void setup(int d0)
{
	/* The control domain's relative paths are below /local/domain/0. */
	static const char *const tops[] = {
		"/kxs-prop", "/local/domain/0", "/local/domain/101",
		"/local/domain/102",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tops); i++) {
		struct xst_msg m;

		xst_call(d0, XS_RM, 0, tops[i], strlen(tops[i]) + 1, &m);
	}
	/* Its permissions outlive a run: back to the default. */
	xst_rpc(d0, XS_SET_PERMS, "@releaseDomain\0n0", 18, XS_SET_PERMS, "OK",
		3);
	xst_mkdir(d0, "/kxs-prop");
	xst_mkdir(d0, "/local/domain/101/data");
	xst_rpc(d0, XS_SET_PERMS, "/local/domain/101\0b101", 23, XS_SET_PERMS,
		"OK", 3);
	xst_rpc(d0, XS_SET_PERMS, "/local/domain/101/data\0b101", 28,
		XS_SET_PERMS, "OK", 3);
	xst_mkdir(d0, "/local/domain/102");
	xst_rpc(d0, XS_SET_PERMS, "/local/domain/102\0b102", 23, XS_SET_PERMS,
		"OK", 3);
}

static void run(unsigned int seed, bool restore, struct transcript *t)
{
	uint32_t txs[NCONN][4] = { };
	unsigned int rs = seed ^ 0x5a5a;
	int fd[NCONN], i, op;

	fd[0] = xst_open(0);
	setup(fd[0]);
	fd[1] = xst_open_domain(G1);
	fd[2] = xst_open_domain(G2);
	fd[3] = xst_open_domain(G1);
	for (i = 0; i < NCONN; i++)
		fcntl(fd[i], F_SETFL, O_NONBLOCK);
	srandom(seed);
	for (op = 0; op < NOPS; op++) {
		int ci = random() % NCONN;
		const char *path = paths[random() % 10];
		uint32_t tx = 0, kind = random() % 12, new_tx = 0;
		char req[256];
		size_t len;
		uint32_t type;

		if (random() % 3 == 0)
			tx = txs[ci][random() % 4];
		if (restore && rand_r(&rs) % 6 == 0) {
			if (getenv("KXS_PROP_TRACE"))
				printf("# B restore\n");
			restore_via_sysfs();
		}
		switch (kind) {
		case 0: case 1: case 2:
			type = XS_WRITE;
			len = snprintf(req, sizeof(req), "%s%cv%d", path, 0,
				       op);
			break;
		case 3:
			type = XS_READ;
			len = strlen(path) + 1;
			memcpy(req, path, len);
			break;
		case 4:
			type = XS_DIRECTORY;
			len = strlen(path) + 1;
			memcpy(req, path, len);
			break;
		case 5:
			type = XS_RM;
			len = strlen(path) + 1;
			memcpy(req, path, len);
			break;
		case 6:
			type = XS_SET_PERMS;
			len = snprintf(req, sizeof(req), "%s%cb%d%cr%ld", path,
				       0, ci ? (ci == 2 ? G2 : G1) : 0, 0,
				       random() % 3) + 1;
			break;
		case 7:
			type = XS_TRANSACTION_START;
			tx = 0;
			len = 1;
			req[0] = '\0';
			break;
		case 8:
			type = XS_TRANSACTION_END;
			len = 2;
			strcpy(req, random() % 4 ? "T" : "F");
			break;
		case 9:
		case 10:
			type = kind == 9 ? XS_WATCH : XS_UNWATCH;
			tx = 0;
			len = snprintf(req, sizeof(req), "%s%ctok%ld", path, 0,
				       random() % 2) + 1;
			break;
		default:
			type = XS_GET_PERMS;
			len = strlen(path) + 1;
			memcpy(req, path, len);
			break;
		}
		if (getenv("KXS_PROP_TRACE"))
			printf("# %c op %d conn %d tx %u type %u %s\n",
			       restore ? 'B' : 'A', op + 1, ci, tx_ord(t, tx),
			       type, xst_esc(req, len));
		xst_send(fd[ci], type, op + 1, tx, req, len);
		for (i = 0; i < NCONN; i++)
			drain(t, fd[i], i, i == ci ? &new_tx : &(uint32_t){ 0 });
		if (new_tx)
			txs[ci][tx_ord(t, new_tx) % 4] = new_tx;
		t->op_end[op] = t->len;
	}
	for (i = 0; i < NCONN; i++)
		close(fd[i]);
}

static void t_replies_are_the_same_with_restores_between_requests(void)
{
	const char *env = getenv("KXS_PROP_SEEDS");
	char *seeds = strdup(env ? env : "1 2 3"), *s, *save = NULL;

	CHECK(seeds, "out of memory");
	for (s = strtok_r(seeds, " ", &save); s;
	     s = strtok_r(NULL, " ", &save)) {
		unsigned int seed = strtoul(s, NULL, 0);
		struct transcript a = { }, b = { };
		int op;

		run(seed, false, &a);
		run(seed, true, &b);
		for (op = 0; op < NOPS; op++)
			if (a.op_end[op] != b.op_end[op] ||
			    memcmp(a.buf, b.buf, a.op_end[op]))
				break;
		if (op < NOPS) {
			size_t from = op ? a.op_end[op - 1] : 0;

			printf("without restores: %s\n",
			       xst_esc(a.buf + from, a.op_end[op] - from));
			printf("with restores:    %s\n",
			       xst_esc(b.buf + from, b.op_end[op] - from));
		}
		CHECK(op == NOPS, "seed %u: replies differ from request %d on",
		      seed, op + 1);
		printf("# seed %u: %d requests, %zu bytes of replies and events the same\n",
		       seed, NOPS, a.len);
		free(a.buf);
		free(b.buf);
	}
	free(seeds);
}

int main(int argc, char **argv)
{
	static const struct xst_case cases[] = {
		{ "replies-are-the-same-with-restores-between-requests",
		  t_replies_are_the_same_with_restores_between_requests },
	};

	return xst_main(argc, argv, cases, ARRAY_SIZE(cases));
}
