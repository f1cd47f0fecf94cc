#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# One server process, three concurrent client processes (one per service).
# Each client's output goes to a file and is shown afterwards, so the
# listing does not depend on how the clients interleave.
set -e
./portset-mux server &
server=$!
./portset-mux client upper >/tmp/psm.upper &
a=$!
./portset-mux client reverse >/tmp/psm.reverse &
b=$!
./portset-mux client sum >/tmp/psm.sum &
c=$!
wait $a
wait $b
wait $c
wait $server
cat /tmp/psm.upper /tmp/psm.reverse /tmp/psm.sum
rm -f /tmp/psm.upper /tmp/psm.reverse /tmp/psm.sum
