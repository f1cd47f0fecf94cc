// SPDX-License-Identifier: LGPL-2.1-or-later
// Port sets, notifications, ready fds, right fds, the registry and rights
// carried in messages, against the real module.
#include "fixture.hpp"

#include <mailbox/event_loop.hpp>
#include <mailbox/notify.hpp>
#include <mailbox/server.hpp>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <variant>

using namespace mailbox;
using namespace std::chrono_literals;
using mbtest::SpaceFixture;
using mbtest::text_message;

namespace {

// Receives one message on @port (no wait) and parses it as a notification.
template <typename T>
std::optional<T> next_notification(const ReceiveRight &port)
{
	MessageBuffer<128> in;
	auto v = port.receive(in.span(), 0ns);
	if (!v)
		return std::nullopt;
	auto n = parse_notification(*v);
	if (!n || !std::holds_alternative<T>(*n))
		return std::nullopt;
	return std::get<T>(*n);
}

std::string service_name(const char *what)
{
	return std::string("libmailbox-test.") + what + "." + std::to_string(::getpid());
}

} // namespace

// --- port sets ---------------------------------------------------------------

TEST_CASE("A port set receives from its members and names the member", "[device][set]")
{
	SpaceFixture f;
	{
		auto set = f.space.allocate_port_set();
		REQUIRE(set);
		CHECK(mbtest::types_of(f.space, set->get()) == MAILBOX_PORT_TYPE_PORT_SET);
		auto a = f.space.allocate_receive();
		auto b = f.space.allocate_receive();
		REQUIRE(a);
		REQUIRE(b);
		REQUIRE(set->add(*a));
		REQUIRE(set->add(b->get()));
		auto sa = a->make_send();
		auto sb = b->make_send();
		REQUIRE(sa);
		REQUIRE(sb);
		MessageBuffer<64> out, in;
		REQUIRE(f.space.send(sb->get(), text_message(out, 2, "b"), MAILBOX_MSG_TYPE_COPY_SEND));
		REQUIRE(f.space.send(sa->get(), text_message(out, 1, "a"), MAILBOX_MSG_TYPE_COPY_SEND));

		auto first = set->receive(in.span(), 0ns);
		REQUIRE(first);
		CHECK(first->id() == 2); // b became ready first
		CHECK(first->local_port() == b->get());
		auto second = f.space.receive(set->get(), in.span(), 0ns);
		REQUIRE(second);
		CHECK(second->local_port() == a->get());
		auto none = set->receive(in.span(), 0ns);
		REQUIRE_FALSE(none);
		CHECK(none.error() == std::errc::resource_unavailable_try_again);

		SECTION("remove takes a member out; a second remove is ENXIO")
		{
			REQUIRE(set->remove(*a));
			REQUIRE(f.space.send(sa->get(), text_message(out, 3, "a"),
					     MAILBOX_MSG_TYPE_COPY_SEND));
			CHECK_FALSE(set->receive(in.span(), 0ns));
			auto again = set->remove(*a);
			REQUIRE_FALSE(again);
			CHECK(errno_of(again.error()) == ENXIO);
			CHECK(a->receive(in.span(), 0ns));
		}
		SECTION("move_member moves a port between sets")
		{
			auto other = f.space.allocate_port_set();
			REQUIRE(other);
			REQUIRE(f.space.move_member(a->get(), other->get()));
			REQUIRE(f.space.send(sa->get(), text_message(out, 4, "a"),
					     MAILBOX_MSG_TYPE_COPY_SEND));
			CHECK_FALSE(set->receive(in.span(), 0ns));
			auto v = other->receive(in.span(), 0ns);
			REQUIRE(v);
			CHECK(v->id() == 4);
		}
		SECTION("membership errors")
		{
			auto so = a->make_send_once();
			REQUIRE(so);
			CHECK(errno_of(set->add(so->get()).error()) == EPERM);
			CHECK(errno_of(set->add(0x7fff01).error()) == ENOENT);
			CHECK(errno_of(f.space.move_member(a->get(), b->get()).error()) == EPERM);
			CHECK(errno_of(f.space.move_member(a->get(), 0x7fff01).error()) == ENOENT);
			auto v = f.space.receive(so->get(), in.span(), 0ns);
			REQUIRE_FALSE(v);
			CHECK(status_of(v.error()) == MAILBOX_RCV_INVALID_NAME);
		}
	}
	f.check_no_names_left();
}

