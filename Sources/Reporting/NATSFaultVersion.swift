/// natsfault's own version, the one place it is written: `--version` prints it, results record it, and only results of one
/// version merge.
public enum NATSFaultVersion {
    public static let current = "0.1.0"
}
