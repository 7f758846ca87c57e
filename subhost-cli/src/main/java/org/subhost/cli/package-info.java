/**
 * The command-line tools: {@link org.subhost.cli.Cli} dispatches to one class per command,
 * such as {@code OverlayBootCommand}. Not exported; run through the launchers in
 * {@code bin/}.
 */
package org.subhost.cli;
