// SPDX-License-Identifier: LGPL-2.1-or-later
// Device tests of libmailbox: run where the mailbox module is loaded.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
