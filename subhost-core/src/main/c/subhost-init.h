/*
 * The modes of subhost-init that main (subhost-init.c) dispatches to, each in a file of its
 * own; all of them one static program. What every mode uses (messages, numbers, the time
 * limit of a command) is in util.h.
 */
#ifndef SUBHOST_INIT_H
#define SUBHOST_INIT_H

/*
 * The enter mode (enter.c): a process that enters a running subhost from the host. Called
 * by main when argv[1] is "--enter"; never returns.
 */
int enter_main(int argc, char **argv) __attribute__((noreturn));

/* The built-in init's services (services.c) are pid 1's own: see services.h. */

/* The log relay (relay.c), when argv[1] is "--log-relay"; never returns. */
int relay_main(int argc, char **argv) __attribute__((noreturn));

#endif
