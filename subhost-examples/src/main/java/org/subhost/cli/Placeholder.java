package org.subhost.cli; /** Placeholder. */ final class Placeholder {}
