// SPDX-License-Identifier: LGPL-2.1-or-later
// The Mach C API (<mailbox/mach/mach.h>) against the real module.
#include <catch2/catch.hpp>

#include <mailbox/mach/mach.h>

#include <fcntl.h>
#include <grp.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

struct NameList {
	std::vector<mach_port_name_t> names;
	std::vector<mach_port_type_t> types;
	bool operator==(const NameList &) const = default;
};

NameList names_now()
{
	mach_port_name_array_t n = nullptr;
	mach_port_type_array_t t = nullptr;
	mach_msg_type_number_t nc = 0, tc = 0;

	REQUIRE(mach_port_names(mach_task_self(), &n, &nc, &t, &tc) == KERN_SUCCESS);
	REQUIRE(nc == tc);
	NameList l{ std::vector<mach_port_name_t>(n, n + nc),
		    std::vector<mach_port_type_t>(t, t + tc) };
	vm_deallocate(mach_task_self(), (vm_address_t)n, nc * sizeof(*n));
	vm_deallocate(mach_task_self(), (vm_address_t)t, tc * sizeof(*t));
	return l;
}

// Every test checks that it left the task's names as it found them.
struct MachFixture {
	NameList before;
	MachFixture()
	{
		REQUIRE(mach_task_self() != MACH_PORT_NULL);
		before = names_now();
	}
	void check_no_names_left() const { CHECK(names_now() == before); }
};

mach_port_t new_receive()
{
	mach_port_t p = MACH_PORT_NULL;
	REQUIRE(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p) == KERN_SUCCESS);
	return p;
}

void destroy_receive(mach_port_t p)
{
	CHECK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1) ==
	      KERN_SUCCESS);
}

struct text_msg {
	mach_msg_header_t header;
	char text[32];
	mach_msg_max_trailer_t trailer;
};

mach_msg_return_t send_text(mach_port_t dest, mach_msg_type_name_t disp, const char *s,
			    mach_port_t reply = MACH_PORT_NULL,
			    mach_msg_type_name_t reply_disp = 0)
{
	text_msg m{};
	m.header.msgh_bits = MACH_MSGH_BITS(disp, reply_disp);
	m.header.msgh_remote_port = dest;
	m.header.msgh_local_port = reply;
	m.header.msgh_id = 42;
	std::strncpy(m.text, s, sizeof(m.text) - 1);
	return mach_msg(&m.header, MACH_SEND_MSG, offsetof(text_msg, trailer), 0, MACH_PORT_NULL,
			MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

} // namespace

TEST_CASE("mach_task_self opens one space per process and keeps it", "[device][mach][task]")
{
	mach_port_t t = mach_task_self();
	REQUIRE(t != MACH_PORT_NULL);
	CHECK(t >= 3);
	CHECK(mach_task_self() == t);
}

TEST_CASE("Allocate, type, refs, deallocate and destroy follow XNU", "[device][mach][ports]")
{
	MachFixture f;
	mach_port_t p = new_receive();
	mach_port_type_t type = 0;
	mach_port_urefs_t refs = 99;

	CHECK(mach_port_type(mach_task_self(), p, &type) == KERN_SUCCESS);
	CHECK(type == MACH_PORT_TYPE_RECEIVE);
	CHECK(mach_port_get_refs(mach_task_self(), p, MACH_PORT_RIGHT_SEND, &refs) == KERN_SUCCESS);
	CHECK(refs == 0);
	CHECK(mach_port_get_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, &refs) ==
	      KERN_SUCCESS);
	CHECK(refs == 1);

	SECTION("insert_right MAKE_SEND adds a send right under the same name")
	{
		CHECK(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND) ==
		      KERN_SUCCESS);
		CHECK(mach_port_type(mach_task_self(), p, &type) == KERN_SUCCESS);
		CHECK(type == MACH_PORT_TYPE_SEND_RECEIVE);
		CHECK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_SEND, 2) ==
		      KERN_SUCCESS);
		CHECK(mach_port_get_refs(mach_task_self(), p, MACH_PORT_RIGHT_SEND, &refs) ==
		      KERN_SUCCESS);
		CHECK(refs == 3);
		CHECK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_SEND, 0xffff) ==
		      KERN_UREFS_OVERFLOW);
		CHECK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_SEND, -4) ==
		      KERN_INVALID_VALUE);
		for (int i = 0; i < 3; i++)
			CHECK(mach_port_deallocate(mach_task_self(), p) == KERN_SUCCESS);
		CHECK(mach_port_deallocate(mach_task_self(), p) == KERN_INVALID_RIGHT);
		destroy_receive(p);
	}
	SECTION("destroy removes every right under the name")
	{
		CHECK(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND) ==
		      KERN_SUCCESS);
		CHECK(mach_port_destroy(mach_task_self(), p) == KERN_SUCCESS);
		CHECK(mach_port_type(mach_task_self(), p, &type) == KERN_INVALID_NAME);
	}
	SECTION("errors: unknown name, wrong right, bad value")
	{
		CHECK(mach_port_deallocate(mach_task_self(), p) == KERN_INVALID_RIGHT);
		CHECK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -2) ==
		      KERN_INVALID_VALUE);
		CHECK(mach_port_insert_right(mach_task_self(), p, p, 99) == KERN_INVALID_VALUE);
		CHECK(mach_port_get_refs(mach_task_self(), p, 7, &refs) == KERN_INVALID_VALUE);
		destroy_receive(p);
		CHECK(mach_port_type(mach_task_self(), p, &type) == KERN_INVALID_NAME);
		CHECK(mach_port_deallocate(mach_task_self(), p) == KERN_INVALID_NAME);
		CHECK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_SEND, 1) ==
		      KERN_INVALID_NAME);
	}
	f.check_no_names_left();
}

