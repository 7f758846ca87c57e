package org.subhost; /** Placeholder. */ final class Placeholder {}
