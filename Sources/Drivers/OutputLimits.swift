import NATSFaultProcess

/// What natsfault takes from one driver or application in one run, so that a broken one cannot exhaust its memory:
/// a line of at most 1 MiB (`LineAssembler.defaultLimit`) and at most 100,000 lines. A driver or program past either
/// is stopped, the run ends in an error that says why, and what it wrote stays in its log.
public enum OutputLimits {
    /// Lines (events) per driver or application per run. A driver reports floods as ranges (DRIVER-PROTOCOL), so real
    /// runs stay far below (the bundled scenarios record at most about 3,000 events a run); each recorded event costs
    /// the run about 1 KB until its result is written.
    public static let events = 100_000

    /// `1 MiB`, `512 KiB`, `100 bytes`.
    public static func describe(bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}
