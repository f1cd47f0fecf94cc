#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run the calculator example (busybox sh, from the directory holding ./calc).
set -e
./calc
