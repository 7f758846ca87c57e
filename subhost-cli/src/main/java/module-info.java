/**
 * The overlay-boot command family (overlay-boot, overlay-stop, overlay-go, overlay-share,
 * overlay-list, overlay-diskfile, subhosts) over the subhost API, with its systemd support
 * and the training of its start-up cache. Exports nothing: it is run through the launchers
 * in {@code bin/}, or those that {@code bin/install} and the Debian package install.
 */
module org.subhost.cli {
    requires org.subhost.core;
    requires org.subhost.linux;
    requires org.slf4j;
}
