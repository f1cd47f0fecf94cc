#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run the uring-server demo (busybox sh, from the directory holding ./uring-server).
set -e
./uring-server
