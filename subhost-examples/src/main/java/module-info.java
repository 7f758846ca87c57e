/**
 * The overlay-boot command family (overlay-boot, overlay-stop, overlay-go, overlay-share,
 * overlay-list, overlay-diskfile) over the subhost API, and small embedding examples.
 */
module org.subhost.examples {
    requires org.subhost.core;
    requires org.subhost.linux;
    requires org.slf4j;
}
