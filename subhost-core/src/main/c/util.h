/*
 * What every mode of subhost-init uses (pid 1 in subhost-init.c, enter.c, relay.c,
 * services.c): its messages, the numbers of its command lines, and the time limit that
 * the built-in init puts around each service's start. The modes themselves, which main
 * dispatches to, are declared in subhost-init.h.
 *
 * Order of use: a mode sets log_name as soon as it has read --name, so that every line
 * after it carries the subhost's NAME; main sets usage_line before any option is read, so
 * that a bad number on any command line ends with it.
 */
#ifndef SUBHOST_UTIL_H
#define SUBHOST_UTIL_H

#include <signal.h>
#include <stddef.h>

/* Exit status for a wrong command line. */
#define EXIT_USAGE 2

/* Exit status of a command that passed its time limit, as timeout(1) gives. */
#define EXIT_TIMED_OUT 124

/* The NAME in "subhost-init[NAME]: " before every line; "subhost" until --name is read. */
extern const char *log_name;

/* The usage text that usage() prints after the problem (main sets pid 1's). */
extern const char *usage_line;

/* One line on standard error, as one write(2), prefixed with "subhost-init[NAME]: ". */
void say(const char *format, ...) __attribute__((format(printf, 1, 2)));

/*
 * Writes the message (printf-style, at most `size` bytes with its NUL) into `error` and
 * returns -errnum: how the helpers that report to a caller (confine.c, device.c,
 * init-system.c) fail, leaving the saying to that caller.
 */
int fail(char *error, size_t size, int errnum, const char *format, ...) __attribute__((format(printf, 4, 5)));

/* "ENOENT (No such file or directory)": an errno's name and text, for messages. */
const char *reason(int error);

/* Says "PROBLEM; USAGE-LINE" and exits with EXIT_USAGE. */
void usage(const char *problem) __attribute__((noreturn));

/* Parses a decimal number from 0 to max for option, or says why not and calls usage(). */
long parse_number(const char *option, const char *text, long max);

/* CLOCK_MONOTONIC in milliseconds: for deadlines, which a change of the wall clock must not move. */
long now_millis(void);

/*
 * Waits up to `millis` for one of the `blocked` signals (blocked, so that they queue up);
 * returns it, or 0 after the timeout or an interruption by a stop/continue.
 */
int wait_for_signal(const sigset_t *blocked, long millis);

/*
 * Waits as wait_for_signal does, and fills `info` with what came with the signal (the
 * sender's si_code, si_pid and value: sigtimedwait(2)); `info` is undefined after 0.
 */
int wait_for_signal_info(const sigset_t *blocked, long millis, siginfo_t *info);

/*
 * The --limit mode: runs PROGRAM (argv, NULL-terminated, found on the PATH) in a session of
 * its own for at most `seconds`; when it has not exited by then, its whole process group
 * gets SIGKILL. Returns its status (128 + signal when killed), EXIT_TIMED_OUT after the
 * limit, 126 when it could not be started. A service that daemonised in time keeps
 * running: only a late start is killed.
 */
int run_limited(long seconds, char **program);

#endif
