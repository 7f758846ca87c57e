/*
 * confine: the confinement of every process of a subhost (docs/security.md).
 *
 * One small C API, used in one order by the two programs that start a subhost's
 * processes: pid 1 (subhost-init) before it runs the init script, and the trampoline that
 * processes entering later (overlay-go, Subhost.exec, the services' stops) pass through.
 * Both read the same command-line form:
 *
 *   --caps HEXMASK      capabilities kept in the bounding set (bit N = capability N);
 *                       default CONFINE_CAPS_DEFAULT
 *   --seccomp on|off    the system call filter; default on
 *   --files on|off      /proc/sys, /sys read-only and /proc's kernel files masked (only
 *                       pid 1 mounts them, in the subhost's mount namespace); default on
 *
 * Order of use:
 *   struct confinement c = CONFINE_DEFAULTS;
 *   confine_option(&c, "--caps", "a80425fb", error, sizeof error);  // for each option
 *   confine_files(&c, error, sizeof error);  // pid 1 only, after /proc is mounted
 *   confine_apply(&c, error, sizeof error);  // last: needs CAP_SYS_ADMIN for the filter
 *   execve(...);                             // the program gets the kept capabilities
 *
 * confine_apply installs the filter first (a process may install one without
 * no_new_privs only while it holds CAP_SYS_ADMIN, and no_new_privs would break setuid
 * programs such as su and sudo), then drops the bounding set, clears the ambient and
 * inheritable sets and reduces the process's own effective and permitted sets to the kept
 * ones, so that nothing of the subhost can borrow the caller's capabilities by ptrace.
 * Everything is inherited across fork and execve; nothing can be given back afterwards.
 *
 * Each function returns 0, or a negative errno with `error` holding the failed call and
 * its argument (for instance "prctl(PR_CAPBSET_DROP, 21)"); the caller adds the reason.
 */
#ifndef SUBHOST_CONFINE_H
#define SUBHOST_CONFINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFINE_CAP(n) (UINT64_C(1) << (n))

/* The capabilities that a service subhost keeps (CAPABILITIES unset or "default"); see
 * docs/security.md for each one's reason. Capability numbers as in linux/capability.h. */
#define CONFINE_CAPS_DEFAULT ( \
	CONFINE_CAP(0)  /* CHOWN */ | CONFINE_CAP(1) /* DAC_OVERRIDE */ | \
	CONFINE_CAP(3)  /* FOWNER */ | CONFINE_CAP(4) /* FSETID */ | CONFINE_CAP(5) /* KILL */ | \
	CONFINE_CAP(6)  /* SETGID */ | CONFINE_CAP(7) /* SETUID */ | CONFINE_CAP(8) /* SETPCAP */ | \
	CONFINE_CAP(10) /* NET_BIND_SERVICE */ | CONFINE_CAP(11) /* NET_BROADCAST */ | \
	CONFINE_CAP(12) /* NET_ADMIN */ | CONFINE_CAP(13) /* NET_RAW */ | \
	CONFINE_CAP(14) /* IPC_LOCK */ | CONFINE_CAP(15) /* IPC_OWNER */ | \
	CONFINE_CAP(18) /* SYS_CHROOT */ | CONFINE_CAP(23) /* SYS_NICE */ | \
	CONFINE_CAP(24) /* SYS_RESOURCE */ | CONFINE_CAP(26) /* SYS_TTY_CONFIG */ | \
	CONFINE_CAP(28) /* LEASE */ | CONFINE_CAP(29) /* AUDIT_WRITE */ | CONFINE_CAP(31) /* SETFCAP */)

/* CAPABILITIES=admin, systemd-nspawn's level (protection against accidents, not attacks):
 * the default plus SYS_ADMIN (mounts: an init system, nested subhosts, FUSE), SYS_BOOT
 * (reboot(2) ends the subhost's own pid namespace) and SYS_PTRACE. */
#define CONFINE_CAPS_ADMIN (CONFINE_CAPS_DEFAULT | CONFINE_CAP(21) | CONFINE_CAP(22) | CONFINE_CAP(19))

/* CAPABILITIES=all: the bounding set is left as it is (the old tool's behaviour). */
#define CONFINE_CAPS_ALL (~UINT64_C(0))

/* Bit 63 is no capability (the kernel's last is 40): only the level all sets it, with every
 * bit above the kernel's last capability ("all -sys_module" keeps it), while default and
 * admin, with any +name, never do. The filter reads it as "the level is all". */
#define CONFINE_LEVEL_ALL CONFINE_CAP(63)

/** What confine_files and confine_apply do. */
struct confinement {
	uint64_t caps;  /* bounding set kept: bit N is capability N */
	bool seccomp;   /* install the system call filter */
	bool files;     /* read-only and masked kernel files (confine_files) */
};

#define CONFINE_DEFAULTS ((struct confinement){ CONFINE_CAPS_DEFAULT, true, true })

/*
 * Reads one option of the command-line form above. Returns 1 when `option` is one of
 * them and `value` is good, 0 when `option` is not a confinement option (the caller goes
 * on with its own), and -EINVAL with `error` set when the value is missing or bad.
 */
int confine_option(struct confinement *confinement, const char *option, const char *value, char *error,
		   size_t size);

/*
 * The filesystem part, in the calling process's mount namespace (the subhost's: the
 * host's is never touched), after /proc is mounted and before the capabilities are
 * dropped (mounting needs CAP_SYS_ADMIN). Nothing when `files` is off. Paths the kernel
 * lacks are skipped; /dev/null must be the null device (1:3), which masks files.
 */
int confine_files(const struct confinement *confinement, char *error, size_t size);

/* The filter and the capabilities, for the calling process and everything it starts. */
int confine_apply(const struct confinement *confinement, char *error, size_t size);

/*
 * The confinement of a helper process of ours that runs inside the subhost and needs no
 * capability at all (the console relay of an init system): no_new_privs, the system call
 * filter as for a subhost that keeps nothing, and every capability dropped from every set,
 * whatever the subhost's own confinement (SECCOMP=off and CAPABILITIES=all included).
 */
int confine_helper(char *error, size_t size);

/* Writes the command-line form of `confinement` ("--caps HEX --seccomp on --files on"). */
void confine_describe(const struct confinement *confinement, char *text, size_t size);

#endif
