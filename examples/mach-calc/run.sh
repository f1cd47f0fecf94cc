#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guide's Example 2: calculator server and client as two processes.
set -e
./mach-calc server &
server=$!
./mach-calc client
wait $server
