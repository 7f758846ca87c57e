/**
 * The overlay-boot command family (overlay-boot, overlay-stop, overlay-go, overlay-share,
 * overlay-list, overlay-service, overlay-diskfile, subhosts) over the subhost API, with its systemd support
 * and the training of its start-up cache. Exports nothing: it is run through the launchers
 * in {@code bin/}, or those that {@code bin/install} and the Debian package install.
 *
 * <p>Besides the API it reads org.subhost.core.disk, which core exports to this module
 * alone (overlay-diskfile's mounts), and org.subhost.linux for the systemd notification
 * socket and the early linking of system calls.
 */
module org.subhost.cli {
    requires org.subhost.core;
    requires org.subhost.linux;
    requires org.slf4j;
}
