#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guide's Example 1: a server and three client processes, then "quit".
set -e
./mach-echo server &
server=$!
./mach-echo client "Hello from client #1"
./mach-echo client "Hello from client #2"
./mach-echo client "Hello from client #3"
./mach-echo client quit
wait $server
