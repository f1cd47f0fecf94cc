#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A receiver and a sender process: 64 MiB inline in 64 KiB messages, then
# 64 MiB as one out-of-line descriptor. The throughput line differs from
# run to run; the checksum lines do not.
set -e
./zero-copy receiver &
receiver=$!
./zero-copy sender
wait $receiver
