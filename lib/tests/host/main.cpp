// SPDX-License-Identifier: LGPL-2.1-or-later
// Host tests of libmailbox: run without /dev/mailbox.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
