/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Kernel text symbols from /proc/kallsyms, for turning the return addresses
 * of --kstack into "tcp_reset+0x1a".
 */
#ifndef __KSYMS_H
#define __KSYMS_H

#include <stddef.h>
#include <stdint.h>

struct ksyms;

/*
 * Load the text symbols (types t, T, w, W) of /proc/kallsyms. NULL with
 * errno set on failure: EPERM when every address reads as 0 (kptr_restrict,
 * or not privileged), ENOENT when there are no text symbols at all.
 */
struct ksyms *ksyms__load(void);
/* The same from a file in kallsyms format (tests). */
struct ksyms *ksyms__load_file(const char *path);
/* The same from @len bytes of kallsyms text (tests, fuzzing). */
struct ksyms *ksyms__parse_text(const char *text, size_t len);
void ksyms__free(struct ksyms *ks);

size_t ksyms__count(const struct ksyms *ks);

/*
 * The symbol containing @addr: the one with the greatest start <= @addr
 * (the last one extends without bound, kallsyms gives no sizes). NULL when
 * @addr is below the first symbol or @ks is NULL. *@offset (if not NULL)
 * is set to @addr minus the start.
 */
const char *ksyms__find(const struct ksyms *ks, uint64_t addr,
			uint64_t *offset);
/* As ksyms__find(); *@module is the module's name, NULL for vmlinux. */
const char *ksyms__find_module(const struct ksyms *ks, uint64_t addr,
			       uint64_t *offset, const char **module);

/*
 * "tcp_reset+0x1a", "nft_reject_ipv4_eval+0x3c [nft_reject_ipv4]", or the
 * address in hex ("0xffffffff8201fd4a") when no symbol contains it. Always
 * NUL-terminated (truncated to @len), even when @ks is NULL.
 */
void ksyms__format(const struct ksyms *ks, uint64_t addr, char *buf,
		   size_t len);

#endif /* __KSYMS_H */