TEST_CASE("A send right to a dead port becomes a dead name", "[device][mach][ports]")
{
	MachFixture f;
	mach_port_t p = new_receive();
	mach_port_type_t type = 0;
	mach_port_urefs_t refs = 0;
	mach_port_t so = MACH_PORT_NULL;
	mach_msg_type_name_t got = 0;

	// A send right under another name: a send-once right made through
	// extract_right, whose name differs from the receive right's.
	REQUIRE(mach_port_extract_right(mach_task_self(), p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so,
					&got) == KERN_SUCCESS);
	CHECK(got == MACH_MSG_TYPE_PORT_SEND_ONCE);
	CHECK(so != p);
	CHECK(mach_port_type(mach_task_self(), so, &type) == KERN_SUCCESS);
	CHECK(type == MACH_PORT_TYPE_SEND_ONCE);
	destroy_receive(p);
	CHECK(mach_port_type(mach_task_self(), so, &type) == KERN_SUCCESS);
	CHECK(type == MACH_PORT_TYPE_DEAD_NAME);
	CHECK(mach_port_get_refs(mach_task_self(), so, MACH_PORT_RIGHT_DEAD_NAME, &refs) ==
	      KERN_SUCCESS);
	CHECK(refs == 1);
	CHECK(mach_port_deallocate(mach_task_self(), so) == KERN_SUCCESS);
	f.check_no_names_left();
}

TEST_CASE("extract_right in the own space returns the same name", "[device][mach][ports]")
{
	MachFixture f;
	mach_port_t p = new_receive();
	mach_port_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t got = 0;
	mach_port_urefs_t refs = 0;

	CHECK(mach_port_extract_right(mach_task_self(), p, MACH_MSG_TYPE_MAKE_SEND, &poly, &got) ==
	      KERN_SUCCESS);
	CHECK(poly == p);
	CHECK(got == MACH_MSG_TYPE_PORT_SEND);
	CHECK(mach_port_extract_right(mach_task_self(), p, MACH_MSG_TYPE_COPY_SEND, &poly, &got) ==
	      KERN_SUCCESS);
	CHECK(mach_port_get_refs(mach_task_self(), p, MACH_PORT_RIGHT_SEND, &refs) == KERN_SUCCESS);
	CHECK(refs == 2);
	CHECK(mach_port_extract_right(mach_task_self(), p, MACH_MSG_TYPE_MOVE_RECEIVE, &poly, &got) ==
	      KERN_SUCCESS);
	CHECK(got == MACH_MSG_TYPE_PORT_RECEIVE);
	CHECK(mach_port_extract_right(mach_task_self(), p, MACH_MSG_TYPE_MOVE_SEND_ONCE, &poly,
				      &got) == KERN_INVALID_RIGHT);
	CHECK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_SEND, -2) == KERN_SUCCESS);
	destroy_receive(p);
	f.check_no_names_left();
}

