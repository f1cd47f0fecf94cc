// SPDX-License-Identifier: LGPL-2.1-or-later
//
// consumer: a program built only against an installed libmailbox (headers,
// pkg-config or CMake package, static or shared library), as a user of the
// library would build it. lib/tests/consumer/run builds it both ways from a
// `make install DESTDIR=build/stage PREFIX=/usr` tree and checks how it is
// linked. Run with /dev/mailbox it sends a message to itself with the C++
// API and with the Mach C API (mach_part.c); without the device it says so
// and exits 77.
#include <mailbox/mailbox.hpp>
#include <mailbox/message.hpp>

#include <cstdio>
#include <string_view>

#include "mach_part.h"

int main()
{
	auto space = mailbox::Space::open();
	if (!space) {
		std::printf("c++: %s: %s\n", mailbox::device_path, space.error().message().c_str());
		std::printf("consumer: no device\n");
		return 77;
	}
	auto port = space->allocate_receive();
	if (!port) {
		std::printf("c++: allocate_receive: %s\n", port.error().message().c_str());
		return 1;
	}
	mailbox::MessageBuffer<256> out, in;
	mailbox::MessageBuilder b(out, 7);
	b.put_string("hello from C++");
	auto sent = space->send(port->get(), b.finish(), MAILBOX_MSG_TYPE_MAKE_SEND);
	if (!sent) {
		std::printf("c++: send: %s\n", sent.error().message().c_str());
		return 1;
	}
	auto view = port->receive(in.span());
	if (!view) {
		std::printf("c++: receive: %s\n", view.error().message().c_str());
		return 1;
	}
	auto r = view->reader();
	auto text = r.get_string();
	std::printf("c++: received id %d: %.*s\n", view->id(), text ? int(text->size()) : 0,
		    text ? text->data() : "");
	if (view->id() != 7 || !text || *text != std::string_view("hello from C++"))
		return 1;

	int rc = consumer_mach_roundtrip();
	std::printf("consumer: %s\n", rc == 0 ? "ok" : "FAILED");
	return rc;
}
