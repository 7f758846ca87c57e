package org.subhost.linux;

/**
 * One mount as statmount(2) reports it ({@link Mounts#statMount}): what tells whether it is
 * still the same mount at the same place with the same per-mount flags.
 *
 * @param id the mount's unique id (never reused)
 * @param parentId the unique id of the mount it is mounted on (its own for the root)
 * @param attributes its per-mount attributes, MOUNT_ATTR_* (read-only, nosuid, nodev,
 *     noexec, atime, idmap, nosymfollow)
 * @param propagation MS_SHARED, MS_SLAVE, MS_PRIVATE or MS_UNBINDABLE, or-ed
 * @param mountPoint where it is mounted, as the calling thread's root sees it
 */
public record MountStatus(long id, long parentId, long attributes, long propagation, String mountPoint) {}
