/// `proxy: {fault: accept_then_drop}`: accepts new connections and closes them at once.
struct AcceptThenDrop: PlainLinkFault {
    static let name = "accept_then_drop"
    static let summary = "accepts new connections and closes them at once"
    var links: LinkSelection

    func shape(_ listener: inout ListenerShape) { listener.dropsNewConnections = true }
}
