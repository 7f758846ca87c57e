/** A program that embeds the subhost library. */
module org.example.embedder {
    requires org.subhost.core;
}
