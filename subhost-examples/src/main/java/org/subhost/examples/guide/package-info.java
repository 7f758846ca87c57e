/**
 * The examples of the user guide ({@code docs/guide/embedding.md}), compiled with the build
 * so that the guide's code cannot drift from the API: {@link
 * org.subhost.examples.guide.BootFromFile} boots the subhost of a {@code .conf} file,
 * {@link org.subhost.examples.guide.BootFromCode} describes one in Java and uses it, and
 * {@link org.subhost.examples.guide.ListAndStop} lists the running subhosts and stops one.
 *
 * <p>The guide quotes these files whole or between {@code // guide:begin NAME} and
 * {@code // guide:end NAME} lines; a test checks that every Java block of the guide is such
 * a quote.
 */
package org.subhost.examples.guide;