TEST_CASE("mach_msg sends, receives and reports XNU status codes", "[device][mach][msg]")
{
	MachFixture f;
	mach_port_t p = new_receive();
	mach_port_t reply = new_receive();
	text_msg m{};

	SECTION("a round trip with a send-once reply right and a trailer")
	{
		REQUIRE(send_text(p, MACH_MSG_TYPE_MAKE_SEND, "hello", reply,
				  MACH_MSG_TYPE_MAKE_SEND_ONCE) == MACH_MSG_SUCCESS);
		REQUIRE(mach_msg(&m.header,
				 MACH_RCV_MSG | MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
					 MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SENDER),
				 0, sizeof(m), p, MACH_MSG_TIMEOUT_NONE,
				 MACH_PORT_NULL) == MACH_MSG_SUCCESS);
		CHECK(m.header.msgh_size == offsetof(text_msg, trailer));
		CHECK(m.header.msgh_local_port == p);
		CHECK(m.header.msgh_id == 42);
		CHECK(MACH_MSGH_BITS_REMOTE(m.header.msgh_bits) == MACH_MSG_TYPE_PORT_SEND_ONCE);
		CHECK(std::string(m.text) == "hello");
		CHECK(m.trailer.msgh_trailer_type == MACH_MSG_TRAILER_FORMAT_0);
		CHECK(m.trailer.msgh_trailer_size == sizeof(mach_msg_max_trailer_t));
		CHECK(m.trailer.msgh_sender_pid == getpid());
		CHECK(m.trailer.msgh_sender_uid == geteuid());
		mach_port_t so = m.header.msgh_remote_port;

		m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
		m.header.msgh_local_port = MACH_PORT_NULL;
		REQUIRE(mach_msg(&m.header, MACH_SEND_MSG, offsetof(text_msg, trailer), 0,
				 MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE,
				 MACH_PORT_NULL) == MACH_MSG_SUCCESS);
		REQUIRE(mach_msg(&m.header, MACH_RCV_MSG, 0, sizeof(m), reply,
				 MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL) == MACH_MSG_SUCCESS);
		CHECK(m.header.msgh_local_port == reply);
		(void)so;
	}
	SECTION("receive timeouts give MACH_RCV_TIMED_OUT")
	{
		CHECK(mach_msg(&m.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m), p, 0,
			       MACH_PORT_NULL) == MACH_RCV_TIMED_OUT);
		CHECK(mach_msg(&m.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m), p, 20,
			       MACH_PORT_NULL) == MACH_RCV_TIMED_OUT);
	}
	SECTION("a full queue gives MACH_SEND_TIMED_OUT with MACH_SEND_TIMEOUT")
	{
		mach_port_limits_t lim{ 1 };
		CHECK(mach_port_set_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO,
					       (mach_port_info_t)&lim,
					       MACH_PORT_LIMITS_INFO_COUNT) == KERN_SUCCESS);
		CHECK(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND) ==
		      KERN_SUCCESS);
		CHECK(send_text(p, MACH_MSG_TYPE_COPY_SEND, "one") == MACH_MSG_SUCCESS);
		m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
		m.header.msgh_remote_port = p;
		m.header.msgh_local_port = MACH_PORT_NULL;
		CHECK(mach_msg(&m.header, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(m.header), 0,
			       MACH_PORT_NULL, 10, MACH_PORT_NULL) == MACH_SEND_TIMED_OUT);
		CHECK(mach_port_deallocate(mach_task_self(), p) == KERN_SUCCESS);
	}
	SECTION("a too small buffer: MACH_RCV_TOO_LARGE, kept with MACH_RCV_LARGE")
	{
		CHECK(send_text(p, MACH_MSG_TYPE_MAKE_SEND, "big") == MACH_MSG_SUCCESS);
		CHECK(mach_msg(&m.header, MACH_RCV_MSG | MACH_RCV_LARGE | MACH_RCV_TIMEOUT, 0,
			       sizeof(m.header), p, 0, MACH_PORT_NULL) == MACH_RCV_TOO_LARGE);
		CHECK(mach_msg(&m.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m), p, 0,
			       MACH_PORT_NULL) == MACH_MSG_SUCCESS);
		CHECK(std::string(m.text) == "big");
	}
	SECTION("send errors")
	{
		CHECK(send_text(p, MACH_MSG_TYPE_COPY_SEND, "x") == MACH_SEND_INVALID_DEST);
		CHECK(send_text(0x7fff00, MACH_MSG_TYPE_COPY_SEND, "x") == MACH_SEND_INVALID_DEST);
		CHECK(send_text(p, MACH_MSG_TYPE_MAKE_SEND, "x", 0x7fff00,
				MACH_MSG_TYPE_MAKE_SEND_ONCE) == MACH_SEND_INVALID_REPLY);
		CHECK(mach_msg(&m.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m), 0x7fff00, 0,
			       MACH_PORT_NULL) == MACH_RCV_INVALID_NAME);
	}
	destroy_receive(p);
	destroy_receive(reply);
	f.check_no_names_left();
}

TEST_CASE("Attributes: qlimit and receive status", "[device][mach][attributes]")
{
	MachFixture f;
	mach_port_t p = new_receive();
	mach_port_limits_t lim{};
	mach_port_status_t st{};
	mach_msg_type_number_t count = MACH_PORT_LIMITS_INFO_COUNT;

	CHECK(mach_port_get_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO,
				       (mach_port_info_t)&lim, &count) == KERN_SUCCESS);
	CHECK(lim.mpl_qlimit == MACH_PORT_QLIMIT_DEFAULT);
	lim.mpl_qlimit = 12;
	CHECK(mach_port_set_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO,
				       (mach_port_info_t)&lim, count) == KERN_SUCCESS);
	CHECK(send_text(p, MACH_MSG_TYPE_MAKE_SEND, "a") == MACH_MSG_SUCCESS);
	count = MACH_PORT_RECEIVE_STATUS_COUNT;
	CHECK(mach_port_get_attributes(mach_task_self(), p, MACH_PORT_RECEIVE_STATUS,
				       (mach_port_info_t)&st, &count) == KERN_SUCCESS);
	CHECK(count == MACH_PORT_RECEIVE_STATUS_COUNT);
	CHECK(st.mps_qlimit == 12);
	CHECK(st.mps_msgcount == 1);
	CHECK(st.mps_mscount == 1);
	CHECK(st.mps_srights == 1);	// the send right inside the queued message
	lim.mpl_qlimit = 0;
	CHECK(mach_port_set_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO,
				       (mach_port_info_t)&lim, 1) == KERN_INVALID_VALUE);
	count = 0;
	CHECK(mach_port_get_attributes(mach_task_self(), p, MACH_PORT_RECEIVE_STATUS,
				       (mach_port_info_t)&st, &count) == KERN_FAILURE);
	destroy_receive(p);
	f.check_no_names_left();
}

