/// `proxy: {fault: drop_pongs, direction}`: drops PONG operations: stale-connection detection on either side.
struct DropPongs: DirectedLinkFault {
    static let name = "drop_pongs"
    static let summary = "drops PONG operations"
    var links: LinkSelection
    var direction: Direction?

    init(links: LinkSelection, direction: Direction) { (self.links, self.direction) = (links, direction) }

    func shape(_ shape: inout FlowShape, flow: Direction) {
        if direction?.covers(flow) == true { shape.dropPongs = true }
    }
}
