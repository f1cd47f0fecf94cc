// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox-lsmp: list the mailbox port rights of processes (like lsof for
 * Mach ports), using only the module's text interfaces:
 *
 *   /proc/<pid>/fd/<fd>       a link to "/dev/mailbox" is a space, one to
 *                             "anon_inode:[mailbox-right]" a right fd;
 *   /proc/<pid>/fdinfo/<fd>   the space's names, rights and port ids
 *                             (Documentation/observability.rst);
 *   /sys/kernel/debug/mailbox/registry   the services, when readable.
 *
 * Port ids are module-unique, so a send right in one process and the
 * receive right in another name the same port when their ids match: that
 * is how the "connections" part is made.
 *
 *   mailbox-lsmp [-p PID]... [--json] [--no-registry] [--debugfs DIR]
 *
 * Exit status: 0, 1 on a usage error, 2 if a given pid cannot be read.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FIELDS	32

struct field {
	char *key;
	char *value;
};

/* One name of a space, or the right held by a right fd. */
struct right {
	unsigned int name;		/* 0 for a right fd */
	char rights[64];		/* "receive,send", "send-once", ... */
	unsigned long urefs;
	unsigned long long port;	/* 0: none (dead name, port set) */
	int nfields;
	struct field fields[MAX_FIELDS];	/* every key:value of the line */
};

struct holder {
	int pid;
	char comm[64];
	int fd;
	bool is_space;			/* else a right fd */
	unsigned long long space;	/* mailbox-space id */
	unsigned long names;
	unsigned long max_names;
	char user[128];			/* mailbox-user: line */
	char use[256];			/* mailbox-user-use: line */
	unsigned long not_shown;
	int nrights;
	struct right *rights;
};

struct service {
	char ns[32], name[160], port[32], owner[32], alive[8], receiver[32];
};

static struct holder *holders;
static int nholders;
static struct service *services;
static int nservices;
static bool registry_read;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		perror("mailbox-lsmp");
		exit(3);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		perror("mailbox-lsmp");
		exit(3);
	}
	return d;
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

/* Split "name:\t0x.. key:value key:value" into @r. */
static void parse_name_line(char *s, struct right *r)
{
	char *tok, *save = NULL;

	memset(r, 0, sizeof(*r));
	r->name = strtoul(s, NULL, 16);
	tok = strtok_r(s, " \t", &save);	/* the name itself */
	while ((tok = strtok_r(NULL, " \t\n", &save))) {
		char *colon = strchr(tok, ':');

		if (!colon)
			continue;
		*colon = 0;
		if (r->nfields < MAX_FIELDS) {
			r->fields[r->nfields].key = xstrdup(tok);
			r->fields[r->nfields].value = xstrdup(colon + 1);
			r->nfields++;
		}
		if (!strcmp(tok, "rights"))
			copy(r->rights, sizeof(r->rights), colon + 1);
		else if (!strcmp(tok, "urefs"))
			r->urefs = strtoul(colon + 1, NULL, 10);
		else if (!strcmp(tok, "port"))
			r->port = strtoull(colon + 1, NULL, 10);
	}
}

static const char *field(const struct right *r, const char *key)
{
	int i;

	for (i = 0; i < r->nfields; i++)
		if (!strcmp(r->fields[i].key, key))
			return r->fields[i].value;
	return NULL;
}

static void add_right(struct holder *h, const struct right *r)
{
	h->rights = xrealloc(h->rights, (h->nrights + 1) * sizeof(*r));
	h->rights[h->nrights++] = *r;
}

static void strip_nl(char *s)
{
	s[strcspn(s, "\n")] = 0;
}

