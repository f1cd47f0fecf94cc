#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The manager, the services, the client and the intruder are all started by
# ./registry itself (fork), which orders their steps.
./registry