TEST_CASE("Port sets: move_member and a receive on the set", "[device][mach][sets]")
{
	MachFixture f;
	mach_port_t set = MACH_PORT_NULL, a = new_receive(), b = new_receive();
	text_msg m{};

	REQUIRE(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set) ==
		KERN_SUCCESS);
	CHECK(mach_port_move_member(mach_task_self(), a, set) == KERN_SUCCESS);
	CHECK(mach_port_move_member(mach_task_self(), b, set) == KERN_SUCCESS);
	CHECK(send_text(b, MACH_MSG_TYPE_MAKE_SEND, "to b") == MACH_MSG_SUCCESS);
	CHECK(mach_msg(&m.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m), set, 0,
		       MACH_PORT_NULL) == MACH_MSG_SUCCESS);
	CHECK(m.header.msgh_local_port == b);
	CHECK(mach_port_move_member(mach_task_self(), a, MACH_PORT_NULL) == KERN_SUCCESS);
	CHECK(mach_port_move_member(mach_task_self(), a, MACH_PORT_NULL) == KERN_NOT_IN_SET);
	CHECK(mach_port_move_member(mach_task_self(), set, a) == KERN_INVALID_RIGHT);
	destroy_receive(a);
	destroy_receive(b);
	CHECK(mach_port_destroy(mach_task_self(), set) == KERN_SUCCESS);
	f.check_no_names_left();
}

TEST_CASE("A dead-name notification arrives with XNU's layout", "[device][mach][notify]")
{
	MachFixture f;
	mach_port_t notify = new_receive();
	mach_port_t p = MACH_PORT_NULL, prev = 1;
	mach_msg_type_name_t got;
	mach_port_t target = new_receive();
	mach_dead_name_notification_t n{};
	mach_port_urefs_t refs = 0;

	REQUIRE(mach_port_extract_right(mach_task_self(), target, MACH_MSG_TYPE_MAKE_SEND_ONCE, &p,
					&got) == KERN_SUCCESS);
	CHECK(mach_port_request_notification(mach_task_self(), p, MACH_NOTIFY_DEAD_NAME, 0, notify,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev) == KERN_SUCCESS);
	CHECK(prev == MACH_PORT_NULL);
	CHECK(mach_port_request_notification(mach_task_self(), p, 0123, 0, notify,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev) ==
	      KERN_INVALID_VALUE);
	destroy_receive(target);
	REQUIRE(mach_msg(&n.not_header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(n), notify, 1000,
			 MACH_PORT_NULL) == MACH_MSG_SUCCESS);
	CHECK(n.not_header.msgh_id == MACH_NOTIFY_DEAD_NAME);
	CHECK(n.not_port == p);
	CHECK(n.NDR.int_rep == NDR_record.int_rep);
	CHECK(mach_port_get_refs(mach_task_self(), p, MACH_PORT_RIGHT_DEAD_NAME, &refs) ==
	      KERN_SUCCESS);
	CHECK(refs == 2);
	CHECK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_DEAD_NAME, -2) ==
	      KERN_SUCCESS);
	destroy_receive(notify);
	f.check_no_names_left();
}

TEST_CASE("bootstrap: check_in, look_up, register and their errors", "[device][mach][bootstrap]")
{
	MachFixture f;
	const char *svc = "org.mailbox.test.mach-bootstrap";
	mach_port_t rcv = MACH_PORT_NULL, snd = MACH_PORT_NULL;

	CHECK(bootstrap_look_up(bootstrap_port, svc, &snd) == BOOTSTRAP_UNKNOWN_SERVICE);
	REQUIRE(bootstrap_check_in(bootstrap_port, svc, &rcv) == BOOTSTRAP_SUCCESS);
	CHECK(bootstrap_check_in(bootstrap_port, svc, &snd) == BOOTSTRAP_SERVICE_ACTIVE);
	CHECK(bootstrap_register(bootstrap_port, svc, rcv) == BOOTSTRAP_NAME_IN_USE);
	REQUIRE(bootstrap_look_up(bootstrap_port, svc, &snd) == BOOTSTRAP_SUCCESS);
	CHECK(snd == rcv);	// the send right merges into the receive right's name
	CHECK(send_text(snd, MACH_MSG_TYPE_COPY_SEND, "via registry") == MACH_MSG_SUCCESS);
	CHECK(mach_port_deallocate(mach_task_self(), snd) == KERN_SUCCESS);
	CHECK(bootstrap_look_up(bootstrap_port, "", &snd) == BOOTSTRAP_BAD_COUNT);
	CHECK(bootstrap_unregister(bootstrap_port, svc) == BOOTSTRAP_SUCCESS);
	CHECK(bootstrap_look_up(bootstrap_port, svc, &snd) == BOOTSTRAP_UNKNOWN_SERVICE);
	destroy_receive(rcv);
	f.check_no_names_left();
}

