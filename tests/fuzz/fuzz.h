/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the libFuzzer targets in tests/fuzz/ share: checks of the text our
 * printers produce, which abort() (a crash libFuzzer reports and keeps)
 * when the text is not what rsttrace promises its readers.
 */
#ifndef __FUZZ_H
#define __FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry points, declared for -Wmissing-prototypes */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Abort with @what and the offending text when @ok is false. */
void fuzz__require(bool ok, const char *what, const char *text, size_t n);

/* Whether @s[0..@n) is valid UTF-8 (no overlongs, no surrogates). */
bool fuzz__utf8(const char *s, size_t n);

/*
 * Each '\n'-terminated line of @s[0..@n) is one JSON text (RFC 8259) in
 * valid UTF-8, and the last line is terminated: aborts otherwise.
 */
void fuzz__check_json_lines(const char *s, size_t n);

/*
 * Each line of a table is valid UTF-8 with no control character but the
 * '\n' that ends it: what the escapers promise a terminal. Aborts
 * otherwise.
 */
void fuzz__check_table_lines(const char *s, size_t n);

/*
 * Up to @max NUL-terminated strings cut from @data at each @sep (a
 * fresh copy in *@copy, to free()); returns how many.
 */
size_t fuzz__split(const uint8_t *data, size_t size, char sep, char **out,
		   size_t max, char **copy);

struct reasons;
struct ksyms;

/* This kernel's enum sk_rst_reason names (6.18), built once. */
const struct reasons *fuzz__reasons(void);

/*
 * A few kernel symbols that inference and --kstack look for, from
 * FUZZ_KSYM_BASE up, FUZZ_KSYM_STEP apart; built once.
 */
#define FUZZ_KSYM_BASE 0xffffffff81000000ull
#define FUZZ_KSYM_STEP 0x100
const struct ksyms *fuzz__ksyms(void);

#endif /* __FUZZ_H */
