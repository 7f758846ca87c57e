/**
 * The configuration of a subhost: the {@code .conf} file of the overlay-boot tool family
 * (docs/spec.md §2) as a typed, immutable model.
 *
 * <p>Main types: {@link org.subhost.config.SubhostConfig} (the resolved configuration, read
 * from a file with {@code read} or made in code with {@code builder}),
 * {@link org.subhost.config.Cable} with {@link org.subhost.config.VethCable} and
 * {@link org.subhost.config.VlanCable} (numbered, named virtual cables),
 * {@link org.subhost.config.CableSpec} (one cable as CABLES writes it),
 * {@link org.subhost.config.MacAddress}, {@link org.subhost.config.Share},
 * {@link org.subhost.config.RootKind}, {@link org.subhost.config.ConfigException}
 * (a configuration error naming file and line) and {@link org.subhost.config.ConfigWarning}
 * (a line the reading ignored although it looks meant, such as a misspelt variable).
 */
package org.subhost.config;