TEST_CASE("bootstrap: another uid may neither unregister nor check in over a service",
	  "[device][mach][bootstrap]")
{
	MachFixture f;
	const char *svc = "org.mailbox.test.mach-bootstrap-uid";
	mach_port_t rcv = MACH_PORT_NULL;

	REQUIRE(bootstrap_check_in(bootstrap_port, svc, &rcv) == BOOTSTRAP_SUCCESS);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		// A fresh space as an unprivileged user: not the owner, no CAP_SYS_ADMIN.
		mailbox_task_reset_after_fork();
		if (setgroups(0, nullptr) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(2);
		mach_port_t p = MACH_PORT_NULL;
		int ok = bootstrap_unregister(bootstrap_port, svc) == BOOTSTRAP_NOT_PRIVILEGED &&
			 bootstrap_check_in(bootstrap_port, svc, &p) == BOOTSTRAP_SERVICE_ACTIVE &&
			 bootstrap_look_up(bootstrap_port, svc, &p) == BOOTSTRAP_SUCCESS;
		_exit(ok ? 0 : 1);
	}
	int status = 0;
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK(WEXITSTATUS(status) == 0);
	CHECK(bootstrap_unregister(bootstrap_port, svc) == BOOTSTRAP_SUCCESS);
	destroy_receive(rcv);
	f.check_no_names_left();
}

TEST_CASE("construct and destruct", "[device][mach][ports]")
{
	MachFixture f;
	mach_port_options_t opts{};
	mach_port_t p = MACH_PORT_NULL;
	mach_port_type_t type = 0;
	mach_port_limits_t lim{};
	mach_msg_type_number_t count = MACH_PORT_LIMITS_INFO_COUNT;

	opts.flags = MPO_QLIMIT | MPO_INSERT_SEND_RIGHT;
	opts.mpl.mpl_qlimit = 3;
	REQUIRE(mach_port_construct(mach_task_self(), &opts, 0, &p) == KERN_SUCCESS);
	CHECK(mach_port_type(mach_task_self(), p, &type) == KERN_SUCCESS);
	CHECK(type == MACH_PORT_TYPE_SEND_RECEIVE);
	CHECK(mach_port_get_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO,
				       (mach_port_info_t)&lim, &count) == KERN_SUCCESS);
	CHECK(lim.mpl_qlimit == 3);
	CHECK(mach_port_destruct(mach_task_self(), p, -1, 0) == KERN_SUCCESS);
	opts.flags = MPO_TEMPOWNER;
	CHECK(mach_port_construct(mach_task_self(), &opts, 0, &p) == KERN_NOT_SUPPORTED);
	f.check_no_names_left();
}

TEST_CASE("A forked child shares the space until it resets it", "[device][mach][fork]")
{
	MachFixture f;
	mach_port_t p = new_receive();

	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		mach_port_type_t type = 0;
		int ok = mach_port_type(mach_task_self(), p, &type) == KERN_SUCCESS &&
			 type == MACH_PORT_TYPE_RECEIVE;
		mailbox_task_reset_after_fork();
		mach_port_t fresh = mach_task_self();
		ok = ok && fresh != MACH_PORT_NULL &&
		     mach_port_type(fresh, p, &type) == KERN_INVALID_NAME;
		_exit(ok ? 0 : 1);
	}
	int status = 0;
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK(WEXITSTATUS(status) == 0);
	destroy_receive(p);
	f.check_no_names_left();
}

TEST_CASE("mach_msg with an unknown option fails before the module is asked", "[device][mach][msg]")
{
	text_msg m{};
	CHECK(mach_msg(&m.header, MACH_SEND_MSG | MACH_SEND_ALWAYS, sizeof(m.header), 0,
		       MACH_PORT_NULL, 0, MACH_PORT_NULL) == MACH_SEND_INVALID_OPTIONS);
}

