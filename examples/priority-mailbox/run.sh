#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# One consumer process, three producer processes (forked by it).
set -e
./priority-mailbox
