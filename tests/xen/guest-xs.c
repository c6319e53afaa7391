// SPDX-License-Identifier: GPL-2.0
/*
 * guest-xs: what xenstore-utils cannot do, for the guests of
 * tests/xen/guests.sh (built statically against libxenstore by
 * scripts/xen/guest-image, /bin/guest-xs in the guest's initramfs).
 *
 * Usage: guest-xs [-t SECONDS] OP...
 *
 * The OPs run in order on one connection (libxenstore's xs_open: the
 * guest's /dev/xen/xenbus):
 *
 *   tx             start a transaction; read and write below use it
 *   read PATH      print PATH's value (in the transaction if one is open)
 *   write PATH V   write V to PATH (in the transaction if one is open)
 *   commit         end the transaction; print "commit ok" or
 *                  "commit ERRNO-NAME" (EAGAIN: a conflict)
 *   set PATH V     write V to PATH outside any transaction
 *   wait PATH V    poll PATH outside any transaction until it reads V
 *                  (up to -t SECONDS, default 600: a hang, not slowness)
 *   bench N PATH   N READs of PATH, then N WRITEs of "x" to it, one at a
 *                  time; print "read|write N p50 US us p99 US us min US us
 *                  max US us OPS ops/s" (microseconds a round trip)
 *
 * Exit status 0, or 1 with a message when an operation fails (a commit's
 * failure is printed, not an error), 2 on bad usage.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

static struct xs_handle *xs;
static xs_transaction_t tx = XBT_NULL;
static long timeout_s = 600;

static void die(const char *what, const char *path)
{
	fprintf(stderr, "guest-xs: %s %s: %s\n", what, path ? path : "",
		strerror(errno));
	exit(1);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static char *xread(xs_transaction_t t, const char *path)
{
	unsigned int len;

	return xs_read(xs, t, path, &len);
}

static void xwrite(xs_transaction_t t, const char *path, const char *v)
{
	if (!xs_write(xs, t, path, v, strlen(v)))
		die("write", path);
}

static const char *errno_name(int e)
{
	switch (e) {
	case EAGAIN: return "EAGAIN";
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case EBUSY: return "EBUSY";
	case ENOSPC: return "ENOSPC";
	default: return strerror(e);
	}
}

static void wait_for(const char *path, const char *want)
{
	double end = now_us() + timeout_s * 1e6;
	char *v;

	for (;;) {
		v = xread(XBT_NULL, path);
		if (v && !strcmp(v, want)) {
			free(v);
			return;
		}
		free(v);
		if (now_us() > end) {
			fprintf(stderr, "guest-xs: %s is not '%s' after %ld s\n",
				path, want, timeout_s);
			exit(1);
		}
		usleep(200000);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *op, double *t, int n)
{
	double sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += t[i];
	qsort(t, n, sizeof(*t), cmp_double);
	printf("%s %d p50 %.0f us p99 %.0f us min %.0f us max %.0f us %.1f ops/s\n",
	       op, n, t[n / 2], t[n * 99 / 100], t[0], t[n - 1],
	       sum > 0 ? n / (sum / 1e6) : 0);
	fflush(stdout);
}

static void bench(int n, const char *path)
{
	double *t = calloc(n, sizeof(*t)), t0;
	char *v;
	int i;

	if (!t)
		die("calloc", NULL);
	xwrite(XBT_NULL, path, "x");
	for (i = 0; i < n; i++) {
		t0 = now_us();
		v = xread(XBT_NULL, path);
		t[i] = now_us() - t0;
		if (!v)
			die("read", path);
		free(v);
	}
	report("read", t, n);
	for (i = 0; i < n; i++) {
		t0 = now_us();
		xwrite(XBT_NULL, path, "x");
		t[i] = now_us() - t0;
	}
	report("write", t, n);
	free(t);
}

static void usage(void)
{
	fprintf(stderr, "usage: guest-xs [-t SECONDS] OP... (see the source)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int i = 1;
	char *v;

	if (argc > 2 && !strcmp(argv[1], "-t")) {
		timeout_s = atol(argv[2]);
		i = 3;
	}
	if (i >= argc)
		usage();
	xs = xs_open(0);
	if (!xs)
		die("xs_open", NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (i < argc) {
		const char *op = argv[i++];
		int left = argc - i;

		if (!strcmp(op, "tx")) {
			tx = xs_transaction_start(xs);
			if (tx == XBT_NULL)
				die("transaction start", NULL);
		} else if (!strcmp(op, "read") && left >= 1) {
			v = xread(tx, argv[i]);
			if (!v)
				die("read", argv[i]);
			printf("%s\n", v);
			free(v);
			i++;
		} else if (!strcmp(op, "write") && left >= 2) {
			xwrite(tx, argv[i], argv[i + 1]);
			i += 2;
		} else if (!strcmp(op, "commit")) {
			bool ok = xs_transaction_end(xs, tx, false);

			printf("commit %s\n", ok ? "ok" : errno_name(errno));
			tx = XBT_NULL;
		} else if (!strcmp(op, "set") && left >= 2) {
			xwrite(XBT_NULL, argv[i], argv[i + 1]);
			i += 2;
		} else if (!strcmp(op, "wait") && left >= 2) {
			wait_for(argv[i], argv[i + 1]);
			i += 2;
		} else if (!strcmp(op, "bench") && left >= 2) {
			int n = atoi(argv[i]);

			if (n < 1)
				usage();
			bench(n, argv[i + 1]);
			i += 2;
		} else {
			usage();
		}
	}
	xs_close(xs);
	return 0;
}