/* Read /proc/<pid>/fdinfo/<fd> into @h. Return: 0 or -1. */
static int read_fdinfo(struct holder *h)
{
	char path[64], line[4096];
	struct right r;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", h->pid, h->fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, '\t');

		if (!v)
			continue;
		v++;
		if (!strncmp(line, "name:\t", 6)) {
			parse_name_line(v, &r);
			add_right(h, &r);
		} else if (!strncmp(line, "mailbox-space:", 14)) {
			h->space = strtoull(v, NULL, 10);
		} else if (!strncmp(line, "mailbox-names:", 14)) {
			h->names = strtoul(v, NULL, 10);
		} else if (!strncmp(line, "mailbox-max-names:", 18)) {
			h->max_names = strtoul(v, NULL, 10);
		} else if (!strncmp(line, "mailbox-user:", 13)) {
			strip_nl(v);
			copy(h->user, sizeof(h->user), v);
		} else if (!strncmp(line, "mailbox-user-use:", 17)) {
			strip_nl(v);
			copy(h->use, sizeof(h->use), v);
		} else if (!strncmp(line, "mailbox-names-not-shown:", 24)) {
			h->not_shown = strtoul(v, NULL, 10);
		} else if (!strncmp(line, "mailbox-right:", 14)) {
			memset(&r, 0, sizeof(r));
			strip_nl(v);
			copy(r.rights, sizeof(r.rights), v);
			r.urefs = 1;
			add_right(h, &r);
		} else if (!strncmp(line, "port-id:", 8) && h->nrights) {
			h->rights[h->nrights - 1].port = strtoull(v, NULL, 10);
		}
	}
	fclose(f);
	return 0;
}

static void read_comm(int pid, char *comm, size_t size)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	copy(comm, size, "?");
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(comm, size, f))
		strip_nl(comm);
	fclose(f);
}

/* Every mailbox fd of @pid. Return: 0, or -1 if its fds are unreadable. */
static int scan_pid(int pid)
{
	char path[64], target[256], comm[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -1;
	read_comm(pid, comm, sizeof(comm));
	while ((de = readdir(d))) {
		char link[320];
		struct holder h;
		ssize_t n;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(link, sizeof(link), "%s/%s", path, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		memset(&h, 0, sizeof(h));
		if (!strcmp(target, "/dev/mailbox"))
			h.is_space = true;
		else if (strcmp(target, "anon_inode:[mailbox-right]"))
			continue;
		h.pid = pid;
		h.fd = atoi(de->d_name);
		copy(h.comm, sizeof(h.comm), comm);
		if (read_fdinfo(&h))
			continue;	/* closed meanwhile */
		holders = xrealloc(holders, (nholders + 1) * sizeof(h));
		holders[nholders++] = h;
	}
	closedir(d);
	return 0;
}

static int cmp_holder(const void *a, const void *b)
{
	const struct holder *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->fd < y->fd ? -1 : x->fd > y->fd;
}

/* "key:value" -> @dst (without the key), "" if absent. */
static void kv(const char *line, const char *key, char *dst, size_t size)
{
	const char *p = strstr(line, key);
	size_t n;

	dst[0] = 0;
	if (!p)
		return;
	p += strlen(key);
	n = strcspn(p, " \n");
	if (n >= size)
		n = size - 1;
	memcpy(dst, p, n);
	dst[n] = 0;
}

static void read_registry(const char *dir)
{
	char path[PATH_MAX], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/registry", dir);
	f = fopen(path, "r");
	if (!f)
		return;
	registry_read = true;
	while (fgets(line, sizeof(line), f)) {
		struct service s;

		kv(line, "ipcns:", s.ns, sizeof(s.ns));
		kv(line, " service:", s.name, sizeof(s.name));
		kv(line, " port:", s.port, sizeof(s.port));
		kv(line, " owner:", s.owner, sizeof(s.owner));
		kv(line, " alive:", s.alive, sizeof(s.alive));
		kv(line, " receiver_space:", s.receiver, sizeof(s.receiver));
		services = xrealloc(services, (nservices + 1) * sizeof(s));
		services[nservices++] = s;
	}
	fclose(f);
}

static bool has_right(const struct right *r, const char *kind)
{
	char buf[64], *tok, *save = NULL;

	copy(buf, sizeof(buf), r->rights);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, kind))
			return true;
	return false;
}

