/*
 * What the parts of subhost-init share: its messages. Each .c file under src/main/c is one
 * mode or concern of the same static program (see subhost-init.c for pid 1).
 */
#ifndef SUBHOST_INIT_H
#define SUBHOST_INIT_H

/* The NAME in "subhost-init[NAME]: " before every line; "subhost" until --name is read. */
extern const char *log_name;

/* One line on standard error, as one write(2), prefixed with "subhost-init[NAME]: ". */
void say(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* "ENOENT (No such file or directory)": an errno's name and text, for messages. */
const char *reason(int error);

/* Parses a decimal number from 0 to max for option, or exits with status 2 (usage). */
long parse_number(const char *option, const char *text, long max);

/*
 * The enter mode (enter.c): a process that enters a running subhost from the host. Called
 * by main when argv[1] is "--enter"; never returns.
 */
int enter_main(int argc, char **argv) __attribute__((noreturn));

/* Exit status of a command that passed its time limit, as timeout(1) gives. */
#define EXIT_TIMED_OUT 124

/*
 * Runs PROGRAM (argv, NULL-terminated, found on the PATH) in a session of its own for at
 * most `seconds`, then kills its process group; returns its status (128 + signal when
 * killed), EXIT_TIMED_OUT after the limit. subhost-init.c.
 */
int run_limited(long seconds, char **program);

/*
 * The built-in init (services.c): starts each of the NULL-terminated `services` in order
 * under run_limited, says so in LOG and tells each state on `status_fd` (-1: nowhere).
 */
int start_services(char *const *services, long limit, int status_fd);

/* The log relay (relay.c), when argv[1] is "--log-relay"; never returns. */
int relay_main(int argc, char **argv) __attribute__((noreturn));

#endif
