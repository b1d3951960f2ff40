/// `proxy: {fault: reset}`: aborts every current connection of the links with RST on both sides. Happens once.
struct Reset: PlainLinkFault {
    static let name = "reset"
    static let summary = "aborts every current connection with RST on both sides (once)"
    static let healable = false
    var links: LinkSelection
    var strike: ConnectionStrike? { .close(reset: true) }
}
