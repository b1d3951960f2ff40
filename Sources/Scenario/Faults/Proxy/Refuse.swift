/// `proxy: {fault: refuse}`: closes the links' listeners: new connections are refused, current ones are untouched.
struct Refuse: PlainLinkFault {
    static let name = "refuse"
    static let summary = "closes the listener: new connections are refused, current ones untouched"
    var links: LinkSelection

    func shape(_ listener: inout ListenerShape) { listener.refuses = true }
}
