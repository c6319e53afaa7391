// SPDX-License-Identifier: GPL-2.0
/*
 * xs-req: send one request and print its reply, for the shell tests.
 *
 *   xs-req [-d DEVICE] read|directory|mkdir|rm|get-perms PATH
 *   xs-req [-d DEVICE] get-quota NAME
 *   xs-req [-d DEVICE] write PATH VALUE
 *
 * prints "<REPLY TYPE> <payload>" with NUL bytes shown as \0 and other
 * unprintable bytes as \xNN, e.g. "READ hello", "ERROR ENOENT\0".
 * DEVICE defaults to $XENSTORED_PATH, then /dev/xen/xenbus.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/xstest.h"

static const struct {
	const char *name;
	uint32_t type;
	int args;
} ops[] = {
	{ "read", XS_READ, 1 },
	{ "directory", XS_DIRECTORY, 1 },
	{ "mkdir", XS_MKDIR, 1 },
	{ "rm", XS_RM, 1 },
	{ "write", XS_WRITE, 2 },
	{ "get-perms", XS_GET_PERMS, 1 },
	{ "get-quota", 25 /* GET_QUOTA */, 1 },
};

static noreturn void usage(void)
{
	fprintf(stderr, "usage: xs-req [-d DEVICE] read|directory|mkdir|rm|get-perms PATH\n"
		"       xs-req [-d DEVICE] get-quota NAME\n"
		"       xs-req [-d DEVICE] write PATH VALUE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static unsigned char payload[XST_PAYLOAD_MAX];
	static struct xst_msg m;
	const char *dev = xst_dev_path();
	size_t i, n, plen;
	uint32_t i_op;
	int fd;

	if (argc > 2 && !strcmp(argv[1], "-d")) {
		dev = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc < 3)
		usage();
	for (i_op = 0; i_op < ARRAY_SIZE(ops); i_op++)
		if (!strcmp(argv[1], ops[i_op].name))
			break;
	if (i_op == ARRAY_SIZE(ops) ||
	    argc != 2 + ops[i_op].args)
		usage();
	plen = strlen(argv[2]) + 1;
	if (plen > sizeof(payload))
		usage();
	memcpy(payload, argv[2], plen);
	if (ops[i_op].args == 2) {
		n = strlen(argv[3]);
		if (plen + n > sizeof(payload))
			usage();
		memcpy(payload + plen, argv[3], n);
		plen += n;
	}
	fd = xst_open_path(dev, 0);
	xst_send(fd, ops[i_op].type, 1, 0, payload, plen);
	xst_recv(fd, &m);
	CHECK(m.hdr.req_id == 1 && m.hdr.tx_id == 0, "reply ids %#x %#x",
	      m.hdr.req_id, m.hdr.tx_id);
	printf("%s ", xst_type_name(m.hdr.type));
	for (i = 0; i < m.hdr.len; i++) {
		unsigned char c = m.body[i];

		if (!c)
			printf("\\0");
		else if (c < 0x20 || c >= 0x7f || c == '\\')
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('\n');
	close(fd);
	return 0;
}
