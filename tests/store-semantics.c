// SPDX-License-Identifier: GPL-2.0
/*
 * The meaning of READ, WRITE, MKDIR, RM and DIRECTORY, checked byte for
 * byte on the wire.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/xstest.h"

#define BASE "/kxs-test/semantics"

static void write_then_read_returns_value(void)
{
	int fd = xst_open(0);

	xst_rpc(fd, XS_WRITE, S(BASE "/rw/key\0hello") - 1, XS_WRITE,
		S("OK"));
	xst_rpc(fd, XS_READ, S(BASE "/rw/key"), XS_READ, "hello", 5);
	/* overwrite with a shorter and then a longer value */
	xst_write_str(fd, BASE "/rw/key", "hi", 2);
	xst_read_expect(fd, BASE "/rw/key", "hi", 2);
	xst_write_str(fd, BASE "/rw/key", "a longer value", 14);
	xst_read_expect(fd, BASE "/rw/key", "a longer value", 14);
	xst_rm(fd, BASE "/rw");
	close(fd);
}

static void write_creates_missing_parents_with_empty_values(void)
{
	int fd = xst_open(0);

	xst_read_err(fd, BASE "/wp", "ENOENT");
	xst_write_str(fd, BASE "/wp/a/b/c", "leaf", 4);
	xst_read_expect(fd, BASE "/wp", "", 0);
	xst_read_expect(fd, BASE "/wp/a", "", 0);
	xst_read_expect(fd, BASE "/wp/a/b", "", 0);
	xst_read_expect(fd, BASE "/wp/a/b/c", "leaf", 4);
	xst_dir_expect(fd, BASE "/wp", S("a"));
	xst_dir_expect(fd, BASE "/wp/a", S("b"));
	xst_dir_expect(fd, BASE "/wp/a/b", S("c"));
	xst_dir_expect(fd, BASE "/wp/a/b/c", "", 0);
	/* writing below an existing node keeps that node's value */
	xst_write_str(fd, BASE "/wp/a/b/c/d", "deeper", 6);
	xst_read_expect(fd, BASE "/wp/a/b/c", "leaf", 4);
	xst_rm(fd, BASE "/wp");
	close(fd);
}

static void values_are_binary_safe(void)
{
	static const unsigned char bin[] = {
		0, 1, 2, 0, 0xff, 0xfe, 'a', 0, '\n', 0x80, 0x7f, 0,
	};
	unsigned char all[256];
	int fd = xst_open(0), i;

	xst_write_str(fd, BASE "/bin/nuls", bin, sizeof(bin));
	xst_read_expect(fd, BASE "/bin/nuls", bin, sizeof(bin));
	xst_write_str(fd, BASE "/bin/one-nul", "", 1);
	xst_read_expect(fd, BASE "/bin/one-nul", "", 1);
	xst_write_str(fd, BASE "/bin/trailing-nul", "abc", 4);
	xst_read_expect(fd, BASE "/bin/trailing-nul", "abc", 4);
	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	xst_write_str(fd, BASE "/bin/all-bytes", all, sizeof(all));
	xst_read_expect(fd, BASE "/bin/all-bytes", all, sizeof(all));
	/* empty value */
	xst_rpc(fd, XS_WRITE, S(BASE "/bin/empty"), XS_WRITE, OK_REPLY);
	xst_read_expect(fd, BASE "/bin/empty", "", 0);
	/* a value that looks like a path list is just bytes */
	xst_write_str(fd, BASE "/bin/looks", "x\0y\0", 4);
	xst_read_expect(fd, BASE "/bin/looks", "x\0y\0", 4);
	xst_dir_expect(fd, BASE "/bin/looks", "", 0);
	xst_rm(fd, BASE "/bin");
	close(fd);
}

