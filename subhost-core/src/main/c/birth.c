/*
 * Birth in the subhost's control groups: see birth.h for why and how.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "birth.h"
#include "util.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL /* Linux 5.7; older libc headers lack it */
#endif

/* clone3's argument (linux/sched.h), version 2 with the cgroup: musl has no such header. */
struct clone_args_v2 {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};

int birth_option(struct birth *b, int argc, char **argv, int i)
{
	if (i + 1 >= argc)
		return 0;
	if (strcmp(argv[i], "--cgroup-fd") == 0) {
		b->cgroup_fd = (int)parse_number(argv[i], argv[i + 1], 1023);
		return 2;
	}
	if (strcmp(argv[i], "--tasks-fd") == 0) {
		if (b->ntasks == BIRTH_MAX_TASKS)
			usage("more than 16 --tasks-fd");
		b->tasks_fd[b->ntasks++] = (int)parse_number(argv[i], argv[i + 1], 1023);
		return 2;
	}
	return 0;
}

/* Says why `fd`'s group refused (errno `error`) on stderr and, as "!FD ERRNO", on the report descriptor. */
static void refused(const struct birth *b, const char *what, int fd, int error)
{
	say("%s (descriptor %d): %s", what, fd, reason(error));
	if (b->report_fd >= 0) {
		char text[32];
		int n = snprintf(text, sizeof text, "!%d %d\n", fd, error);
		if (write(b->report_fd, text, (size_t)n) != n)
			say("write to the report descriptor %d: %s", b->report_fd, reason(errno));
	}
}

pid_t birth_clone(const struct birth *b, unsigned long flags)
{
	struct clone_args_v2 args;
	memset(&args, 0, sizeof args);
	args.flags = flags;
	/* With CLONE_PARENT the child's exit signal is the parent's own, and clone3 wants 0 here. */
	args.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD;
	if (b->cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)b->cgroup_fd;
	}
	long pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid < 0) {
		refused(b, b->cgroup_fd >= 0 ? "clone3 into the v2 control group (CLONE_INTO_CGROUP, Linux 5.7)"
					     : "clone3", b->cgroup_fd, errno);
		return -1;
	}
	if (pid > 0)
		return (pid_t)pid;
	/* The child, before anything else: into each v1 group. "0" is the writing thread, the
	 * child's only one, which Linux 5.16 moves without the threadgroup lock. The child, not
	 * the parent: the parent stays where it is (a PIDS_MAX of 1 holds the child alone). */
	for (int i = 0; i < b->ntasks; i++) {
		if (write(b->tasks_fd[i], "0", 1) != 1) {
			refused(b, "move into a v1 control group (0 into its tasks)", b->tasks_fd[i], errno);
			_exit(1);
		}
	}
	return 0;
}

void birth_close(const struct birth *b)
{
	if (b->cgroup_fd >= 0)
		close(b->cgroup_fd);
	for (int i = 0; i < b->ntasks; i++)
		close(b->tasks_fd[i]);
}

void launch_main(int argc, char **argv)
{
	struct birth b = BIRTH_NONE;
	int program_fd = -1;
	int i = 2;
	for (; i < argc && strcmp(argv[i], "--") != 0;) {
		int taken = birth_option(&b, argc, argv, i);
		if (taken == 0 && i + 1 < argc && strcmp(argv[i], "--report-fd") == 0) {
			b.report_fd = (int)parse_number(argv[i], argv[i + 1], 1023);
			taken = 2;
		} else if (taken == 0 && i + 1 < argc && strcmp(argv[i], "--program-fd") == 0) {
			program_fd = (int)parse_number(argv[i], argv[i + 1], 1023);
			taken = 2;
		}
		if (taken == 0) {
			say("option (%s) is not known or lacks its value; usage: subhost-init --launch --program-fd N"
			    " --report-fd N [--cgroup-fd N] [--tasks-fd N]... -- PID-1-OPTIONS...", argv[i]);
			exit(EXIT_USAGE);
		}
		i += taken;
	}
	if (i == argc || b.report_fd < 0 || program_fd < 0)
		usage("--launch needs --program-fd N, --report-fd N and \"--\" before pid 1's options");
	/* CLONE_PARENT: pid 1 is the SDK's child, as if the SDK had spawned it; this launcher
	 * only stands between them for the clone. CLONE_NEWPID: it is pid 1. */
	pid_t pid = birth_clone(&b, CLONE_PARENT | CLONE_NEWPID);
	if (pid < 0)
		exit(1);
	if (pid > 0) {
		char text[16];
		int n = snprintf(text, sizeof text, "%d\n", (int)pid);
		if (write(b.report_fd, text, (size_t)n) != n) {
			say("write pid 1's pid to the report descriptor %d: %s", b.report_fd, reason(errno));
			kill(pid, SIGKILL);
			_exit(1);
		}
		_exit(0);
	}
	close(b.report_fd);
	birth_close(&b);
	/* The launcher was its session's leader (the SDK asked for one); pid 1 leads its own. */
	if (setsid() < 0)
		say("setsid: %s", reason(errno));
	/* pid 1 runs as its own program, with its own command line (ps shows it): argv[0], then
	 * what follows "--". The program's descriptor goes with the exec (an ELF program may be
	 * run from a close-on-exec one). */
	argv[i] = argv[0];
	fcntl(program_fd, F_SETFD, FD_CLOEXEC);
	fexecve(program_fd, argv + i, environ);
	say("exec of pid 1 (descriptor %d): %s", program_fd, reason(errno));
	_exit(127);
}
