/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --summary: resets counted by (direction, cause, owner comm, local port)
 * over an interval, printed as a table or as one JSON line instead of one
 * line per reset.
 */
#ifndef __SUMMARY_H
#define __SUMMARY_H

#include <stddef.h>
#include <stdint.h>
#include "outbuf.h"
#include "args.h"
#include "record.h"

/*
 * Distinct keys one interval holds. Local ports alone can make 2 x 65536
 * keys (a port scan answered with resets), so the memory is capped; the
 * resets beyond it are counted in the total and shown as "other".
 */
#define SUMMARY_MAX_ROWS 65536

struct summary;

/* a namespace (63), '/' and a pod name (253), and the NUL */
#define SUMMARY_WHO_LEN 320

/* NULL when out of memory. By process name, or as --by says. */
struct summary *summary__new(void);
struct summary *summary__new_by(enum rst_summary_by by);
void summary__free(struct summary *s);

/*
 * Count one reset. Records with r->drop set were merged into another one
 * and are not counted. Returns 0, or -ENOSPC / -ENOMEM when the reset had
 * no row of its own (it is still counted, as "other").
 */
int summary__add(struct summary *s, const struct rst_record *r);

/* Resets counted since the last summary__reset(), "other" included. */
uint64_t summary__total(const struct summary *s);
/* Distinct keys counted since the last summary__reset(). */
size_t summary__nrows(const struct summary *s);

/*
 * "@title: N resets", then when there were any, a header and one line per
 * key, most frequent first. Comm and cause are escaped so that each row is
 * one line; the cause comes last and is never truncated.
 */
void summary__print_table(struct summary *s, struct outbuf *b,
			  const char *title);
/*
 * One line: {"type":"summary","time":@time_rfc3339,"interval_s":10.0,
 * "total":N,"rows":[{"direction":...,"lport":...,"comm":...,"cause":...,
 * "count":N},...]}, with ,"other":N before the final } when some resets
 * had no row. Unknown direction, absent comm and unknown cause are null;
 * a row whose name is not UTF-8 ends with its "not_utf8" (json.h).
 */
void summary__print_json(struct summary *s, struct outbuf *b,
			 const char *time_rfc3339, double interval_s);

/* Forget the counts: the next interval starts. */
void summary__reset(struct summary *s);

#endif /* __SUMMARY_H */
