package org.subhost.config; /** Placeholder. */ final class Placeholder {}