TEST_CASE("Destroying a port set wakes its receiver with EPIPE and frees its members",
	  "[device][set][lifetime]")
{
	SpaceFixture f;
	{
		auto set = f.space.allocate_port_set();
		auto port = f.space.allocate_receive();
		REQUIRE(set);
		REQUIRE(port);
		REQUIRE(set->add(*port));
		std::error_code got;
		std::atomic<bool> done{false};
		std::thread receiver([&, fd = set->space_fd(), name = set->get()] {
			MessageBuffer<64> in;
			auto v = detail::receive(fd, name, in.span(), 5s, 0);
			if (!v)
				got = v.error();
			done = true;
		});
		std::this_thread::sleep_for(50ms);
		CHECK_FALSE(done.load());
		set->reset();
		CHECK_FALSE(*set);
		receiver.join();
		CHECK(got == std::errc::broken_pipe);
		CHECK(status_of(got) == MAILBOX_RCV_PORT_DIED);
		// The member left the set: removing it again is ENXIO.
		CHECK(errno_of(f.space.move_member(port->get(), MAILBOX_PORT_NULL).error()) == ENXIO);
	}
	f.check_no_names_left();
}

// --- notifications -------------------------------------------------------------

TEST_CASE("A dead-name notification names the dead name and adds a reference",
	  "[device][notify][dead_name]")
{
	SpaceFixture f;
	{
		auto notify = f.space.allocate_receive();
		auto port = f.space.allocate_receive();
		REQUIRE(notify);
		REQUIRE(port);
		auto other = Space::open();
		REQUIRE(other);
		auto send = port->make_send_in(*other);
		REQUIRE(send);
		auto onotify = other->allocate_receive();
		REQUIRE(onotify);
		auto prev = other->request_notification(send->get(), NotifyVariant::dead_name,
							*onotify);
		REQUIRE(prev);
		CHECK_FALSE(*prev);

		SECTION("it fires when the port dies")
		{
			port->reset();
			auto n = next_notification<DeadNameNotification>(*onotify);
			REQUIRE(n);
			CHECK(n->name == send->get());
			auto t = other->type(send->get());
			REQUIRE(t);
			CHECK(t->type == MAILBOX_PORT_TYPE_DEAD_NAME);
			CHECK(t->dead_urefs == 2);
			DeadName extra(*other, n->name); // the notification's reference
		}
		SECTION("a second request returns the first one's right; resetting it unused "
			"sends a send-once notification")
		{
			auto second = other->request_notification(send->get(),
								  NotifyVariant::dead_name, *onotify);
			REQUIRE(second);
			REQUIRE(*second);
			CHECK(mbtest::types_of(*other, second->get()) == MAILBOX_PORT_TYPE_SEND_ONCE);
			second->reset();
			CHECK(next_notification<SendOnceNotification>(*onotify));
			auto cancelled = other->cancel_notification(send->get(),
								    NotifyVariant::dead_name);
			REQUIRE(cancelled);
			REQUIRE(*cancelled);
			cancelled->reset();
			CHECK(next_notification<SendOnceNotification>(*onotify));
			port->reset();
			CHECK_FALSE(next_notification<DeadNameNotification>(*onotify));
		}
		SECTION("the name going away first gives port-deleted")
		{
			std::uint32_t name = send->get();
			send->reset();
			auto n = next_notification<PortDeletedNotification>(*onotify);
			REQUIRE(n);
			CHECK(n->name == name);
		}
	}
	f.check_no_names_left();
}

TEST_CASE("Requests through a send-once right consume it only on success",
	  "[device][notify][send_once]")
{
	SpaceFixture f;
	{
		auto notify = f.space.allocate_receive();
		auto port = f.space.allocate_receive();
		REQUIRE(notify);
		REQUIRE(port);
		auto so = notify->make_send_once();
		REQUIRE(so);
		auto bad = f.space.request_notification(0x7fff01, NotifyVariant::no_senders, *so);
		REQUIRE_FALSE(bad);
		CHECK(errno_of(bad.error()) == ENOENT);
		CHECK(*so); // kept
		auto send = port->make_send();
		REQUIRE(send);
		auto ok = f.space.request_notification(port->get(), NotifyVariant::no_senders, *so, 1);
		REQUIRE(ok);
		CHECK_FALSE(*so); // moved into the request
		send->reset();
		auto n = next_notification<NoSendersNotification>(*notify);
		REQUIRE(n);
		CHECK(n->mscount == 1);
	}
	f.check_no_names_left();
}

