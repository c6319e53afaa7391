/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The domain section of a checkpoint (checkpoint_domains.c).
 */
#ifndef _KXS_CHECKPOINT_DOMAINS_H
#define _KXS_CHECKPOINT_DOMAINS_H

#include <linux/types.h>

struct kxs_domains;
struct kxs_dsec;
struct kxs_sbuf;

int kxs_dsec_save(struct kxs_domains *d, u16 guest, struct kxs_sbuf *b);
struct kxs_dsec *kxs_dsec_parse(const u8 *p, size_t len);
int kxs_dsec_check(struct kxs_dsec *ds, struct kxs_domains *d);
int kxs_dsec_apply(struct kxs_dsec *ds, struct kxs_domains *d);
void kxs_dsec_free(struct kxs_dsec *ds);

#endif /* _KXS_CHECKPOINT_DOMAINS_H */