static void read_of_missing_node_is_enoent(void)
{
	int fd = xst_open(0);

	xst_read_err(fd, BASE "/missing", "ENOENT");
	xst_read_err(fd, BASE "/missing/below/missing", "ENOENT");
	xst_mkdir(fd, BASE "/present");
	xst_read_err(fd, BASE "/present/missing", "ENOENT");
	xst_rm(fd, BASE "/present");
	close(fd);
}

static void read_of_root_is_empty(void)
{
	int fd = xst_open(0);

	xst_read_expect(fd, "/", "", 0);
	close(fd);
}

static void mkdir_creates_empty_node_and_parents(void)
{
	int fd = xst_open(0);

	xst_read_err(fd, BASE "/mk", "ENOENT");
	xst_rpc(fd, XS_MKDIR, S(BASE "/mk/a/b"), XS_MKDIR, S("OK"));
	xst_read_expect(fd, BASE "/mk", "", 0);
	xst_read_expect(fd, BASE "/mk/a", "", 0);
	xst_read_expect(fd, BASE "/mk/a/b", "", 0);
	xst_dir_expect(fd, BASE "/mk/a", S("b"));
	xst_dir_expect(fd, BASE "/mk/a/b", "", 0);
	xst_rm(fd, BASE "/mk");
	close(fd);
}

static void mkdir_is_idempotent_and_keeps_value(void)
{
	int fd = xst_open(0);

	xst_write_str(fd, BASE "/mki/a/b", "kept", 4);
	xst_write_str(fd, BASE "/mki/a", "parent", 6);
	xst_mkdir(fd, BASE "/mki/a/b");
	xst_mkdir(fd, BASE "/mki/a/b");
	xst_mkdir(fd, BASE "/mki/a");
	xst_read_expect(fd, BASE "/mki/a/b", "kept", 4);
	xst_read_expect(fd, BASE "/mki/a", "parent", 6);
	xst_dir_expect(fd, BASE "/mki/a", S("b"));
	/* and below an existing node with a value */
	xst_mkdir(fd, BASE "/mki/a/b/c");
	xst_read_expect(fd, BASE "/mki/a/b", "kept", 4);
	xst_read_expect(fd, BASE "/mki/a/b/c", "", 0);
	xst_mkdir(fd, "/");
	xst_read_expect(fd, "/", "", 0);
	xst_rm(fd, BASE "/mki");
	close(fd);
}

static void rm_removes_subtree(void)
{
	int fd = xst_open(0);

	xst_write_str(fd, BASE "/rm/keep", "k", 1);
	xst_write_str(fd, BASE "/rm/gone/a/b", "1", 1);
	xst_write_str(fd, BASE "/rm/gone/c", "2", 1);
	xst_write_str(fd, BASE "/rm/gone-not", "3", 1);
	xst_rpc(fd, XS_RM, S(BASE "/rm/gone"), XS_RM, S("OK"));
	xst_read_err(fd, BASE "/rm/gone", "ENOENT");
	xst_read_err(fd, BASE "/rm/gone/a", "ENOENT");
	xst_read_err(fd, BASE "/rm/gone/a/b", "ENOENT");
	xst_read_err(fd, BASE "/rm/gone/c", "ENOENT");
	xst_rpc_err(fd, XS_DIRECTORY, S(BASE "/rm/gone"), "ENOENT");
	/* siblings, including one sharing the name prefix, survive */
	xst_read_expect(fd, BASE "/rm/keep", "k", 1);
	xst_read_expect(fd, BASE "/rm/gone-not", "3", 1);
	xst_dir_expect(fd, BASE "/rm", S("gone-not\0keep"));
	/* a removed node can be created again, empty of old children */
	xst_mkdir(fd, BASE "/rm/gone");
	xst_dir_expect(fd, BASE "/rm/gone", "", 0);
	xst_rm(fd, BASE "/rm");
	xst_read_err(fd, BASE "/rm", "ENOENT");
	close(fd);
}