TEST_CASE("Port-destroyed hands the receive right back in a message", "[device][notify]")
{
	SpaceFixture f;
	{
		auto notify = f.space.allocate_receive();
		auto port = f.space.allocate_receive();
		REQUIRE(notify);
		REQUIRE(port);
		auto send = port->make_send();
		REQUIRE(send);
		MessageBuffer<64> out, in;
		REQUIRE(f.space.send(send->get(), text_message(out, 5, "kept"),
				     MAILBOX_MSG_TYPE_COPY_SEND));
		REQUIRE(f.space.request_notification(port->get(), NotifyVariant::port_destroyed,
						     *notify));
		port->reset();
		MessageBuffer<128> nb;
		auto v = notify->receive(nb.span(), 0ns);
		REQUIRE(v);
		auto n = parse_notification(*v);
		REQUIRE(n);
		auto *pd = std::get_if<PortDestroyedNotification>(&*n);
		REQUIRE(pd);
		auto back = adopt<ReceiveRight>(f.space, *v->descriptor(0));
		REQUIRE(back);
		CHECK(back->get() == pd->receive_right);
		// The port lived on, with its queue and its senders.
		auto m = back->receive(in.span(), 0ns);
		REQUIRE(m);
		CHECK(m->id() == 5);
		CHECK(back->get() == send->get()); // joined the send right's name
	}
	f.check_no_names_left();
}

TEST_CASE("Send-possible fires when a full queue gets room", "[device][notify][send_possible]")
{
	SpaceFixture f;
	{
		auto notify = f.space.allocate_receive();
		auto port = f.space.allocate_receive();
		REQUIRE(notify);
		REQUIRE(port);
		REQUIRE(port->set_qlimit(1));
		auto other = Space::open();
		REQUIRE(other);
		auto send = port->make_send_in(*other);
		REQUIRE(send);
		auto onotify = other->allocate_receive();
		REQUIRE(onotify);
		MessageBuffer<64> out, in;
		REQUIRE(other->send(send->get(), text_message(out, 1, "x"), MAILBOX_MSG_TYPE_COPY_SEND));
		auto full = other->send(send->get(), text_message(out, 2, "y"),
					MAILBOX_MSG_TYPE_COPY_SEND, MAILBOX_PORT_NULL, 0, 0ns);
		REQUIRE_FALSE(full);
		CHECK(full.error() == std::errc::resource_unavailable_try_again);
		REQUIRE(other->request_notification(send->get(), NotifyVariant::send_possible,
						    *onotify));
		CHECK_FALSE(next_notification<SendPossibleNotification>(*onotify));
		REQUIRE(port->receive(in.span(), 0ns));
		auto n = next_notification<SendPossibleNotification>(*onotify);
		REQUIRE(n);
		CHECK(n->name == send->get());
	}
	f.check_no_names_left();
}

TEST_CASE("Notification request errors", "[device][notify][errno]")
{
	SpaceFixture f;
	{
		auto notify = f.space.allocate_receive();
		auto port = f.space.allocate_receive();
		REQUIRE(notify);
		REQUIRE(port);
		SECTION("an unknown name is ENOENT")
		{
			auto r = f.space.request_notification(0x7fff01, NotifyVariant::dead_name,
							      *notify);
			REQUIRE_FALSE(r);
			CHECK(errno_of(r.error()) == ENOENT);
		}
		SECTION("port-destroyed with sync is EINVAL")
		{
			auto r = f.space.request_notification(
				port->get(), NotifyVariant::port_destroyed, *notify, 1);
			REQUIRE_FALSE(r);
			CHECK(errno_of(r.error()) == EINVAL);
		}
		SECTION("no-senders on a send-once name is EPERM")
		{
			auto so = port->make_send_once();
			REQUIRE(so);
			auto r = f.space.request_notification(so->get(), NotifyVariant::no_senders,
							      *notify);
			REQUIRE_FALSE(r);
			CHECK(errno_of(r.error()) == EPERM);
		}
		SECTION("a dead notify port is EPIPE")
		{
			auto dead_notify = f.space.allocate_receive();
			REQUIRE(dead_notify);
			auto so = dead_notify->make_send_once();
			REQUIRE(so);
			dead_notify->reset();
			auto r = f.space.request_notification(port->get(), NotifyVariant::no_senders,
							      *so);
			REQUIRE_FALSE(r);
			CHECK(errno_of(r.error()) == EPIPE);
			CHECK(*so);
		}
		SECTION("cancelling what was never requested returns no right")
		{
			auto r = f.space.cancel_notification(port->get(), NotifyVariant::no_senders);
			REQUIRE(r);
			CHECK_FALSE(*r);
		}
	}
	f.check_no_names_left();
}

// --- ready fds ---------------------------------------------------------------

