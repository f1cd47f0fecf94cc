#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of bench/ab: two builds of mailbox.ko (a.ko, b.ko) measured in
# one boot, alternating a, b every round, so that both see the same host.
# Every run of mbxbench interleaves mailbox with its peers as usual; its
# "R,..." lines come out as "AB,<a|b>,<round>,...".
echo "# kernel $(uname -r) $(uname -v)"
rounds=${AB_ROUNDS:-5}
args="-r 1 -n ${AB_ITERS:-2000}"
figs=${AB_FIGS:-rpc throughput}
for r in $(seq "$rounds"); do
	for m in a b; do
		rmmod mailbox 2>/dev/null
		insmod ./$m.ko || { echo "# insmod $m.ko failed"; exit 1; }
		for f in $figs; do
			./mbxbench $args -f "$f" -k "${AB_PEERS:-mailbox,pipe,futex}" |
				sed -n "s/^R,/AB,$m,$r,/p"
		done
	done
done
