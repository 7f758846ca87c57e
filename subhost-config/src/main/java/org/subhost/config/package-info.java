/**
 * The configuration of a subhost. Main types: {@code SubhostConfig}
 * (the resolved, immutable configuration, read from a {@code .conf} file or built in code),
 * {@code CableSpec} (one virtual cable) and
 * {@code ConfigException} (a configuration error naming file and line).
 */
package org.subhost.config;