TEST_CASE("A ready fd polls readable with a message, writable with room, HUP when dead",
	  "[device][ready_fd]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		REQUIRE(port->set_qlimit(1));
		auto send = port->make_send();
		REQUIRE(send);
		auto ready = port->ready_fd();
		REQUIRE(ready);
		CHECK(::fcntl(ready->get(), F_GETFD) == FD_CLOEXEC);
		auto r = ready->poll(POLLIN | POLLOUT, 0ns);
		REQUIRE(r);
		CHECK(*r == POLLOUT);
		MessageBuffer<64> out, in;
		REQUIRE(f.space.send(send->get(), text_message(out, 1, "x"), MAILBOX_MSG_TYPE_COPY_SEND));
		r = ready->poll(POLLIN | POLLOUT, 0ns);
		REQUIRE(r);
		CHECK(*r == POLLIN); // full: not writable
		CHECK(ready->poll(POLLOUT, 0ns) == short{0});
		REQUIRE(port->receive(in.span(), 0ns));

		SECTION("the set's fd reports its members' messages")
		{
			auto set = f.space.allocate_port_set();
			REQUIRE(set);
			auto sready = set->ready_fd();
			REQUIRE(sready);
			CHECK(sready->poll(POLLIN, 0ns) == short{0});
			REQUIRE(set->add(*port));
			REQUIRE(f.space.send(send->get(), text_message(out, 1, "x"),
					     MAILBOX_MSG_TYPE_COPY_SEND));
			CHECK(sready->poll(POLLIN, 0ns) == short{POLLIN});
			set->reset();
			CHECK(sready->poll(POLLIN, 0ns) == short{POLLHUP});
		}
		SECTION("it outlives the port and reports HUP")
		{
			port->reset();
			CHECK(ready->poll(POLLIN | POLLOUT, 0ns) == short{POLLHUP});
		}
		SECTION("errors: not a receive right, unknown name")
		{
			auto a = f.space.ready_fd(0x7fff01);
			REQUIRE_FALSE(a);
			CHECK(errno_of(a.error()) == ENOENT);
			auto so = port->make_send_once();
			REQUIRE(so);
			auto b = f.space.ready_fd(so->get());
			REQUIRE_FALSE(b);
			CHECK(errno_of(b.error()) == EPERM);
		}
	}
	f.check_no_names_left();
}

TEST_CASE("The event loop receives from watched ports and ends a watch when the port dies",
	  "[device][event_loop]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		auto set = f.space.allocate_port_set();
		auto member = f.space.allocate_receive();
		REQUIRE(port);
		REQUIRE(set);
		REQUIRE(member);
		REQUIRE(set->add(*member));
		auto send = port->make_send();
		auto msend = member->make_send();
		REQUIRE(send);
		REQUIRE(msend);
		EventLoop loop;
		std::vector<std::int32_t> got;
		std::vector<std::uint32_t> from;
		std::error_code error;
		auto w = loop.watch_port(
			f.space, port->get(), [&](const MessageView &m) { got.push_back(m.id()); },
			[&](std::error_code ec) { error = ec; }, 128);
		REQUIRE(w);
		auto ws = loop.watch_port(f.space, set->get(), [&](const MessageView &m) {
			got.push_back(m.id());
			from.push_back(m.local_port());
		});
		REQUIRE(ws);
		MessageBuffer<64> out;
		for (int i = 1; i <= 3; i++)
			REQUIRE(f.space.send(send->get(), text_message(out, i, "x"),
					     MAILBOX_MSG_TYPE_COPY_SEND));
		REQUIRE(f.space.send(msend->get(), text_message(out, 9, "m"),
				     MAILBOX_MSG_TYPE_COPY_SEND));
		while (got.size() < 4) {
			auto n = loop.run_once(5s);
			REQUIRE(n);
			REQUIRE(*n > 0);
		}
		std::sort(got.begin(), got.end());
		CHECK(got == std::vector<std::int32_t>{1, 2, 3, 9});
		CHECK(from == std::vector<std::uint32_t>{member->get()});
		CHECK_FALSE(error);
		CHECK(loop.size() == 2);

		port->reset();
		REQUIRE(loop.run_once(5s));
		CHECK(error == std::errc::broken_pipe);
		CHECK(loop.size() == 1);
		REQUIRE(loop.unwatch(*ws));
		CHECK(loop.size() == 0);
	}
	f.check_no_names_left();
}

// --- right fds ---------------------------------------------------------------

