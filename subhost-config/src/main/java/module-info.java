/**
 * The configuration of a subhost: the {@code .conf} file format of the overlay-boot
 * tool family, parsed into a typed, immutable model, and a builder for programs that
 * describe a subhost without any file.
 */
module org.subhost.config {
    requires org.slf4j;

    exports org.subhost.config;
}
