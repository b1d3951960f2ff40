/// `proxy: {fault: close}`: closes every current connection of the links with FIN on both sides. Happens once.
struct Close: PlainLinkFault {
    static let name = "close"
    static let summary = "closes every current connection with FIN on both sides (once)"
    static let healable = false
    var links: LinkSelection
    var strike: ConnectionStrike? { .close(reset: false) }
}
