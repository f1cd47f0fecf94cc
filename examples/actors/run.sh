#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The supervisor starts the router and the actors; the client drives the
# scenario and finally asks the supervisor to shut everything down.
./actors supervisor &
supervisor=$!
if ! ./actors client; then
	kill $supervisor	# its children die with it (PR_SET_PDEATHSIG)
	exit 1
fi
wait $supervisor