static const struct holder *space_by_id(unsigned long long id)
{
	int i;

	for (i = 0; i < nholders; i++)
		if (holders[i].is_space && holders[i].space == id)
			return &holders[i];
	return NULL;
}

static bool is_sender(const struct right *r)
{
	return r->port && (has_right(r, "send") || has_right(r, "send-once"));
}

/* --- plain text ------------------------------------------------------- */

static void print_plain(void)
{
	int i, k, j, l;

	printf("%-7s %-15s %-4s %-6s %-10s %-22s %-5s %-6s %s\n", "PID",
	       "COMMAND", "FD", "SPACE", "NAME", "RIGHTS", "REFS", "PORT",
	       "QUEUE");
	for (i = 0; i < nholders; i++) {
		const struct holder *h = &holders[i];
		char space[24];

		if (h->is_space)
			snprintf(space, sizeof(space), "%llu", h->space);
		else
			copy(space, sizeof(space), "fd");
		if (!h->nrights)
			printf("%-7d %-15s %-4d %-6s %-10s %-22s %-5s %-6s %s\n",
			       h->pid, h->comm, h->fd, space, "-", "(empty)",
			       "-", "-", "-");
		for (k = 0; k < h->nrights; k++) {
			const struct right *r = &h->rights[k];
			const char *mc = field(r, "msgcount");
			const char *ql = field(r, "qlimit");
			const char *set = field(r, "set");
			char name[16], port[24], queue[64];

			if (h->is_space)
				snprintf(name, sizeof(name), "0x%08x", r->name);
			else
				copy(name, sizeof(name), "-");
			if (r->port)
				snprintf(port, sizeof(port), "%llu", r->port);
			else if (set && has_right(r, "port-set"))
				snprintf(port, sizeof(port), "set:%s", set);
			else
				copy(port, sizeof(port), "-");
			if (mc && ql)
				snprintf(queue, sizeof(queue), "%s/%s%s%s", mc,
					 ql, set && strcmp(set, "0") ?
					 " in set:" : "",
					 set && strcmp(set, "0") ? set : "");
			else if (has_right(r, "port-set"))
				snprintf(queue, sizeof(queue),
					 "members:%s ready:%s",
					 field(r, "members") ?: "?",
					 field(r, "ready") ?: "?");
			else
				copy(queue, sizeof(queue), "-");
			printf("%-7d %-15s %-4d %-6s %-10s %-22s %-5lu %-6s %s\n",
			       h->pid, h->comm, h->fd, space, name, r->rights,
			       r->urefs, port, queue);
		}
		if (h->not_shown)
			printf("%-7d %-15s %-4d %-6s (%lu more names not shown)\n",
			       h->pid, h->comm, h->fd, space, h->not_shown);
	}

	printf("\nCONNECTIONS (send rights -> receive right, by port id)\n");
	for (i = 0; i < nholders; i++) {
		for (k = 0; k < holders[i].nrights; k++) {
			const struct right *r = &holders[i].rights[k];
			bool first = true;

			if (!has_right(r, "receive"))
				continue;
			for (j = 0; j < nholders; j++) {
				for (l = 0; l < holders[j].nrights; l++) {
					const struct right *s =
						&holders[j].rights[l];

					if (s->port != r->port || !is_sender(s) ||
					    (j == i && l == k))
						continue;
					if (first)
						printf("port %llu: receive pid %d (%s) fd %d name 0x%08x\n",
						       r->port, holders[i].pid,
						       holders[i].comm,
						       holders[i].fd, r->name);
					first = false;
					printf("  <- %s pid %d (%s) fd %d",
					       s->rights, holders[j].pid,
					       holders[j].comm, holders[j].fd);
					if (holders[j].is_space)
						printf(" name 0x%08x", s->name);
					else
						printf(" (right fd)");
					printf(" refs %lu\n", s->urefs);
				}
			}
		}
	}

	if (!registry_read) {
		printf("\nREGISTRY: not readable (debugfs not mounted or not root)\n");
		return;
	}
	printf("\nREGISTRY\n%-10s %-24s %-6s %-6s %-5s %s\n", "IPCNS",
	       "SERVICE", "PORT", "OWNER", "ALIVE", "RECEIVER");
	for (i = 0; i < nservices; i++) {
		const struct service *s = &services[i];
		const struct holder *h = space_by_id(strtoull(s->receiver,
							      NULL, 10));
		char who[128];

		if (h)
			snprintf(who, sizeof(who), "pid %d (%s) fd %d", h->pid,
				 h->comm, h->fd);
		else
			snprintf(who, sizeof(who), "space %s", s->receiver);
		printf("%-10s %-24s %-6s %-6s %-5s %s\n", s->ns, s->name,
		       s->port, s->owner, s->alive, who);
	}
}