TEST_CASE("Rights travel as fds: a send right is copied by every import, a send-once "
	  "right moved by the first",
	  "[device][right_fd]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		auto other = Space::open();
		REQUIRE(other);
		MessageBuffer<64> out, in;

		SECTION("send")
		{
			auto fd = f.space.export_right(port->get(), MAILBOX_MSG_TYPE_MAKE_SEND);
			REQUIRE(fd);
			CHECK(fd->kind() == RightFd::Kind::send);
			CHECK(port->attributes()->has_senders == 1);
			auto s1 = other->import_send(*fd);
			auto s2 = other->import_send(*fd);
			REQUIRE(s1);
			REQUIRE(s2);
			CHECK(s1->get() == s2->get());
			CHECK(s1->type()->send_urefs == 2);
			REQUIRE(other->send(s1->get(), text_message(out, 7, "via fd"),
					    MAILBOX_MSG_TYPE_COPY_SEND));
			auto v = port->receive(in.span(), 0ns);
			REQUIRE(v);
			CHECK(v->id() == 7);
			auto raw = f.space.import_right(fd->get());
			REQUIRE(raw);
			CHECK(*raw == port->get()); // joins the receive right's name
			SendRight adopted(f.space, *raw);
		}
		SECTION("send-once")
		{
			auto fd = f.space.export_right(port->get(), MAILBOX_MSG_TYPE_MAKE_SEND_ONCE);
			REQUIRE(fd);
			CHECK(fd->kind() == RightFd::Kind::send_once);
			auto so = other->import_send_once(*fd);
			REQUIRE(so);
			auto again = other->import_send_once(*fd);
			REQUIRE_FALSE(again);
			CHECK(errno_of(again.error()) == ENODATA);
			REQUIRE(so->send(text_message(out, 8, "once")));
			CHECK(port->receive(in.span(), 0ns)->id() == 8);
		}
		SECTION("move-send takes the sender's reference")
		{
			auto send = port->make_send();
			REQUIRE(send);
			auto fd = f.space.export_right(send->get(), MAILBOX_MSG_TYPE_MOVE_SEND);
			REQUIRE(fd);
			(void)send.value().release(); // moved into the fd
			CHECK(mbtest::types_of(f.space, port->get()) == MAILBOX_PORT_TYPE_RECEIVE);
		}
		SECTION("errors")
		{
			auto bad = f.space.export_right(port->get(), MAILBOX_MSG_TYPE_COPY_SEND);
			REQUIRE_FALSE(bad);
			CHECK(errno_of(bad.error()) == EPERM);
			auto inval = f.space.export_right(port->get(), 99);
			REQUIRE_FALSE(inval);
			CHECK(errno_of(inval.error()) == EINVAL);
			auto notright = f.space.import_right(f.space.fd());
			REQUIRE_FALSE(notright);
			CHECK(errno_of(notright.error()) == EINVAL);
			auto closed = f.space.import_right(-1);
			REQUIRE_FALSE(closed);
			CHECK(errno_of(closed.error()) == EBADF);
			auto fd = f.space.export_right(port->get(), MAILBOX_MSG_TYPE_MAKE_SEND);
			REQUIRE(fd);
			auto held = other->allocate_receive();
			REQUIRE(held);
			auto taken = other->import_right(fd->get(), held->get());
			REQUIRE_FALSE(taken);
			CHECK(errno_of(taken.error()) == EEXIST);
			port->reset();
			auto dead = other->import_send(*fd);
			REQUIRE_FALSE(dead);
			CHECK(errno_of(dead.error()) == EPIPE);
		}
	}
	f.check_no_names_left();
}

// --- registry ------------------------------------------------------------------

TEST_CASE("The registry binds service names to send rights", "[device][registry]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		auto other = Space::open();
		REQUIRE(other);
		auto name = service_name("reg");
		REQUIRE(f.space.register_service(name, port->get()));
		bool registered = true;

		auto s = other->lookup(name);
		REQUIRE(s);
		MessageBuffer<64> out, in;
		REQUIRE(other->send(s->get(), text_message(out, 11, "hi"), MAILBOX_MSG_TYPE_COPY_SEND));
		CHECK(port->receive(in.span(), 0ns)->id() == 11);

		SECTION("a live name cannot be registered twice, except with replace")
		{
			auto p2 = f.space.allocate_receive();
			REQUIRE(p2);
			auto dup = f.space.register_service(name, p2->get());
			REQUIRE_FALSE(dup);
			CHECK(errno_of(dup.error()) == EEXIST);
			REQUIRE(f.space.register_service(name, p2->get(), true));
			auto s2 = f.space.lookup(name);
			REQUIRE(s2);
			CHECK(s2->get() == p2->get());
			REQUIRE(f.space.unregister_service(name));
			registered = false;
		}
		SECTION("a dead service is gone")
		{
			port->reset();
			registered = false;
			auto gone = other->lookup(name);
			REQUIRE_FALSE(gone);
			CHECK(errno_of(gone.error()) == ENOENT);
		}
		SECTION("a send-once right cannot be registered")
		{
			auto so = port->make_send_once();
			REQUIRE(so);
			auto r = f.space.register_service(service_name("so"), so->get());
			REQUIRE_FALSE(r);
			CHECK(errno_of(r.error()) == EPERM);
		}
		if (registered)
			REQUIRE(f.space.unregister_service(name));
		auto none = other->lookup(name);
		REQUIRE_FALSE(none);
		CHECK(errno_of(none.error()) == ENOENT);
		auto again = f.space.unregister_service(name);
		REQUIRE_FALSE(again);
		CHECK(errno_of(again.error()) == ENOENT);
	}
	f.check_no_names_left();
}

