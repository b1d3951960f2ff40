/// natsfault's own version: results record it, and only results of one version merge.
public enum NATSFaultVersion {
    public static let current = "0.1.0"
}
