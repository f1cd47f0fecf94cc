#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Server 1 crashes at its 3rd request; this script (the "supervisor")
# restarts it as server 2; the client reconnects and replays.
./fault-tolerant server 1 3 &
server1=$!
./fault-tolerant client 8 &
client=$!
wait $server1
echo "supervisor: server 1 exited with status $?, restarting it"
./fault-tolerant server 2 0 &
server2=$!
wait $client || exit 1
wait $server2 || exit 1