/* --- JSON ------------------------------------------------------------- */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static void json_value(const char *v)
{
	if (is_number(v))
		fputs(v, stdout);
	else
		json_str(v);
}

/* "k:v k:v" as a JSON object. */
static void json_kv_object(const char *text)
{
	char buf[256], *tok, *save = NULL;
	bool first = true;

	copy(buf, sizeof(buf), text);
	putchar('{');
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		char *colon = strchr(tok, ':');

		if (!colon)
			continue;
		*colon = 0;
		printf("%s", first ? "" : ", ");
		json_str(tok);
		printf(": ");
		json_value(colon + 1);
		first = false;
	}
	putchar('}');
}

static void json_rights_array(const char *rights)
{
	char buf[64], *tok, *save = NULL;
	bool first = true;

	copy(buf, sizeof(buf), rights);
	putchar('[');
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		printf("%s", first ? "" : ", ");
		json_str(tok);
		first = false;
	}
	putchar(']');
}

static void json_ref(const struct holder *h, const struct right *r)
{
	printf("{\"pid\": %d, \"comm\": ", h->pid);
	json_str(h->comm);
	printf(", \"fd\": %d", h->fd);
	if (h->is_space)
		printf(", \"space\": %llu, \"name\": \"0x%08x\"", h->space,
		       r->name);
	printf(", \"rights\": ");
	json_rights_array(r->rights);
	printf(", \"urefs\": %lu}", r->urefs);
}

