/* See device.h. */
#define _GNU_SOURCE
#include "device.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437 /* Linux 5.6, the same number on every architecture */
#endif

/* linux/openat2.h, which musl does not ship. */
struct how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04

/* An absolute path starts at the caller's root, and ".." stops there: the subhost's. A link
 * as the last component fails with ELOOP too (no O_NOFOLLOW, which with O_PATH would open
 * the link itself). */
static int open_no_links(const char *path, int flags)
{
	struct how how = { (uint64_t)(flags | O_CLOEXEC), 0, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
}

static const char *kind(mode_t mode)
{
	return S_ISREG(mode) ? "a regular file" : S_ISDIR(mode) ? "a directory" : S_ISFIFO(mode) ? "a FIFO"
		: S_ISSOCK(mode) ? "a socket" : S_ISBLK(mode) ? "a block device" : S_ISLNK(mode) ? "a symbolic link"
		: "a character device";
}

int device_open(const char *path, int flags, unsigned major, unsigned minor, long fs_magic, const char *what,
		char *error, size_t size)
{
	int node = open_no_links(path, O_PATH);
	if (node < 0) {
		int e = errno;
		if (e == ELOOP)
			return fail(error, size, e, "%s is a symbolic link (or has one on its way), not %s (%u:%u); not opened",
				    path, what, major, minor);
		return fail(error, size, e, "open %s (O_PATH, no symbolic link)", path);
	}
	struct stat seen, opened;
	if (fstat(node, &seen) != 0) {
		int e = errno;
		close(node);
		return fail(error, size, e, "fstat %s", path);
	}
	if (!S_ISCHR(seen.st_mode) || seen.st_rdev != makedev(major, minor)) {
		close(node);
		if (S_ISCHR(seen.st_mode))
			return fail(error, size, ENODEV, "%s is the character device %u:%u, not %s (%u:%u); not opened",
				    path, major(seen.st_rdev), minor(seen.st_rdev), what, major, minor);
		return fail(error, size, ENODEV, "%s is %s, not %s (%u:%u); not opened", path, kind(seen.st_mode),
			    what, major, minor);
	}
	struct statfs fs;
	if (fs_magic != 0 && (fstatfs(node, &fs) != 0 || (long)fs.f_type != fs_magic)) {
		close(node);
		return fail(error, size, ENODEV, "%s is not on a devpts filesystem; not opened", path);
	}
	int fd = open_no_links(path, flags);
	int e = errno;
	close(node);
	if (fd < 0)
		return fail(error, size, e, "open %s", path);
	/* Replaced between the two opens: only a holder of CAP_MKNOD can make such a node. */
	if (fstat(fd, &opened) != 0 || opened.st_dev != seen.st_dev || opened.st_ino != seen.st_ino) {
		close(fd);
		return fail(error, size, ENODEV, "%s changed while it was opened; not used", path);
	}
	return fd;
}

int device_open_null(char *error, size_t size)
{
	return device_open("/dev/null", O_RDWR | O_NOCTTY, 1, 3, 0, "the null device", error, size);
}

int device_open_ptmx(char *error, size_t size)
{
	return device_open("/dev/pts/ptmx", O_RDWR | O_NOCTTY, 5, 2, DEVICE_DEVPTS_MAGIC,
			   "the pseudo-terminal multiplexer", error, size);
}

int device_path(const char *path, char *error, size_t size)
{
	int fd = open_no_links(path, O_PATH);
	if (fd < 0) {
		int e = errno;
		if (e == ELOOP)
			return fail(error, size, e, "%s is a symbolic link (or has one on its way); not followed", path);
		return fail(error, size, e, "open %s (O_PATH, no symbolic link)", path);
	}
	return fd;
}
