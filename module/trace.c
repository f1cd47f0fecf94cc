// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox: instantiates the tracepoints declared in trace.h. Owns nothing.
 */
#define CREATE_TRACE_POINTS
#include "trace.h"