static void print_json(void)
{
	int i, k, j, l, f;
	bool first_port = true;

	printf("{\n  \"holders\": [");
	for (i = 0; i < nholders; i++) {
		const struct holder *h = &holders[i];

		printf("%s\n    {\"pid\": %d, \"comm\": ", i ? "," : "", h->pid);
		json_str(h->comm);
		printf(", \"fd\": %d, \"kind\": \"%s\"", h->fd,
		       h->is_space ? "space" : "right-fd");
		if (h->is_space) {
			printf(", \"space\": %llu, \"names\": %lu, \"max_names\": %lu, \"names_not_shown\": %lu, \"user\": ",
			       h->space, h->names, h->max_names, h->not_shown);
			json_kv_object(h->user);
			printf(", \"user_use\": ");
			json_kv_object(h->use);
		}
		printf(", \"rights\": [");
		for (k = 0; k < h->nrights; k++) {
			const struct right *r = &h->rights[k];

			printf("%s\n      {", k ? "," : "");
			if (h->is_space)
				printf("\"name\": \"0x%08x\", ", r->name);
			printf("\"rights\": ");
			json_rights_array(r->rights);
			printf(", \"urefs\": %lu, \"port\": %llu", r->urefs,
			       r->port);
			for (f = 0; f < r->nfields; f++) {
				const char *key = r->fields[f].key;

				if (!strcmp(key, "rights") ||
				    !strcmp(key, "urefs") ||
				    !strcmp(key, "port"))
					continue;
				printf(", ");
				json_str(key);
				printf(": ");
				json_value(r->fields[f].value);
			}
			putchar('}');
		}
		printf("%s]}", h->nrights ? "\n    " : "");
	}
	printf("\n  ],\n  \"ports\": [");
	for (i = 0; i < nholders; i++) {
		for (k = 0; k < holders[i].nrights; k++) {
			const struct right *r = &holders[i].rights[k];
			bool first = true;

			if (!has_right(r, "receive"))
				continue;
			printf("%s\n    {\"port\": %llu, \"receiver\": ",
			       first_port ? "" : ",", r->port);
			first_port = false;
			json_ref(&holders[i], r);
			printf(", \"senders\": [");
			for (j = 0; j < nholders; j++) {
				for (l = 0; l < holders[j].nrights; l++) {
					const struct right *s =
						&holders[j].rights[l];

					if (s->port != r->port || !is_sender(s) ||
					    (j == i && l == k))
						continue;
					printf("%s", first ? "" : ", ");
					first = false;
					json_ref(&holders[j], s);
				}
			}
			printf("]}");
		}
	}
	printf("\n  ],\n  \"registry\": ");
	if (!registry_read) {
		printf("null\n}\n");
		return;
	}
	putchar('[');
	for (i = 0; i < nservices; i++) {
		const struct service *s = &services[i];
		const struct holder *h = space_by_id(strtoull(s->receiver,
							      NULL, 10));

		printf("%s\n    {\"ipcns\": ", i ? "," : "");
		json_value(s->ns);
		printf(", \"service\": ");
		json_str(s->name);
		printf(", \"port\": ");
		json_value(s->port);
		printf(", \"owner\": ");
		json_value(s->owner);
		printf(", \"alive\": %s, \"receiver_space\": ",
		       strcmp(s->alive, "1") ? "false" : "true");
		json_value(s->receiver);
		if (h)
			printf(", \"receiver_pid\": %d, \"receiver_fd\": %d",
			       h->pid, h->fd);
		putchar('}');
	}
	printf("%s]\n}\n", nservices ? "\n  " : "");
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailbox-lsmp [-p PID]... [--json] [--no-registry] [--debugfs DIR]\n"
		"List the mailbox spaces, rights and ports of processes (all by default).\n");
}

int main(int argc, char **argv)
{
	const char *debugfs = "/sys/kernel/debug/mailbox";
	bool json = false, registry = true;
	int *pids = NULL, npids = 0, i, ret = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--no-registry")) {
			registry = false;
		} else if (!strcmp(argv[i], "--debugfs") && i + 1 < argc) {
			debugfs = argv[++i];
		} else if (!strcmp(argv[i], "-p") && i + 1 < argc) {
			char *end;
			long pid = strtol(argv[++i], &end, 10);

			if (*end || pid <= 0 || pid > INT_MAX) {
				usage(stderr);
				return 1;
			}
			pids = xrealloc(pids, (npids + 1) * sizeof(*pids));
			pids[npids++] = pid;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 1;
		}
	}

	if (npids) {
		for (i = 0; i < npids; i++) {
			if (scan_pid(pids[i])) {
				fprintf(stderr, "mailbox-lsmp: cannot read /proc/%d/fd: %s\n",
					pids[i], strerror(errno));
				ret = 2;
			}
		}
	} else {
		DIR *d = opendir("/proc");
		struct dirent *de;

		if (!d) {
			perror("mailbox-lsmp: /proc");
			return 2;
		}
		while ((de = readdir(d)))
			if (isdigit((unsigned char)de->d_name[0]))
				scan_pid(atoi(de->d_name));
		closedir(d);
	}
	qsort(holders, nholders, sizeof(*holders), cmp_holder);
	if (registry)
		read_registry(debugfs);
	if (json)
		print_json();
	else
		print_plain();
	free(pids);
	return ret;
}