// --- rights in messages ------------------------------------------------------

TEST_CASE("Port descriptors carry rights into the receiver's space", "[device][descriptor]")
{
	SpaceFixture f;
	{
		auto b = Space::open();
		REQUIRE(b);
		auto inbox = b->allocate_receive();
		REQUIRE(inbox);
		auto to_b = inbox->make_send_in(f.space);
		REQUIRE(to_b);
		auto q = f.space.allocate_receive();
		REQUIRE(q);
		MessageBuffer<256> out, in;
		std::array<std::uint32_t, 2> names{q->get(), q->get()};

		MessageBuilder m(out, 21);
		m.port<Disposition::make_send>(*q)
			.port<Disposition::make_send_once>(*q)
			.port_array(names, Disposition::make_send)
			.put<std::uint32_t>(0xabcd);
		auto msg = m.finish();
		REQUIRE_FALSE(m.failed());
		REQUIRE(f.space.send(to_b->get(), msg, MAILBOX_MSG_TYPE_COPY_SEND));
		CHECK(q->attributes()->mscount == 3);

		auto v = inbox->receive(in.span(), 0ns);
		REQUIRE(v);
		REQUIRE(v->complex());
		REQUIRE(v->descriptor_count() == 3);
		CHECK(v->reader().get<std::uint32_t>() == 0xabcdu);
		auto d0 = *v->descriptor(0);
		auto d1 = *v->descriptor(1);
		auto d2 = *v->descriptor(2);
		CHECK(d0.disposition == MAILBOX_MSG_TYPE_PORT_SEND);
		CHECK(d1.disposition == MAILBOX_MSG_TYPE_PORT_SEND_ONCE);
		REQUIRE(d2.names.size() == 2);
		CHECK(d2.names[0] == d0.name); // send rights to one port share a name
		CHECK(d2.names[1] == d0.name);
		auto send = adopt<SendRight>(*b, d0);
		auto once = adopt<SendOnceRight>(*b, d1);
		REQUIRE(send);
		REQUIRE(once);
		CHECK_FALSE(adopt<ReceiveRight>(*b, d0));
		CHECK(send->type()->send_urefs == 3);
		SendRight extra1(*b, d2.names[0]), extra2(*b, d2.names[1]);
		REQUIRE(b->send(send->get(), text_message(out, 22, "back"), MAILBOX_MSG_TYPE_COPY_SEND));
		REQUIRE(once->send(text_message(out, 23, "once")));
		CHECK(q->receive(in.span(), 0ns)->id() == 22);
		CHECK(q->receive(in.span(), 0ns)->id() == 23);
	}
	f.check_no_names_left();
}

TEST_CASE("A receive right moves with its queue; a failed send keeps every right",
	  "[device][descriptor][move]")
{
	SpaceFixture f;
	{
		auto b = Space::open();
		REQUIRE(b);
		auto inbox = b->allocate_receive();
		REQUIRE(inbox);
		auto to_b = inbox->make_send_in(f.space);
		REQUIRE(to_b);
		auto q = f.space.allocate_receive();
		REQUIRE(q);
		auto qsend = q->make_send();
		REQUIRE(qsend);
		MessageBuffer<128> out, in;
		REQUIRE(f.space.send(qsend->get(), text_message(out, 31, "queued"),
				     MAILBOX_MSG_TYPE_COPY_SEND));

		SECTION("move_receive")
		{
			MessageBuilder m(out, 30);
			m.port<Disposition::move_receive>(*q);
			REQUIRE(f.space.send(to_b->get(), m.finish(), MAILBOX_MSG_TYPE_COPY_SEND));
			(void)q->release(); // moved; the name keeps the send right
			CHECK(mbtest::types_of(f.space, qsend->get()) == MAILBOX_PORT_TYPE_SEND);
			auto v = inbox->receive(in.span(), 0ns);
			REQUIRE(v);
			auto moved = adopt<ReceiveRight>(*b, *v->descriptor(0));
			REQUIRE(moved);
			auto queued = moved->receive(in.span(), 0ns);
			REQUIRE(queued);
			CHECK(queued->id() == 31);
		}
		SECTION("an unknown name in a descriptor fails the whole send")
		{
			MessageBuilder m(out, 32);
			m.port<Disposition::make_send>(*q).port(0x7fff01, Disposition::copy_send);
			auto r = f.space.send(to_b->get(), m.finish(), MAILBOX_MSG_TYPE_COPY_SEND);
			REQUIRE_FALSE(r);
			CHECK(errno_of(r.error()) == ENOENT);
			CHECK(status_of(r.error()) == MAILBOX_SEND_INVALID_RIGHT);
			CHECK(q->type()->send_urefs == 1); // the make-send was undone
			CHECK(inbox->attributes()->msgcount == 0);
		}
		SECTION("a receive right sent to itself is ELOOP")
		{
			MessageBuilder m(out, 33);
			m.port<Disposition::move_receive>(*q);
			auto r = f.space.send(qsend->get(), m.finish(), MAILBOX_MSG_TYPE_COPY_SEND);
			REQUIRE_FALSE(r);
			CHECK(errno_of(r.error()) == ELOOP);
			CHECK(status_of(r.error()) == MAILBOX_SEND_INVALID_RIGHT);
			CHECK(mbtest::types_of(f.space, q->get()) ==
			      (MAILBOX_PORT_TYPE_RECEIVE | MAILBOX_PORT_TYPE_SEND));
		}
	}
	f.check_no_names_left();
}

