/*
 * The built-in init's services (services.c), run by pid 1 itself: START's init.d scripts
 * and systemd units, each started in order, supervised (Restart=), and stopped in reverse
 * order at the shutdown. pid 1's loop (subhost-init.c) calls these; nothing here waits
 * for long, except services_stop_all, which pid 1 calls when it shuts down.
 *
 * The services come from a table that the SDK checked on the host side and handed over in a
 * sealed memfd (services_load_table; the form is in ServiceTable.java), or from START's
 * names alone (services_load_names: each an init.d script, as before units were read).
 */
#ifndef SUBHOST_SERVICES_H
#define SUBHOST_SERVICES_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* Reads the table from `fd` (at most 1 MiB); exits with status 1 when it is malformed. */
void services_load_table(int fd);

/* One init.d service per name (NULL-terminated), each start limited to `seconds`. */
void services_load_names(char *const *names, long seconds);

/*
 * Starts the first service. `status_fd` gets a line "NAME STATE" for every change of state
 * (-1: nowhere); `ready_fd` gets a line "NAME STATE" when each START service has started
 * or failed, and is closed once all have (-1: nowhere). `original` is the signal mask that
 * the services' processes get.
 */
void services_begin(int status_fd, int ready_fd, const sigset_t *original);

/* Tells the service whose process `pid` was that it ended; false when it was no service's. */
bool services_reaped(pid_t pid, int status);

/* Starts, restarts and times out what is due, reads notifications; returns the milliseconds
 * until the next thing due (at most `cap`). */
long services_tick(long cap);

/*
 * Opens the control channel: a SOCK_SEQPACKET socketpair whose one end pid 1 reads requests
 * on, and whose other end it keeps at descriptor `number` (close-on-exec), for the host to
 * take with pidfd_getfd(2). A request is "ID VERB NAME" (VERB: start, stop, restart); the
 * answer "ID NAME STATE" once the request has led to a state that is not a step on the way
 * (starting, stopping), or "ID ! REASON" when it is refused. Nothing when it cannot be made
 * (a line in LOG says so).
 */
void services_control_open(int number);

/* SIGUSR2 (from an older SDK's stop, which stopped the init.d services itself before it asked
 * pid 1 to shut down): no service is restarted any more. */
void services_hold(void);

/* Whether there is any START service at all. */
bool services_any(void);

/* Whether every START service has started or failed. */
bool services_settled(void);

/* Whether a unit's (or a supervised script's) service is running or waiting for its restart,
 * or any service is stopping (pid 1 must stay for it). */
bool services_supervising(void);

/*
 * Stops every START service in reverse START order, whatever its kind, each only when the one
 * after it in START has stopped: an init.d script by its stop (`service NAME stop`, `PATH
 * stop`), a unit by ExecStop=, KillSignal= to its processes and SIGKILL after
 * TimeoutStopSec=; all of it before `deadline` (CLOCK_MONOTONIC milliseconds), reaping every
 * child meanwhile. Nothing is started or restarted from then on, and requests are refused.
 */
void services_stop_all(const sigset_t *blocked, long deadline);

/* --start-services: the services in the calling process, a subreaper, for tests (with
 * --control-fd, it stays until SIGTERM); returns its exit status. */
int services_test_main(int status_fd);

#endif
