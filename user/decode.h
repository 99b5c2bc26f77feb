/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef __DECODE_H
#define __DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include "record.h"

/*
 * The first stage: one ring buffer record (struct rst_event, or with
 * want_kstack a struct rst_stack_record) into @r, all else zeroed. False
 * when @size is too small for an event; a stack that does not fit is left
 * out.
 */
bool decode__record(struct rst_record *r, const void *data, size_t size);

#endif /* __DECODE_H */
