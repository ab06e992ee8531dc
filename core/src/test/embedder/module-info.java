/** A host application on the module path, as an embedder writes it: it requires lb4j and nothing else. */
module embedder {
    requires io.lb4j;
    requires static java.management; // only to report whether lb4j registered its MBeans
}
