/**
 * The subhost API: boot, stop, exec, share, status and list of subhosts on a Linux host.
 * Entry point: {@code Subhosts.linux()}.
 */
module org.subhost.core {
    requires transitive org.subhost.config;
    requires org.subhost.linux;
    requires org.slf4j;

    exports org.subhost;
    // Mounting disk images for overlay-diskfile: a door for the CLI, not API (DiskImages says why).
    exports org.subhost.core.disk to org.subhost.cli;
}
