// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: path validation and resolution of relative paths.
 */
#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "path.h"

static char *kxs_test_path_buf(struct kunit *test)
{
	char *buf = kunit_kzalloc(test, KXS_PATH_BUF, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	return buf;
}

/* A string of @len characters: "/" then 'a's. */
static char *kxs_test_long_path(struct kunit *test, size_t len)
{
	char *p = kunit_kzalloc(test, len + 1, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 'a', len);
	p[0] = '/';
	return p;
}

static void kxs_path_accepts_canonical_absolute_paths(struct kunit *test)
{
	static const char * const good[] = {
		"/", "/a", "/a/b", "/local/domain/0/device/vif/0",
		"/A-Z_a-z_0-9@x", "/a/b@c/-/_",
	};
	char *out = kxs_test_path_buf(test);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		KUNIT_EXPECT_TRUE_MSG(test, kxs_path_valid(good[i]), "%s",
				      good[i]);
		KUNIT_EXPECT_EQ_MSG(test, kxs_path_resolve(good[i], 0, out), 0,
				    "%s", good[i]);
		KUNIT_EXPECT_STREQ(test, out, good[i]);
	}
}

static void kxs_path_rejects_malformed_paths(struct kunit *test)
{
	static const char * const bad[] = {
		"", "//", "/a/", "/a//b", "a//b", "/a b", "/a.b", "/a:b",
		"/a\\b", "/\xe4", "/a\x01", "/a\x7f", "/\x80",
		"@introduceDomain", "@",
		"@releaseDomain/1", "rel/", "/a/b/",
	};
	char *out = kxs_test_path_buf(test);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ_MSG(test, kxs_path_resolve(bad[i], 0, out),
				    -EINVAL, "\"%s\"", bad[i]);
}

static void kxs_path_resolves_relative_paths_to_domain_home(struct kunit *test)
{
	char *out = kxs_test_path_buf(test);

	KUNIT_ASSERT_EQ(test, kxs_path_resolve("name", 0, out), 0);
	KUNIT_EXPECT_STREQ(test, out, "/local/domain/0/name");
	KUNIT_ASSERT_EQ(test, kxs_path_resolve("device/vbd/768", 7, out), 0);
	KUNIT_EXPECT_STREQ(test, out, "/local/domain/7/device/vbd/768");
	KUNIT_ASSERT_EQ(test, kxs_path_resolve("x", 65535, out), 0);
	KUNIT_EXPECT_STREQ(test, out, "/local/domain/65535/x");
}

static void kxs_path_limits_absolute_length(struct kunit *test)
{
	char *out = kxs_test_path_buf(test);
	char *longest = kxs_test_long_path(test, KXS_PATH_MAX);
	char *too_long = kxs_test_long_path(test, KXS_PATH_MAX + 1);

	KUNIT_EXPECT_EQ(test, kxs_path_resolve(longest, 0, out), 0);
	KUNIT_EXPECT_EQ(test, strlen(out), KXS_PATH_MAX);
	KUNIT_EXPECT_EQ(test, kxs_path_resolve(too_long, 0, out), -EINVAL);
	KUNIT_EXPECT_FALSE(test, kxs_path_valid(too_long));
}

static void kxs_path_limits_relative_length(struct kunit *test)
{
	char *out = kxs_test_path_buf(test);
	char *rel = kxs_test_long_path(test, KXS_REL_PATH_MAX + 1);

	rel[0] = 'a';
	KUNIT_EXPECT_EQ(test, kxs_path_resolve(rel, 3, out), -EINVAL);
	rel[KXS_REL_PATH_MAX] = '\0';
	KUNIT_EXPECT_EQ(test, kxs_path_resolve(rel, 3, out), 0);
	KUNIT_EXPECT_EQ(test, strlen(out),
			strlen("/local/domain/3/") + KXS_REL_PATH_MAX);
}

/* A checkpoint's child names: one component, valid characters. */
static void kxs_path_checks_names(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, kxs_path_name_valid("a-Z_9@", 6));
	KUNIT_EXPECT_TRUE(test, kxs_path_name_valid("ab/c", 2));
	KUNIT_EXPECT_FALSE(test, kxs_path_name_valid("", 0));
	KUNIT_EXPECT_FALSE(test, kxs_path_name_valid("a/b", 3));
	KUNIT_EXPECT_FALSE(test, kxs_path_name_valid("a b", 3));
	KUNIT_EXPECT_FALSE(test, kxs_path_name_valid("a.b", 3));
	KUNIT_EXPECT_FALSE(test, kxs_path_name_valid("\xe9", 1));
}

static struct kunit_case kxs_path_cases[] = {
	KUNIT_CASE(kxs_path_accepts_canonical_absolute_paths),
	KUNIT_CASE(kxs_path_rejects_malformed_paths),
	KUNIT_CASE(kxs_path_resolves_relative_paths_to_domain_home),
	KUNIT_CASE(kxs_path_limits_absolute_length),
	KUNIT_CASE(kxs_path_limits_relative_length),
	KUNIT_CASE(kxs_path_checks_names),
	{}
};

static struct kunit_suite kxs_path_suite = {
	.name = "kxenstore_path",
	.test_cases = kxs_path_cases,
};

kunit_test_suite(kxs_path_suite);
