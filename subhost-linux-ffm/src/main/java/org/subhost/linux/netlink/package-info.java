/**
 * rtnetlink: network namespaces, links and addresses, spoken to the kernel in its own
 * messages, built and parsed in Java.
 */
package org.subhost.linux.netlink;
