package io.lb4j;

/**
 * Runs {@link HandOverTest#connectLoopAcrossHandOver()} and prints its counts as one line: the child
 * JVM that {@code HandOverTest} starts inside a network namespace of its own with
 * {@code net.ipv4.tcp_migrate_req=1}, which a test cannot set for the machine.
 */
public final class HandOverUnderMigration {
    private HandOverUnderMigration() {
    }

    /** Prints {@code RESULT ok=N refused=N reset=N migrate=N failures=[...]}; exit 0 unless it could not run. */
    public static void main(String... args) throws Exception {
        System.out.println(HandOverTest.connectLoopAcrossHandOver().line());
    }
}
