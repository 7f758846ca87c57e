/**
 * Programs that embed the subhost library as a user's would, on its exported API alone
 * ({@code org.subhost} and {@code org.subhost.config}): the examples of the user guide and
 * the embedding example of {@code bin/subhost-embed-example}.
 */
module org.subhost.examples {
    requires org.subhost.core;
}