static void rm_of_missing_node_with_existing_parent_succeeds(void)
{
	int fd = xst_open(0);

	xst_mkdir(fd, BASE "/rmm");
	xst_rpc(fd, XS_RM, S(BASE "/rmm/never-there"), XS_RM, S("OK"));
	xst_rpc(fd, XS_RM, S(BASE "/rmm/never-there"), XS_RM, S("OK"));
	xst_read_expect(fd, BASE "/rmm", "", 0);
	xst_dir_expect(fd, BASE "/rmm", "", 0);
	xst_rm(fd, BASE "/rmm");
	/* the node is gone now, its parent exists: still OK */
	xst_rm(fd, BASE "/rmm");
	close(fd);
}

static void rm_with_missing_parent_is_enoent(void)
{
	int fd = xst_open(0);

	xst_mkdir(fd, BASE);
	xst_rpc_err(fd, XS_RM, S(BASE "/no-parent/child"), "ENOENT");
	xst_rpc_err(fd, XS_RM, S(BASE "/no-parent/child/grandchild"),
		    "ENOENT");
	xst_read_err(fd, BASE "/no-parent", "ENOENT");
	close(fd);
}

/*
 * Children are listed by leaf name, each NUL-terminated, in byte order
 * whatever the order of creation.
 */
static void directory_lists_children_sorted(void)
{
	static const char *const names[] = {
		"b", "a", "c", "aa", "B", "_", "-", "9", "@x", "ab", "a0",
		"Zz", "z",
	};
	static const char sorted[] =
		"-\0" "9\0" "@x\0" "B\0" "Zz\0" "_\0" "a\0" "a0\0" "aa\0"
		"ab\0" "b\0" "c\0" "z";
	char p[128];
	int fd = xst_open(0);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(p, sizeof(p), BASE "/dir/%s", names[i]);
		xst_write_str(fd, p, names[i], strlen(names[i]));
	}
	/* grandchildren are not listed */
	xst_mkdir(fd, BASE "/dir/a/deep");
	xst_rpc(fd, XS_DIRECTORY, S(BASE "/dir"), XS_DIRECTORY, S(sorted));
	xst_dir_expect(fd, BASE "/dir/a", S("deep"));
	xst_rm(fd, BASE "/dir");
	close(fd);
}

static void directory_of_leaf_is_empty(void)
{
	int fd = xst_open(0);

	xst_write_str(fd, BASE "/leaf", "value", 5);
	xst_rpc(fd, XS_DIRECTORY, S(BASE "/leaf"), XS_DIRECTORY, "", 0);
	xst_rm(fd, BASE "/leaf");
	close(fd);
}

static void directory_of_missing_node_is_enoent(void)
{
	int fd = xst_open(0);

	xst_rpc_err(fd, XS_DIRECTORY, S(BASE "/nodir"), "ENOENT");
	xst_rpc_err(fd, XS_DIRECTORY, S(BASE "/nodir/below"), "ENOENT");
	close(fd);
}

/* "/" lists the top-level nodes, among them this test's "kxs-test". */
static void directory_of_root_lists_top_level_nodes(void)
{
	static struct xst_msg m;
	int fd = xst_open(0);
	uint32_t id = xst_next_req_id();
	const char *prev = NULL;
	size_t off = 0;
	int found = 0;

	xst_mkdir(fd, BASE);
	xst_send(fd, XS_DIRECTORY, id, 0, S("/"));
	xst_recv(fd, &m);
	CHECK(m.hdr.type == XS_DIRECTORY && m.hdr.req_id == id,
	      "DIRECTORY / got %s %s", xst_type_name(m.hdr.type),
	      xst_esc(m.body, m.hdr.len));
	CHECK(m.hdr.len > 0 && m.body[m.hdr.len - 1] == 0,
	      "list %s is not NUL-terminated", xst_esc(m.body, m.hdr.len));
	while (off < m.hdr.len) {
		const char *name = (const char *)m.body + off;

		CHECK(*name, "empty name in %s", xst_esc(m.body, m.hdr.len));
		CHECK(!strchr(name, '/'), "name %s has a slash", name);
		CHECK(!prev || strcmp(prev, name) < 0, "%s listed after %s",
		      name, prev);
		found |= !strcmp(name, "kxs-test");
		prev = name;
		off += strlen(name) + 1;
	}
	CHECK(found, "kxs-test missing from %s", xst_esc(m.body, m.hdr.len));
	close(fd);
}

