/**
 * Linux system calls and rtnetlink through the Foreign Function and Memory API.
 * This layer holds no policy: it turns calls into kernel requests and kernel refusals
 * into exceptions that name the call, its arguments and the errno.
 */
module org.subhost.linux {
    requires org.slf4j;

    exports org.subhost.linux;
    exports org.subhost.linux.netlink;
    exports org.subhost.linux.disk;
}
