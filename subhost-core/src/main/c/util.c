/* See util.h. */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *log_name = "subhost";
const char *usage_line = "";

#ifndef __GLIBC__
/*
 * Built against musl (statically, see subhost-core/pom.xml), which lacks glibc's
 * strerrorname_np: the names of the errors this program can meet. NULL for others, which
 * are then printed as "errno".
 */
static const char *strerrorname_np(int error)
{
	static const struct { int number; const char *name; } names[] = {
		{EPERM, "EPERM"}, {ENOENT, "ENOENT"}, {ESRCH, "ESRCH"}, {EINTR, "EINTR"},
		{EIO, "EIO"}, {ENXIO, "ENXIO"}, {E2BIG, "E2BIG"}, {ENOEXEC, "ENOEXEC"},
		{EBADF, "EBADF"}, {ECHILD, "ECHILD"}, {EAGAIN, "EAGAIN"}, {ENOMEM, "ENOMEM"},
		{EACCES, "EACCES"}, {EFAULT, "EFAULT"}, {EBUSY, "EBUSY"}, {EEXIST, "EEXIST"},
		{ENODEV, "ENODEV"}, {ENOTDIR, "ENOTDIR"}, {EISDIR, "EISDIR"}, {EINVAL, "EINVAL"},
		{ENFILE, "ENFILE"}, {EMFILE, "EMFILE"}, {ETXTBSY, "ETXTBSY"}, {ENOSPC, "ENOSPC"},
		{EROFS, "EROFS"}, {EPIPE, "EPIPE"}, {ENAMETOOLONG, "ENAMETOOLONG"}, {ENOSYS, "ENOSYS"},
		{ELOOP, "ELOOP"}, {EUSERS, "EUSERS"}, {EOPNOTSUPP, "EOPNOTSUPP"},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].number == error)
			return names[i].name;
	return NULL;
}
#endif

/* One write(2) per line: the LOG file is shared with the services (O_APPEND). */
void say(const char *format, ...)
{
	char line[512];
	const int last = sizeof line - 2; /* room for the newline */
	int n = snprintf(line, sizeof line - 1, "subhost-init[%s]: ", log_name);
	n = n < 0 ? 0 : n > last ? last : n;
	va_list args;
	va_start(args, format);
	int m = vsnprintf(line + n, sizeof line - 1 - n, format, args);
	va_end(args);
	n += m < 0 ? 0 : m;
	n = n > last ? last : n; /* a truncated line is still one line */
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* Nowhere left to report it: the LOG file is our only channel. */
	}
}

/* "ENOENT (No such file or directory)" */
const char *reason(int error)
{
	static char text[128];
	const char *name = strerrorname_np(error);
	snprintf(text, sizeof text, "%s (%s)", name ? name : "errno", strerror(error));
	return text;
}

void usage(const char *problem)
{
	say("%s; %s", problem, usage_line);
	exit(EXIT_USAGE);
}

long parse_number(const char *option, const char *text, long max)
{
	char *end;
	errno = 0;
	long value = text ? strtol(text, &end, 10) : -1;
	if (text == NULL || errno != 0 || end == text || *end != '\0' || value < 0 || value > max) {
		say("%s (%s) must be a number from 0 to %ld", option, text ? text : "missing", max);
		usage("bad command line");
	}
	return value;
}

long now_millis(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec * 1000L + now.tv_nsec / 1000000L;
}

/* Waits up to the given time for one signal; returns it, or 0 after the timeout. */
int wait_for_signal(const sigset_t *blocked, long millis)
{
	return wait_for_signal_info(blocked, millis, NULL);
}

int wait_for_signal_info(const sigset_t *blocked, long millis, siginfo_t *info)
{
	struct timespec timeout = { millis / 1000, (millis % 1000) * 1000000L };
	int sig = sigtimedwait(blocked, info, &timeout);
	if (sig < 0 && errno != EAGAIN && errno != EINTR) {
		/* EAGAIN: the timeout passed; EINTR: a stop/continue interrupted the wait. */
		say("sigtimedwait: %s", reason(errno));
	}
	return sig < 0 ? 0 : sig;
}

int fail(char *error, size_t size, int errnum, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vsnprintf(error, size, format, args);
	va_end(args);
	return -errnum;
}

/* The --limit mode; see util.h, and the head of subhost-init.c for its command line. */
int run_limited(long seconds, char **program)
{
	sigset_t chld, original;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	/* Blocked before the fork, so that the child's exit is queued for sigtimedwait. */
	sigprocmask(SIG_BLOCK, &chld, &original);
	pid_t pid = fork();
	if (pid < 0) {
		say("fork for %s: %s", program[0], reason(errno));
		return 126;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &original, NULL);
		setsid(); /* its own process group, so that a late start can be killed whole */
		execvp(program[0], program);
		int error = errno;
		say("execvp %s: %s", program[0], reason(error));
		_exit(error == ENOENT ? 127 : 126);
	}
	long deadline = now_millis() + seconds * 1000;
	for (;;) {
		int status;
		pid_t done = waitpid(pid, &status, WNOHANG);
		if (done == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (done < 0 && errno != EINTR) {
			say("waitpid %d: %s", (int)pid, reason(errno));
			return 126;
		}
		long left = deadline - now_millis();
		if (left <= 0)
			break;
		wait_for_signal(&chld, left < 1000 ? left : 1000);
	}
	/* The group, or the child alone if it was killed before its setsid. */
	if (kill(-pid, SIGKILL) < 0)
		kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* Not "PROGRAM ...": a line "service ..." would read as a service's state in LOG. */
	say("time limit (%ld s) passed: killed %s and its process group", seconds, program[0]);
	return EXIT_TIMED_OUT;
}