TEST_CASE("The server replies to a complex request with a complex reply", "[device][server]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		auto reply_port = f.space.allocate_receive();
		auto gift = f.space.allocate_receive();
		REQUIRE(port);
		REQUIRE(reply_port);
		REQUIRE(gift);
		auto send = port->make_send();
		REQUIRE(send);
		std::uint32_t gift_name = gift->get();
		Server<256> server(f.space, *port);
		server.on(5, [&](const MessageView &req, MessageBuilder &out) {
			// Hands back a send right to a port of the server's own.
			out.port(gift_name, Disposition::make_send);
			out.put<std::uint32_t>(req.descriptor_count());
			return true;
		});
		MessageBuffer<256> req, rep;
		MessageBuilder b(req, 5);
		auto serve = std::thread([&] { (void)server.run_once(5s); });
		auto v = f.space.call(send->get(), b.finish(), MAILBOX_MSG_TYPE_COPY_SEND,
				      reply_port->get(), rep.span(), 5s, 5s);
		serve.join();
		REQUIRE(v);
		CHECK(v->complex());
		CHECK(v->reader().get<std::uint32_t>() == 0u);
		auto got = adopt<SendRight>(f.space, *v->descriptor(0));
		REQUIRE(got);
		CHECK(got->get() == gift_name);
	}
	f.check_no_names_left();
}

// --- raw name operations and the remaining helpers ------------------------------

TEST_CASE("Raw name operations: insert_right, destroy, attributes", "[device][space][raw]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		std::uint32_t name = port->release(); // managed by hand below
		auto n = f.space.insert_right(MAILBOX_SPACE_SELF, name, name,
					      MAILBOX_MSG_TYPE_MAKE_SEND);
		REQUIRE(n);
		CHECK(*n == name);
		CHECK(f.space.type(name)->type == (MAILBOX_PORT_TYPE_RECEIVE | MAILBOX_PORT_TYPE_SEND));
		auto other = Space::open();
		REQUIRE(other);
		auto there = f.space.insert_right(other->fd(), MAILBOX_PORT_NULL, name,
						  MAILBOX_MSG_TYPE_COPY_SEND);
		REQUIRE(there);
		CHECK(other->type(*there)->send_urefs == 1);
		mailbox_port_attr a{};
		a.qlimit = 7;
		a.seqno = 40;
		REQUIRE(f.space.set_attributes(name, MAILBOX_ATTR_QLIMIT | MAILBOX_ATTR_SEQNO, a));
		auto got = f.space.get_attributes(name);
		REQUIRE(got);
		CHECK(got->qlimit == 7);
		CHECK(got->seqno == 40);
		CHECK(got->has_senders == 1);
		auto bad = f.space.set_attributes(name, 1U << 30, a);
		REQUIRE_FALSE(bad);
		CHECK(errno_of(bad.error()) == EINVAL);
		// destroy removes every right under the name; again is ENOENT.
		REQUIRE(f.space.destroy(name));
		auto again = f.space.destroy(name);
		REQUIRE_FALSE(again);
		CHECK(errno_of(again.error()) == ENOENT);
		CHECK(other->type(*there)->type == MAILBOX_PORT_TYPE_DEAD_NAME);
	}
	f.check_no_names_left();
}

