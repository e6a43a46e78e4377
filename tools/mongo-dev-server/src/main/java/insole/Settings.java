package insole;

/**
 * The dev database's settings from the environment ({@code INSOLE_DEV_DB_*}), all read when the
 * server starts: a value that is not a whole number in range stops it there with one clear line,
 * instead of failing its first command with a stack trace.
 */
final class Settings {
    /**
     * MB of heap that MVStore keeps of pages read from the file, deserialized (DocumentType counts a
     * document as what it takes decoded). H2's default, 16 MB, is less than a store's working set
     * after a few thousand sign-ins: then most look-ups read and deserialize a whole page again.
     */
    static final long CACHE_MB = number("INSOLE_DEV_DB_CACHE_MB", 384, 1);
    /** Seconds between TTL passes: mongod's 60 unless set (tests). */
    static final long TTL_SECONDS = number("INSOLE_DEV_DB_TTL_SECONDS", 60, 1);
    /** Commands that take this many ms or more are printed (mongod's slowms); unset (-1): none. */
    static final long SLOW_MS = number("INSOLE_DEV_DB_SLOW_MS", -1, 0);
    /** {@code INSOLE_DEV_DB_SCANS=1}: report each query that scans a collection. */
    static final boolean REPORT_SCANS = "1".equals(System.getenv("INSOLE_DEV_DB_SCANS"));

    private Settings() {
    }

    private static long number(String name, long fallback, long min) {
        String configured = System.getenv(name);
        if (configured == null || configured.isBlank()) {
            return fallback;
        }
        try {
            long value = Long.parseLong(configured.trim());
            if (value >= min && value <= Integer.MAX_VALUE) {
                return value;
            }
        } catch (NumberFormatException notANumber) {
            // reported below, with the range
        }
        System.err.println("dev database: " + name + " must be a whole number from " + min + " to "
            + Integer.MAX_VALUE + ", not \"" + configured + "\"");
        System.exit(2);
        throw new IllegalStateException("unreachable");
    }
}
