/// `proxy: {fault: drop_pings, direction}`: drops PING operations (ping starvation).
struct DropPings: DirectedLinkFault {
    static let name = "drop_pings"
    static let summary = "drops PING operations"
    var links: LinkSelection
    var direction: Direction?

    init(links: LinkSelection, direction: Direction) { (self.links, self.direction) = (links, direction) }

    func shape(_ shape: inout FlowShape, flow: Direction) {
        if direction?.covers(flow) == true { shape.dropPings = true }
    }
}
