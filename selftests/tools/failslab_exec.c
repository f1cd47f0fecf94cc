// SPDX-License-Identifier: GPL-2.0
/*
 * failslab_exec PROGRAM [ARGS...]: run PROGRAM with failslab's task filter
 * on (/proc/PID/make-it-fail) from its first instruction after execve(),
 * so the exec itself is not failed. Its threads and children inherit the
 * flag. Exit status: PROGRAM's, or 128 + signal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char path[64];
	int status;
	FILE *f;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PROGRAM [ARGS...]\n", argv[0]);
		return 2;
	}
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execv(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	/* Stopped by the SIGTRAP of a successful execve(). */
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		return 2;
	snprintf(path, sizeof(path), "/proc/%d/make-it-fail", pid);
	f = fopen(path, "w");
	if (!f || fputs("1\n", f) < 0 || fclose(f)) {
		perror(path);
		kill(pid, SIGKILL);
		return 2;
	}
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	if (waitpid(pid, &status, 0) != pid)
		return 2;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
