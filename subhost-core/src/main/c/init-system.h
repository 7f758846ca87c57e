/*
 * init-system: what pid 1 of a subhost does before it makes an init system (systemd,
 * sysvinit, ...) pid 1 in its place with --exec: the parts of systemd's Container
 * Interface (docs/configuration.md, "An init system as pid 1") that only a process inside
 * the subhost's pid, mount and cgroup namespaces can set up.
 *
 * Order of use, in pid 1, after the cgroup namespace is entered (so that the cgroup2
 * mount shows the subhost's own group as its root) and before the capabilities are
 * dropped (mounting needs CAP_SYS_ADMIN):
 *
 *   init_system_cgroup(error, sizeof error);   // cgroup2 on /sys/fs/cgroup
 *   init_system_console(error, sizeof error);  // /dev/console: a pty copied to stdout
 *   ... confine_apply ...
 *   init_system_exec(program, original_mask);  // never returns but on failure
 *
 * Each function returns 0, or a negative errno with `error` holding the failed call.
 */
#ifndef SUBHOST_INIT_SYSTEM_H
#define SUBHOST_INIT_SYSTEM_H

#include <signal.h>
#include <stddef.h>

/* The value of the environment variable "container" that the init system gets: systemd
 * reads it to know that it runs in a container (systemd-detect-virt prints
 * "container-other" for a name it does not know). */
#define INIT_SYSTEM_CONTAINER "subhost"

/*
 * A writable cgroup2 file system on /sys/fs/cgroup: the subhost's own group and what is
 * below it, which the init system manages (systemd puts itself into init.scope and each
 * service into a group of its own). The tmpfs or read-only sysfs under it is left as it
 * is; only the mount point is used. The bounds that the host side wrote on the subhost's
 * group (cgroup.max.depth, cgroup.max.descendants) are bound read-only over themselves.
 */
int init_system_cgroup(char *error, size_t size);

/*
 * /dev/console as a pseudo-terminal of the subhost's own devpts instead of the host's
 * console device: its slave is bound on /dev/console, and a child of pid 1 (which the init
 * system inherits) copies what is written there to pid 1's standard output, the LOG. The
 * child keeps a slave open too, so that the master never reads end of file. The ptmx and
 * /dev/console are opened as device.h says (no symbolic link; the ptmx's numbers checked);
 * the child confines itself (confine_helper: no capability, the filter) before it relays,
 * and the boot fails when it cannot.
 */
int init_system_console(char *error, size_t size);

/*
 * Replaces pid 1 with `program` (the init script, whose last command execs the init
 * system), with the signal mask and dispositions of an ordinary process and "container"
 * in its environment. Returns only when the exec fails, with the negative errno.
 */
int init_system_exec(char **program, const sigset_t *original_mask, char *error, size_t size);

#endif
