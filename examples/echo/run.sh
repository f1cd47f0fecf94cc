#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run the echo demo (busybox sh, from the directory holding ./echo).
set -e
./echo
