package org.subhost.linux.netlink; /** Placeholder. */ final class Placeholder {}
