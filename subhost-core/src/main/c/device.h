/*
 * device: how a process of ours that is not confined yet (pid 1 before it confines itself,
 * an entering process before its exec) opens a device node of the subhost's tree, which
 * the subhost's root controls: /dev/null, /dev/ptmx, /dev/console.
 *
 * The path is resolved by openat2(2) in the calling process's root (the subhost's, after
 * the switch of root or the setns into its mount namespace) with RESOLVE_NO_SYMLINKS:
 * a symbolic link anywhere on the way is refused, never followed. It is first opened with
 * O_PATH, which runs no driver's open, and checked to be the character device asked for
 * (and, for a terminal, on a devpts filesystem); only then is it opened for use, and that
 * open checked to be the same inode. A node that root inside put there (a link to a FIFO
 * that would hang us, to a file of its choice, a planted watchdog or kmsg node) is never
 * opened for use.
 *
 * Each function returns a descriptor, or a negative errno with `error` holding what failed
 * and why, for instance "/dev/null is a symbolic link, not the null device (1:3)".
 */
#ifndef SUBHOST_DEVICE_H
#define SUBHOST_DEVICE_H

#include <stddef.h>

/* devpts's f_type (linux/magic.h), which musl does not ship. */
#define DEVICE_DEVPTS_MAGIC 0x1cd1L

/*
 * Opens `path` (absolute, in the caller's root) with `flags` (O_CLOEXEC is added) when it
 * is the character device major:minor, on a filesystem of type `fs_magic` unless that is 0.
 * `what` names the device in messages ("the null device").
 */
int device_open(const char *path, int flags, unsigned major, unsigned minor, long fs_magic, const char *what,
		char *error, size_t size);

/* The subhost's /dev/null (1:3), for reading and writing. */
int device_open_null(char *error, size_t size);

/* The ptmx of the subhost's devpts (/dev/pts/ptmx, 5:2 on devpts), read-write, no controlling terminal. */
int device_open_ptmx(char *error, size_t size);

/*
 * An O_PATH descriptor of `path` (absolute, in the caller's root) with no symbolic link on
 * the way, for a mount onto it (move_mount with MOVE_MOUNT_T_EMPTY_PATH); -ENOENT when it
 * does not exist.
 */
int device_path(const char *path, char *error, size_t size);

#endif