TEST_CASE("No-senders, send-once, port-destroyed and send-possible notifications have XNU's "
	  "layouts",
	  "[device][mach][notify]")
{
	MachFixture f;
	mach_port_t task = mach_task_self();
	mach_port_t notify = new_receive();
	mach_port_t p = new_receive();
	mach_port_t prev = 1;

	SECTION("no-senders carries the make-send count")
	{
		mach_no_senders_notification_t n{};
		REQUIRE(mach_port_insert_right(task, p, p, MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS);
		REQUIRE(mach_port_request_notification(task, p, MACH_NOTIFY_NO_SENDERS, 1, notify,
						       MACH_MSG_TYPE_MAKE_SEND_ONCE,
						       &prev) == KERN_SUCCESS);
		CHECK(prev == MACH_PORT_NULL);
		CHECK(mach_port_deallocate(task, p) == KERN_SUCCESS);
		REQUIRE(mach_msg(&n.not_header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(n), notify,
				 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS);
		CHECK(n.not_header.msgh_id == MACH_NOTIFY_NO_SENDERS);
		CHECK(n.not_header.msgh_size == offsetof(mach_no_senders_notification_t, trailer));
		CHECK(n.not_count == 1);
		destroy_receive(p);
	}
	SECTION("a send-once right destroyed unused sends send-once")
	{
		mach_send_once_notification_t n{};
		mach_port_t so = MACH_PORT_NULL;
		mach_msg_type_name_t got = 0;
		REQUIRE(mach_port_extract_right(task, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &got) ==
			KERN_SUCCESS);
		CHECK(mach_port_deallocate(task, so) == KERN_SUCCESS);
		REQUIRE(mach_msg(&n.not_header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(n), p, 0,
				 MACH_PORT_NULL) == MACH_MSG_SUCCESS);
		CHECK(n.not_header.msgh_id == MACH_NOTIFY_SEND_ONCE);
		CHECK(n.not_header.msgh_size == sizeof(mach_msg_header_t));
		destroy_receive(p);
	}
	SECTION("port-destroyed hands the receive right back")
	{
		mach_port_destroyed_notification_t n{};
		REQUIRE(mach_port_request_notification(task, p, MACH_NOTIFY_PORT_DESTROYED, 0, notify,
						       MACH_MSG_TYPE_MAKE_SEND_ONCE,
						       &prev) == KERN_SUCCESS);
		destroy_receive(p);
		REQUIRE(mach_msg(&n.not_header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(n), notify,
				 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS);
		CHECK(n.not_header.msgh_id == MACH_NOTIFY_PORT_DESTROYED);
		CHECK((n.not_header.msgh_bits & MACH_MSGH_BITS_COMPLEX));
		CHECK(n.not_body.msgh_descriptor_count == 1);
		CHECK(n.not_port.disposition == MACH_MSG_TYPE_PORT_RECEIVE);
		mach_port_type_t type = 0;
		CHECK(mach_port_type(task, n.not_port.name, &type) == KERN_SUCCESS);
		CHECK(type == MACH_PORT_TYPE_RECEIVE);
		mach_msg_destroy(&n.not_header); // releases the receive right
		CHECK(mach_port_type(task, n.not_port.name, &type) == KERN_INVALID_NAME);
	}
	SECTION("send-possible fires once the queue has room")
	{
		mach_send_possible_notification_t n{};
		mach_port_limits_t lim{1};
		text_msg m{};
		REQUIRE(mach_port_set_attributes(task, p, MACH_PORT_LIMITS_INFO,
						 (mach_port_info_t)&lim,
						 MACH_PORT_LIMITS_INFO_COUNT) == KERN_SUCCESS);
		REQUIRE(mach_port_insert_right(task, p, p, MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS);
		REQUIRE(send_text(p, MACH_MSG_TYPE_COPY_SEND, "fill") == MACH_MSG_SUCCESS);
		REQUIRE(mach_port_request_notification(task, p, MACH_NOTIFY_SEND_POSSIBLE, 0, notify,
						       MACH_MSG_TYPE_MAKE_SEND_ONCE,
						       &prev) == KERN_SUCCESS);
		REQUIRE(mach_msg(&m.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m), p, 0,
				 MACH_PORT_NULL) == MACH_MSG_SUCCESS);
		REQUIRE(mach_msg(&n.not_header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(n), notify,
				 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS);
		CHECK(n.not_header.msgh_id == MACH_NOTIFY_SEND_POSSIBLE);
		CHECK(n.not_port == p);
		CHECK(mach_port_deallocate(task, p) == KERN_SUCCESS);
		destroy_receive(p);
	}
	destroy_receive(notify);
	f.check_no_names_left();
}

namespace {
#pragma pack(push, 4)
struct rights_msg {
	mach_msg_header_t header;
	mach_msg_body_t body;
	mach_msg_port_descriptor_t port;
	mach_msg_ool_ports_descriptor_t ports;
	int32_t value;
	// Received: the array's names, then room for a trailer.
	mach_port_name_t names[2];
	mach_msg_max_trailer_t trailer;
};
#pragma pack(pop)
} // namespace

TEST_CASE("Rights travel in port and port-array descriptors; mach_msg_destroy releases them",
	  "[device][mach][descriptors]")
{
	MachFixture f;
	mach_port_t task = mach_task_self();
	mach_port_t dest = new_receive();
	mach_port_t a = new_receive();
	mach_port_t b = new_receive();
	mach_port_name_t array[2] = {a, b};
	rights_msg m{};

	m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	m.header.msgh_remote_port = dest;
	m.header.msgh_size = offsetof(rights_msg, names);
	m.header.msgh_id = 77;
	m.body.msgh_descriptor_count = 2;
	m.port.name = a;
	m.port.disposition = MACH_MSG_TYPE_MAKE_SEND_ONCE;
	m.port.type = MACH_MSG_PORT_DESCRIPTOR;
	m.ports.address = array;
	m.ports.count = 2;
	m.ports.disposition = MACH_MSG_TYPE_MAKE_SEND;
	m.ports.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
	m.value = 1234;

	SECTION("mach_msg_send / mach_msg_receive round trip")
	{
		REQUIRE(mach_msg_send(&m.header) == MACH_MSG_SUCCESS);
		rights_msg r{};
		r.header.msgh_size = sizeof(r);
		r.header.msgh_local_port = dest;
		REQUIRE(mach_msg_receive(&r.header) == MACH_MSG_SUCCESS);
		CHECK(r.header.msgh_id == 77);
		CHECK(r.value == 1234);
		CHECK(r.port.disposition == MACH_MSG_TYPE_PORT_SEND_ONCE);
		CHECK(r.ports.disposition == MACH_MSG_TYPE_PORT_SEND);
		CHECK(r.ports.address == r.names); // written into the receive buffer
		CHECK(r.names[0] == a);		   // send rights join the receive rights' names
		CHECK(r.names[1] == b);
		mach_port_urefs_t refs = 0;
		CHECK(mach_port_get_refs(task, a, MACH_PORT_RIGHT_SEND, &refs) == KERN_SUCCESS);
		CHECK(refs == 1);
		mach_msg_destroy(&r.header);
		CHECK(mach_port_get_refs(task, a, MACH_PORT_RIGHT_SEND, &refs) == KERN_SUCCESS);
		CHECK(refs == 0);
		mach_port_status_t st{};
		mach_msg_type_number_t count = MACH_PORT_RECEIVE_STATUS_COUNT;
		CHECK(mach_port_get_attributes(task, a, MACH_PORT_RECEIVE_STATUS,
					       (mach_port_info_t)&st, &count) == KERN_SUCCESS);
		CHECK(st.mps_msgcount == 1); // the send-once notification of the destroyed right
		text_msg n{};
		CHECK(mach_msg(&n.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(n), a, 0,
			       MACH_PORT_NULL) == MACH_MSG_SUCCESS);
		CHECK(n.header.msgh_id == MACH_NOTIFY_SEND_ONCE);
		count = MACH_PORT_RECEIVE_STATUS_COUNT;
		CHECK(mach_port_get_attributes(task, a, MACH_PORT_RECEIVE_STATUS,
					       (mach_port_info_t)&st, &count) == KERN_SUCCESS);
		CHECK(st.mps_sorights == 0);
	}
	SECTION("a bad right fails the send with MACH_SEND_INVALID_RIGHT and changes nothing")
	{
		array[1] = 0x7fff01;
		CHECK(mach_msg_send(&m.header) == MACH_SEND_INVALID_RIGHT);
		mach_port_urefs_t refs = 1;
		CHECK(mach_port_get_refs(task, a, MACH_PORT_RIGHT_SEND, &refs) == KERN_SUCCESS);
		CHECK(refs == 0);
		m.port.type = 9;
		CHECK(mach_msg_send(&m.header) == MACH_SEND_INVALID_TYPE);
	}
	SECTION("a receive buffer without room for the array is MACH_RCV_TOO_LARGE")
	{
		REQUIRE(mach_msg_send(&m.header) == MACH_MSG_SUCCESS);
		rights_msg r{};
		CHECK(mach_msg(&r.header, MACH_RCV_MSG | MACH_RCV_LARGE | MACH_RCV_TIMEOUT, 0,
			       offsetof(rights_msg, names), dest, 0,
			       MACH_PORT_NULL) == MACH_RCV_TOO_LARGE);
		CHECK(r.header.msgh_size == sizeof(r.names) + offsetof(rights_msg, names));
		REQUIRE(mach_msg(&r.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(r), dest, 0,
				 MACH_PORT_NULL) == MACH_MSG_SUCCESS);
		mach_msg_destroy(&r.header);
		text_msg n{};
		CHECK(mach_msg(&n.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(n), a, 0,
			       MACH_PORT_NULL) == MACH_MSG_SUCCESS);
	}
	destroy_receive(dest);
	destroy_receive(a);
	destroy_receive(b);
	f.check_no_names_left();
}

TEST_CASE("insert_right into another task and mach_msg receive errors", "[device][mach][ports]")
{
	MachFixture f;
	mach_port_t p = new_receive();
	int other = ::open("/dev/mailbox", O_RDWR | O_CLOEXEC);
	REQUIRE(other >= 0);
	mach_port_t name_there = 0x105;

	SECTION("a send right lands in the other space under the chosen name")
	{
		// The other space's first name is deterministic only as "some name":
		// let the kernel choose by inserting into a fresh allocation.
		mach_port_t there = MACH_PORT_NULL;
		REQUIRE(mach_port_allocate((mach_port_t)other, MACH_PORT_RIGHT_DEAD_NAME, &there) ==
			KERN_SUCCESS);
		CHECK(mach_port_insert_right((mach_port_t)other, there, p, MACH_MSG_TYPE_MAKE_SEND) ==
		      KERN_NAME_EXISTS);
		CHECK(mach_port_deallocate((mach_port_t)other, there) == KERN_SUCCESS);
		CHECK(mach_port_insert_right((mach_port_t)other, name_there, p,
					     MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS);
		mach_port_type_t type = 0;
		CHECK(mach_port_type((mach_port_t)other, name_there, &type) == KERN_SUCCESS);
		CHECK(type == MACH_PORT_TYPE_SEND);
		CHECK(mach_port_insert_right((mach_port_t)other, name_there, 0x7fff01,
					     MACH_MSG_TYPE_MAKE_SEND) == KERN_INVALID_NAME);
	}
	SECTION("receive errors")
	{
		text_msg m{};
		CHECK(mach_msg(&m.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m), 0x7fff01, 0,
			       MACH_PORT_NULL) == MACH_RCV_INVALID_NAME);
		CHECK(mach_msg(&m.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m), p, 0,
			       MACH_PORT_NULL) == MACH_RCV_TIMED_OUT);
		CHECK(send_text(p, MACH_MSG_TYPE_MAKE_SEND_ONCE, "x") == MACH_MSG_SUCCESS);
		CHECK(mach_msg(&m.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, 8, p, 0,
			       MACH_PORT_NULL) == MACH_RCV_TOO_LARGE);
	}
	::close(other);
	destroy_receive(p);
	f.check_no_names_left();
}

TEST_CASE("Out-of-line memory travels as a new mapping freed with vm_deallocate",
	  "[device][mach][ool]")
{
	MachFixture f;
	const vm_size_t page = (vm_size_t)sysconf(_SC_PAGESIZE);
	const mach_msg_size_t len = 3 * (mach_msg_size_t)page + 5;
	mach_port_t p = new_receive();
	vm_address_t src = 0;
	struct ool_msg {
		mach_msg_header_t header;
		mach_msg_body_t body;
		mach_msg_ool_descriptor_t data;
	};
	union {
		ool_msg m;
		char space[sizeof(ool_msg) + MAX_TRAILER_SIZE];
	} r{};

	REQUIRE(vm_allocate(mach_task_self(), &src, len, VM_FLAGS_ANYWHERE) == KERN_SUCCESS);
	for (mach_msg_size_t i = 0; i < len; i++)
		reinterpret_cast<unsigned char *>(src)[i] = (unsigned char)(i * 7);

	ool_msg m{};
	m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	m.header.msgh_remote_port = p;
	m.header.msgh_id = 42;
	m.body.msgh_descriptor_count = 1;
	m.data.address = reinterpret_cast<void *>(src);
	m.data.size = len;
	m.data.deallocate = 1;
	m.data.copy = MACH_MSG_VIRTUAL_COPY;
	m.data.type = MACH_MSG_OOL_DESCRIPTOR;
	REQUIRE(mach_msg(&m.header, MACH_SEND_MSG, sizeof(m), 0, MACH_PORT_NULL, 0,
			 MACH_PORT_NULL) == MACH_MSG_SUCCESS);
	// deallocate: the sender's whole pages are gone (src is page-aligned).
	CHECK(msync(reinterpret_cast<void *>(src), page, MS_ASYNC) == -1);

	REQUIRE(mach_msg(&r.m.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(r), p, 0,
			 MACH_PORT_NULL) == MACH_MSG_SUCCESS);
	CHECK(r.m.header.msgh_id == 42);
	CHECK(r.m.data.type == MACH_MSG_OOL_DESCRIPTOR);
	CHECK(r.m.data.size == len);
	CHECK(r.m.data.copy == MACH_MSG_VIRTUAL_COPY);
	auto *dst = static_cast<unsigned char *>(r.m.data.address);
	REQUIRE(dst != nullptr);
	bool same = true;
	for (mach_msg_size_t i = 0; i < len; i++)
		same = same && dst[i] == (unsigned char)(i * 7);
	CHECK(same);
	CHECK(vm_deallocate(mach_task_self(), (vm_address_t)dst, len) == KERN_SUCCESS);
	CHECK(msync(dst, page, MS_ASYNC) == -1);

	// A descriptor beyond 64 MiB is refused before anything is copied.
	m.data.address = reinterpret_cast<void *>(page);
	m.data.size = MACH_MSG_OOL_SIZE_MAX + 1;
	m.data.deallocate = 0;
	CHECK(mach_msg(&m.header, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(m), 0, MACH_PORT_NULL,
		       0, MACH_PORT_NULL) == MACH_SEND_TOO_LARGE);
	destroy_receive(p);
	f.check_no_names_left();
}

TEST_CASE("mach_msg_destroy unmaps out-of-line memory", "[device][mach][ool]")
{
	MachFixture f;
	mach_port_t p = new_receive();
#pragma pack(push, 4)
	struct ool_msg {
		mach_msg_header_t header;
		mach_msg_body_t body;
		mach_msg_ool_descriptor_t data;
		mach_msg_max_trailer_t trailer;
	};
#pragma pack(pop)
	std::vector<char> bytes(10000, 'z');
	ool_msg m{};
	m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	m.header.msgh_remote_port = p;
	m.header.msgh_size = offsetof(ool_msg, trailer);
	m.body.msgh_descriptor_count = 1;
	m.data.address = bytes.data();
	m.data.size = static_cast<mach_msg_size_t>(bytes.size());
	m.data.type = MACH_MSG_OOL_DESCRIPTOR;
	REQUIRE(mach_msg_send(&m.header) == MACH_MSG_SUCCESS);
	ool_msg r{};
	REQUIRE(mach_msg(&r.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(r), p, 0,
			 MACH_PORT_NULL) == MACH_MSG_SUCCESS);
	REQUIRE(r.data.address != nullptr);
	CHECK(static_cast<char *>(r.data.address)[9999] == 'z');
	unsigned char vec;
	CHECK(::mincore(r.data.address, 1, &vec) == 0);
	mach_msg_destroy(&r.header);
	CHECK(::mincore(r.data.address, 1, &vec) != 0);
	destroy_receive(p);
	f.check_no_names_left();
}