TEST_CASE("adopt_reply takes the reply right the message carried", "[device][msg][reply]")
{
	SpaceFixture f;
	{
		auto server = f.space.allocate_receive();
		auto client = f.space.allocate_receive();
		REQUIRE(server);
		REQUIRE(client);
		auto send = server->make_send();
		REQUIRE(send);
		MessageBuffer<64> out, in;
		REQUIRE(f.space.send(send->get(), text_message(out, 1, "q"), MAILBOX_MSG_TYPE_COPY_SEND,
				     client->get(), MAILBOX_MSG_TYPE_MAKE_SEND_ONCE));
		auto v = server->receive(in.span(), 0ns);
		REQUIRE(v);
		CHECK_FALSE(adopt_reply<SendRight>(f.space, *v));
		auto reply = adopt_reply<SendOnceRight>(f.space, *v);
		REQUIRE(reply);
		REQUIRE(reply->send(text_message(out, 2, "a")));
		CHECK(client->receive(in.span(), 0ns)->id() == 2);

		REQUIRE(f.space.send(send->get(), text_message(out, 3, "q"), MAILBOX_MSG_TYPE_COPY_SEND));
		auto none = server->receive(in.span(), 0ns);
		REQUIRE(none);
		CHECK_FALSE(adopt_reply<SendOnceRight>(f.space, *none));
	}
	f.check_no_names_left();
}

TEST_CASE("The server answers through a send reply right and drops answers to the dead",
	  "[device][server]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		auto client = f.space.allocate_receive();
		REQUIRE(port);
		REQUIRE(client);
		auto send = port->make_send();
		REQUIRE(send);
		Server<128> server(f.space, *port);
		server.on(4, [](const MessageView &, MessageBuilder &out) {
			out.put<std::uint32_t>(44);
			return true;
		});
		MessageBuffer<128> out, in;
		SECTION("a make-send reply right is answered with copy-send")
		{
			REQUIRE(f.space.send(send->get(), text_message(out, 4, "q"),
					     MAILBOX_MSG_TYPE_COPY_SEND, client->get(),
					     MAILBOX_MSG_TYPE_MAKE_SEND));
			REQUIRE(server.run_once(0ns));
			auto v = client->receive(in.span(), 0ns);
			REQUIRE(v);
			CHECK(v->reader().get<std::uint32_t>() == 44u);
			CHECK(client->type()->send_urefs == 0); // the server released its right
		}
		SECTION("a client that died before the answer does not fail the server")
		{
			REQUIRE(f.space.send(send->get(), text_message(out, 4, "q"),
					     MAILBOX_MSG_TYPE_COPY_SEND, client->get(),
					     MAILBOX_MSG_TYPE_MAKE_SEND_ONCE));
			client->reset();
			CHECK(server.run_once(0ns));
			CHECK(server.handled() == 1);
		}
		SECTION("an empty port is the receive's error")
		{
			auto r = server.run_once(0ns);
			REQUIRE_FALSE(r);
			CHECK(status_of(r.error()) == MAILBOX_RCV_TIMED_OUT);
		}
	}
	f.check_no_names_left();
}

TEST_CASE("A watched port whose message is too large reports EMSGSIZE", "[device][event_loop]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		auto send = port->make_send();
		REQUIRE(send);
		EventLoop loop;
		std::error_code error;
		int got = 0;
		REQUIRE(loop.watch_port(
			f.space, port->get(), [&](const MessageView &) { got++; },
			[&](std::error_code ec) { error = ec; }, 32, MAILBOX_MSG_RCV_LARGE));
		MessageBuffer<128> out;
		REQUIRE(f.space.send(send->get(), text_message(out, 1, "longer than eight bytes"),
				     MAILBOX_MSG_TYPE_COPY_SEND));
		REQUIRE(loop.run_once(5s));
		CHECK(got == 0);
		CHECK(error == std::errc::message_size);
		CHECK(status_of(error) == MAILBOX_RCV_TOO_LARGE);
		CHECK(loop.size() == 0);
		CHECK(port->attributes()->msgcount == 1); // RCV_LARGE kept it
	}
	f.check_no_names_left();
}

TEST_CASE("Importing a right under a chosen name", "[device][right_fd]")
{
	SpaceFixture f;
	{
		auto port = f.space.allocate_receive();
		REQUIRE(port);
		auto other = Space::open();
		REQUIRE(other);
		auto fd = f.space.export_right(port->get(), MAILBOX_MSG_TYPE_MAKE_SEND_ONCE);
		REQUIRE(fd);
		auto name = other->import_right(fd->get(), 0x4201);
		REQUIRE(name);
		CHECK(*name == 0x4201);
		CHECK(other->type(0x4201)->type == MAILBOX_PORT_TYPE_SEND_ONCE);
		SendOnceRight so(*other, *name);
	}
	f.check_no_names_left();
}