/* Paths without a leading / name nodes below /local/domain/0. */
static void relative_paths_resolve_under_local_domain_0(void)
{
	int fd = xst_open(0);

	xst_write_str(fd, "kxs-test-rel/a", "rel", 3);
	xst_read_expect(fd, "/local/domain/0/kxs-test-rel/a", "rel", 3);
	xst_read_expect(fd, "kxs-test-rel/a", "rel", 3);
	xst_write_str(fd, "/local/domain/0/kxs-test-rel/b", "abs", 3);
	xst_read_expect(fd, "kxs-test-rel/b", "abs", 3);
	xst_dir_expect(fd, "kxs-test-rel", S("a\0b"));
	xst_mkdir(fd, "kxs-test-rel/c");
	xst_read_expect(fd, "/local/domain/0/kxs-test-rel/c", "", 0);
	xst_rm(fd, "kxs-test-rel/a");
	xst_read_err(fd, "/local/domain/0/kxs-test-rel/a", "ENOENT");
	xst_dir_expect(fd, "/local/domain/0/kxs-test-rel", S("b\0c"));
	xst_rm(fd, "kxs-test-rel");
	xst_read_err(fd, "/local/domain/0/kxs-test-rel", "ENOENT");
	close(fd);
}

/* What one connection writes, another one reads at once. */
static void connections_share_one_store(void)
{
	int fd1 = xst_open(0), fd2 = xst_open(0);

	xst_write_str(fd1, BASE "/shared", "from fd1", 8);
	xst_read_expect(fd2, BASE "/shared", "from fd1", 8);
	xst_write_str(fd2, BASE "/shared", "from fd2", 8);
	xst_read_expect(fd1, BASE "/shared", "from fd2", 8);
	xst_rm(fd2, BASE "/shared");
	xst_read_err(fd1, BASE "/shared", "ENOENT");
	close(fd1);
	close(fd2);
}

static const struct xst_case cases[] = {
	{ "write-then-read-returns-value", write_then_read_returns_value },
	{ "write-creates-missing-parents-with-empty-values",
	  write_creates_missing_parents_with_empty_values },
	{ "values-are-binary-safe", values_are_binary_safe },
	{ "read-of-missing-node-is-enoent", read_of_missing_node_is_enoent },
	{ "read-of-root-is-empty", read_of_root_is_empty },
	{ "mkdir-creates-empty-node-and-parents",
	  mkdir_creates_empty_node_and_parents },
	{ "mkdir-is-idempotent-and-keeps-value",
	  mkdir_is_idempotent_and_keeps_value },
	{ "rm-removes-subtree", rm_removes_subtree },
	{ "rm-of-missing-node-with-existing-parent-succeeds",
	  rm_of_missing_node_with_existing_parent_succeeds },
	{ "rm-with-missing-parent-is-enoent",
	  rm_with_missing_parent_is_enoent },
	{ "directory-lists-children-sorted", directory_lists_children_sorted },
	{ "directory-of-leaf-is-empty", directory_of_leaf_is_empty },
	{ "directory-of-missing-node-is-enoent",
	  directory_of_missing_node_is_enoent },
	{ "directory-of-root-lists-top-level-nodes",
	  directory_of_root_lists_top_level_nodes },
	{ "relative-paths-resolve-under-local-domain-0",
	  relative_paths_resolve_under_local_domain_0 },
	{ "connections-share-one-store", connections_share_one_store },
};

int main(int argc, char **argv)
{
	return xst_main(argc, argv, cases, ARRAY_SIZE(cases));
}
